"""POST /oauth/v1/health_check, as duo_universal's health_check() calls it."""

from urllib.parse import urlencode

import pytest
from duo_universal import DuoException

from tests.universal import duo_error, served_by, universal_client

pytestmark = pytest.mark.django_db

URL = "/oauth/v1/health_check"


def test_it_answers_duo_universals_health_check(client, vpn):
    duo = universal_client(*vpn)

    with served_by(client) as calls:
        answer = duo.health_check()

    assert answer["stat"] == "OK" and isinstance(answer["response"]["timestamp"], int)
    [(path, body)] = calls
    assert path == URL and "client_assertion=" in body


def test_it_refuses_a_wrong_client_secret(client, vpn):
    integration, _ = vpn
    duo = universal_client(integration, "w" * 40)

    with served_by(client), pytest.raises(DuoException) as refused:
        duo.health_check()

    failure = duo_error(refused)
    assert failure["stat"] == "FAIL" and failure["message"] == "invalid_client"
    assert failure["code"] == 40002 and isinstance(failure["timestamp"], int)


def test_it_accepts_the_previous_secret_until_it_is_retired(client, vpn):
    integration, old = vpn
    integration.rotate_secret()
    duo = universal_client(integration, old)

    with served_by(client):
        assert duo.health_check()["stat"] == "OK"
        integration.retire_previous_secret()
        with pytest.raises(DuoException):
            duo.health_check()


def test_it_refuses_a_disabled_integration(client, vpn):
    integration, secret = vpn
    integration.enabled = False
    integration.save()

    with served_by(client), pytest.raises(DuoException, match="disabled"):
        universal_client(integration, secret).health_check()


def test_it_refuses_an_unknown_client_id(client, vpn):
    integration, secret = vpn
    integration.ikey = "DIUNKNOWN00000000000"

    with served_by(client), pytest.raises(DuoException, match="invalid_client"):
        universal_client(integration, secret).health_check()


def test_it_refuses_an_assertion_made_for_another_host(client, vpn):
    duo = universal_client(*vpn, host="duo.example.edu")

    # Signed for duo.example.edu, sent to this portal at localhost:8443.
    with served_by(client, host="localhost:8443"), pytest.raises(DuoException) as refused:
        duo.health_check()

    assert "`aud`" in duo_error(refused)["message_detail"]


def test_it_refuses_a_missing_assertion_and_a_get(client, vpn):
    integration, _ = vpn

    missing = client.post(URL, {"client_id": integration.ikey}, secure=True)
    get = client.get(URL, secure=True)

    assert (missing.status_code, missing.json()["message"]) == (400, "invalid_request")
    assert (get.status_code, get.json()["stat"]) == (405, "FAIL")


def test_it_refuses_a_thousand_fields_in_duos_envelope(client, vpn):
    integration, _ = vpn
    crowded = {"client_id": integration.ikey, **{f"f{n}": "x" for n in range(1001)}}

    refused = client.post(URL, urlencode(crowded), "application/x-www-form-urlencoded", secure=True)

    assert (refused.status_code, refused.json()["message"]) == (400, "invalid_request")
    assert refused.json()["message_detail"] == "The request cannot be read."
