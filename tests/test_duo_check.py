"""ping and check, and every refusal of credentials, through the real duo_client."""

import time
from email.utils import formatdate
from types import SimpleNamespace

import duo_client
import pytest
import requests

from tests.duo import auth_client, refusal

pytestmark = pytest.mark.django_db(transaction=True)


def test_ping_needs_no_signature(live_server):
    response = requests.get(f"{live_server.url}/auth/v2/ping", timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["stat"] == "OK"
    assert abs(body["response"]["time"] - time.time()) < 5


def test_ping_answers_duo_client(duo):
    assert abs(duo.ping()["time"] - time.time()) < 5


def test_check_accepts_a_version_5_signature(duo):
    assert duo.sig_version == 5
    assert abs(duo.check()["time"] - time.time()) < 5


def test_check_accepts_a_version_2_signature(live_server, vpn):
    integration, secret = vpn
    client = auth_client(live_server.url, integration.ikey, secret, sig_version=2)

    assert abs(client.check()["time"] - time.time()) < 5


def test_it_refuses_a_wrong_secret(live_server, vpn):
    integration, secret = vpn
    client = auth_client(live_server.url, integration.ikey, secret[::-1])

    status, error = refusal(client.check)

    assert (status, error["code"], error["stat"]) == (401, 40103, "FAIL")
    assert error["message"] == "Invalid signature in request credentials"


def test_it_refuses_an_unknown_integration_key(live_server, vpn):
    _, secret = vpn
    client = auth_client(live_server.url, "DI" + "X" * 18, secret)

    status, error = refusal(client.check)

    assert (status, error["code"]) == (401, 40102)


def test_it_refuses_a_disabled_integration_at_once(duo, vpn):
    integration, _ = vpn
    duo.check()
    integration.enabled = False
    integration.save()

    status, error = refusal(duo.check)

    assert (status, error["code"]) == (403, 40301)


@pytest.mark.parametrize("minutes", [-10, 10])
def test_it_refuses_a_date_ten_minutes_off(duo, monkeypatch, minutes):
    # Only the client's clock is moved: the portal runs in this process too.
    skewed = SimpleNamespace(formatdate=lambda: formatdate(time.time() + minutes * 60))
    monkeypatch.setattr(duo_client.client, "email", SimpleNamespace(utils=skewed))

    status, error = refusal(duo.check)

    assert (status, error["code"], error["message"]) == (401, 40105, "Bad request timestamp")


def test_it_accepts_a_date_within_five_minutes(duo, monkeypatch):
    skewed = SimpleNamespace(formatdate=lambda: formatdate(time.time() - 240))
    monkeypatch.setattr(duo_client.client, "email", SimpleNamespace(utils=skewed))

    assert duo.check()


def test_it_refuses_a_request_without_credentials(live_server):
    response = requests.get(f"{live_server.url}/auth/v2/check", timeout=10)

    assert response.status_code == 401
    assert response.json()["code"] == 40101


def test_it_refuses_a_signature_for_another_host(live_server, vpn, settings):
    settings.PORTAL_API_HOSTNAME = "duo.example.edu"
    integration, secret = vpn
    client = auth_client(live_server.url, integration.ikey, secret)

    status, error = refusal(client.check)

    assert (status, error["code"]) == (401, 40103)


def test_it_checks_the_configured_host_name(live_server, vpn, settings):
    settings.PORTAL_API_HOSTNAME = "localhost"
    integration, secret = vpn

    assert auth_client(live_server.url, integration.ikey, secret).check()


def test_it_answers_a_wrong_method_in_duos_envelope(live_server):
    response = requests.post(f"{live_server.url}/auth/v2/ping", timeout=10)

    assert response.status_code == 405
    assert response.json()["stat"] == "FAIL"
