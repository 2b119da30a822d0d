"""The development stand-in for Duo, run for real in a subprocess, and duo_client pointed at it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duo_client
import requests

from tests.idp import PEOPLE, ROOT, free_port

ADMIN_IKEY, ADMIN_SKEY = "DIADMINTEST000000000", "admin-test-secret-0000000000000000000000"
AUTH_IKEY, AUTH_SKEY = "DIAUTHTEST0000000000", "auth-test-secret-00000000000000000000000"


class DevDuo:
    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "duoapi.devduo.settings",
            "DEVDUO_DATABASE_PATH": str(Path(workdir) / "devduo.sqlite3"),
            "DEVDUO_ADMIN_IKEY": ADMIN_IKEY,
            "DEVDUO_ADMIN_SKEY": ADMIN_SKEY,
            "DEVDUO_AUTH_IKEY": AUTH_IKEY,
            "DEVDUO_AUTH_SKEY": AUTH_SKEY,
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("DUOPORTAL_ENV", None)
        self.process = None

    def django(self, *args, **kwargs):
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        )

    def setup(self):
        self.django("migrate", "--noinput")
        self.django("devduo_setup", "-", input=json.dumps(list(PEOPLE.values())))
        return self

    def start(self):
        self.setup()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/auth/v2/ping", timeout=10)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError("The development stand-in for Duo did not start.")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)

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
