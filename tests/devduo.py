"""The development stand-in for Duo, run for real in a subprocess, and duo_client pointed at it."""

import json
from contextlib import contextmanager
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
        self.add_people()
        return self

    def add_people(self, people=None):
        """Give the test people Duo users (again, after a test deleted one), or `people`
        ([{"username": ...}])."""
        people = list(PEOPLE.values()) if people is None else people
        self.django("devduo_setup", "-", input=json.dumps(people))

    # The certificate to trust when it serves HTTPS (over_https); None over HTTP.
    certificate = None

    @contextmanager
    def over_https(self, certificate):
        """Serve it with gunicorn over TLS with `certificate` (cert, key paths); yields self."""
        from tests.gunicorn import gunicorn

        with gunicorn(
            "unused://", workers=1, threads=4, certificate=certificate,
            app="duoapi.devduo.wsgi", env=self.env,
        ) as url:  # fmt: skip
            self.url, self.certificate = url, certificate[0]
            self.port = int(url.rsplit(":", 1)[1])
            yield self

    def account_settings(self):
        """The portal's DUO_ACCOUNT setting for this stand-in: its two integrations."""
        host = f"localhost:{self.port}"
        return {
            "DUO_ADMIN_API_HOST": host,
            "DUO_ADMIN_IKEY": ADMIN_IKEY,
            "DUO_ADMIN_SKEY": ADMIN_SKEY,
            "DUO_AUTH_API_HOST": host,
            "DUO_AUTH_IKEY": AUTH_IKEY,
            "DUO_AUTH_SKEY": AUTH_SKEY,
        }

    def control(self, **changes):
        """Set how the stand-in behaves: fail ("", "slow", "500", "429", "malformed"), only
        (the "METHOD /path" prefix of the calls that fail), seconds, clock_offset, body (the
        JSON of a malformed answer)."""
        answer = requests.post(
            self.url + "/devduo/control",
            json=changes,
            timeout=10,
            verify=str(self.certificate) if self.certificate else True,
        )
        answer.raise_for_status()
        return answer.json()

    def set_status(self, username, status):
        """Make a Duo user "active", "disabled" or "locked out", as a Duo admin would."""
        self.django(
            "shell",
            "-c",
            "from duoapi.devduo.models import DuoUser;"
            f"DuoUser.objects.filter(username={username!r}).update(status={status!r})",
        )

    def admin(self, skey=ADMIN_SKEY, ikey=ADMIN_IKEY, **options):
        options.setdefault("ca_certs", str(self.certificate) if self.certificate else "HTTP")
        return duo_client.Admin(ikey, skey, "localhost", port=self.port, **options)

    def auth(self, skey=AUTH_SKEY, ikey=AUTH_IKEY, **options):
        options.setdefault("ca_certs", "HTTP")
        return duo_client.Auth(ikey, skey, "localhost", port=self.port, **options)
