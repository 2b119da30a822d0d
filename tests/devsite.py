"""A development site of this repository (identity provider, Duo stand-in) in a subprocess."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevSite:
    """Its own settings module and SQLite file, migrated and set up, then runserver on a free port.

    A subclass names `settings`, `name`, the URL path answered once it is up
    (`probe`), and does its own setup in `setup()`.
    """

    settings = name = ""
    probe = "/"

    def __init__(self, workdir, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": self.settings, **env}
        # The portal's own database and mode are not the site's.
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
        # Generous: on a busy two-core machine the first answer can take seconds.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + self.probe, timeout=10)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start.")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
