"""The development stand-in for Duo, run for real in a subprocess, and duo_client pointed at it."""

import json
from pathlib import Path

import duo_client
import requests

from tests.devsite import DevSite
from tests.idp import PEOPLE

ADMIN_IKEY, ADMIN_SKEY = "DIADMINTEST000000000", "admin-test-secret-0000000000000000000000"
AUTH_IKEY, AUTH_SKEY = "DIAUTHTEST0000000000", "auth-test-secret-00000000000000000000000"


class DevDuo(DevSite):
    settings = "duoapi.devduo.settings"
    name = "The development stand-in for Duo"
    probe = "/auth/v2/ping"

    def __init__(self, workdir):
        super().__init__(
            workdir,
            DEVDUO_DATABASE_PATH=str(Path(workdir) / "devduo.sqlite3"),
            DEVDUO_ADMIN_IKEY=ADMIN_IKEY,
            DEVDUO_ADMIN_SKEY=ADMIN_SKEY,
            DEVDUO_AUTH_IKEY=AUTH_IKEY,
            DEVDUO_AUTH_SKEY=AUTH_SKEY,
        )

    def setup(self):
        super().setup()
        self.django("devduo_setup", "-", input=json.dumps(list(PEOPLE.values())))
        return self

    def control(self, **changes):
        """Set how the stand-in behaves: fail ("", "slow", "500", "429"), seconds, clock_offset."""
        answer = requests.post(self.url + "/devduo/control", json=changes, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def admin(self, skey=ADMIN_SKEY, ikey=ADMIN_IKEY, **options):
        options.setdefault("ca_certs", "HTTP")
        return duo_client.Admin(ikey, skey, "localhost", port=self.port, **options)

    def auth(self, skey=AUTH_SKEY, ikey=AUTH_IKEY, **options):
        options.setdefault("ca_certs", "HTTP")
        return duo_client.Auth(ikey, skey, "localhost", port=self.port, **options)
