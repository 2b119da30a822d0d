"""The stand-in fails on request, as Duo can, and never runs in production."""

import subprocess
import sys

import duo_client
import duo_client.client
import pytest
import requests

from tests.devduo import ADMIN_IKEY, ADMIN_SKEY, DevDuo
from tests.devsite import ROOT, free_port
from tests.duo import refusal
from tests.gunicorn import gunicorn, self_signed


def test_it_answers_500_when_told(normal_devduo):
    normal_devduo.control(fail="500")
    status, body = refusal(lambda: normal_devduo.admin().get_users_by_name("alice@example.edu"))
    assert (status, body["code"]) == (500, 50000)


def test_it_answers_429_with_retry_after_and_duo_client_backs_off(normal_devduo, monkeypatch):
    waits = []
    monkeypatch.setattr(duo_client.client, "sleep", waits.append)
    normal_devduo.control(fail="429", seconds=7)
    admin = normal_devduo.admin()
    admin._MAX_BACKOFF_WAIT_SECS = 2
    status, body = refusal(lambda: admin.get_users_by_name("alice@example.edu"))
    assert (status, body["code"]) == (429, 42901)
    # Tried three times, waiting about 1 and 2 s (plus jitter) in between.
    assert [int(wait) for wait in waits] == [1, 2]
    answer = requests.get(normal_devduo.url + "/auth/v2/ping", timeout=10)
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")


def test_it_answers_slowly_when_told(normal_devduo):
    normal_devduo.control(fail="slow", seconds=2)
    with pytest.raises(TimeoutError):
        normal_devduo.auth(timeout=0.5).check()
    normal_devduo.control(fail="")
    assert normal_devduo.auth(timeout=5).check()["time"] > 0


def test_it_answers_normally_again(normal_devduo):
    normal_devduo.control(fail="500")
    normal_devduo.control(fail="")
    assert normal_devduo.auth().check()["time"] > 0


def test_a_stand_in_that_is_down_refuses_connections():
    client = duo_client.Auth(ADMIN_IKEY, ADMIN_SKEY, "localhost", port=free_port(), ca_certs="HTTP")
    with pytest.raises(ConnectionRefusedError):
        client.check()


def test_it_refuses_to_start_in_production(tmp_path):
    stand_in = DevDuo(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env={**stand_in.env, "DUOPORTAL_ENV": "production"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "never runs in production" in result.stderr


def test_it_answers_duo_client_over_https(tmp_path):
    stand_in = DevDuo(tmp_path).setup()
    certificate = self_signed(tmp_path)
    with gunicorn(
        "unused://", workers=1, threads=2, certificate=certificate,
        app="duoapi.devduo.wsgi", env=stand_in.env,
    ) as url:  # fmt: skip
        port = int(url.rsplit(":", 1)[1])
        admin = duo_client.Admin(
            ADMIN_IKEY, ADMIN_SKEY, "localhost", port=port, ca_certs=str(certificate[0])
        )
        [user] = admin.get_users_by_name("erin@example.edu")
        [code] = admin.add_user_bypass_codes(
            user["user_id"], count=1, remaining_uses=20, valid_secs=43200, preserve_existing=False
        )
        assert len(code) == 9
