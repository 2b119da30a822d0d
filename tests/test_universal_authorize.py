"""GET /oauth/v1/authorize: the application's signed request, verified before anything is shown."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from duoapi.models import AuthorizationRequest
from duoportal.models import AuditEvent
from tests.universal import HOST, REDIRECT_URI, browser_get, universal_client

pytestmark = pytest.mark.django_db

STATE = "s" * 36


def query_of(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def with_query(url, **change):
    return f"https://{HOST}/oauth/v1/authorize?{urlencode({**query_of(url), **change})}"


def assert_refused(response, text, status=400):
    assert response.status_code == status
    assert "Location" not in response
    assert text in response.text
    assert not AuthorizationRequest.objects.exists()


def test_it_sends_the_browser_to_the_prompt(client, webapp, alice):
    response = browser_get(client, webapp.create_auth_url("alice@example.edu", STATE))

    request = AuthorizationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/oauth/v1/prompt/{request.key}"
    assert client.session["duo_prompts"] == [request.key]
    assert (request.person, request.redirect_uri, request.state) == (alice, REDIRECT_URI, STATE)
    assert request.use_duo_code_attribute and not request.answered_at


def test_it_records_the_application_and_the_person(client, webapp, alice):
    browser_get(client, webapp.create_auth_url("alice@example.edu", STATE))

    event = AuditEvent.objects.get(action=AuditEvent.Action.DUO_AUTHORIZE)
    assert (event.subject, event.outcome) == (alice, "prompt")
    assert event.detail["application"] == "VPN"
    assert STATE not in str(event.detail)


def test_it_shows_an_error_page_for_a_tampered_request(client, webapp, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)
    claims = jwt.decode(query_of(url)["request"], options={"verify_signature": False})
    claims["redirect_uri"] = "https://evil.example/steal"
    header, _, signature = query_of(url)["request"].split(".")
    payload = jwt.encode(claims, "x" * 64, algorithm="HS512").split(".")[1]

    response = browser_get(client, with_query(url, request=f"{header}.{payload}.{signature}"))

    assert_refused(response, "not valid or has expired")
    assert "evil.example" not in response.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.DUO_AUTHORIZE)
    assert event.outcome == "invalid_client" and event.detail["application"] == "VPN"


def test_it_refuses_a_request_that_would_live_longer_than_duo_universals(client, webapp, alice):
    # duo_universal's requests expire in 5 minutes: a year is a URL anyone could keep.
    url = webapp.create_auth_url("alice@example.edu", STATE)
    claims = jwt.decode(query_of(url)["request"], options={"verify_signature": False})
    claims["exp"] = time.time() + 365 * 24 * 3600
    signed = jwt.encode(claims, webapp._client_secret, algorithm="HS512")

    assert_refused(browser_get(client, with_query(url, request=signed)), "not valid or has expired")


def test_it_refuses_a_request_whose_exp_is_not_a_number(client, webapp, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)
    claims = jwt.decode(query_of(url)["request"], options={"verify_signature": False})
    claims["exp"] = str(int(time.time()) + 60)  # PyJWT itself takes it
    signed = jwt.encode(claims, webapp._client_secret, algorithm="HS512")

    assert_refused(browser_get(client, with_query(url, request=signed)), "not valid or has expired")


def test_a_reload_of_the_authorize_url_goes_back_to_its_prompt(client, webapp, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)
    prompt = browser_get(client, url)["Location"]

    assert browser_get(client, url)["Location"] == prompt
    assert AuthorizationRequest.objects.count() == 1


def test_the_authorize_url_opens_nothing_in_another_browser(client, webapp, alice):
    # Copied from the history of a shared computer: ten wrong guesses would lock Alice out.
    url = webapp.create_auth_url("alice@example.edu", STATE)
    browser_get(client, url)

    elsewhere = browser_get(Client(), url)

    assert elsewhere.status_code == 404 and "Location" not in elsewhere
    assert "expired or is already finished" in elsewhere.text
    assert AuthorizationRequest.objects.count() == 1
    replayed = AuditEvent.objects.get(action=AuditEvent.Action.DUO_AUTHORIZE, outcome="replayed")
    assert replayed.subject == alice


def test_it_audits_refusals_only_up_to_the_addresss_rate(client, webapp, alice, settings):
    # Anyone who knows a client_id can be refused: the audit trail is not theirs to fill.
    settings.THROTTLE_PER_ADDRESS = "3/m"
    url = with_query(webapp.create_auth_url("alice@example.edu", STATE), request="x")

    for _ in range(5):
        assert_refused(browser_get(client, url), "not valid or has expired")

    assert AuditEvent.objects.filter(action=AuditEvent.Action.DUO_AUTHORIZE).count() == 3


def test_it_refuses_a_request_signed_with_another_secret(client, vpn, alice):
    integration, _ = vpn
    url = universal_client(integration, "w" * 40).create_auth_url("alice@example.edu", STATE)

    assert_refused(browser_get(client, url), "not valid or has expired")


def test_it_refuses_an_expired_request(client, webapp, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)

    with time_machine.travel(timezone.now() + timedelta(minutes=7)):
        response = browser_get(client, url)

    assert_refused(response, "not valid or has expired")


def test_it_refuses_an_unknown_or_disabled_application(client, webapp, vpn, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)
    unknown = browser_get(client, with_query(url, client_id="DIUNKNOWN00000000000"))
    integration, _ = vpn
    integration.enabled = False
    integration.save()

    assert_refused(unknown, "not known to the portal")
    assert_refused(browser_get(client, url), "not known to the portal")


def test_it_refuses_a_request_for_another_host(client, vpn, alice):
    url = universal_client(*vpn, host="duo.example.edu").create_auth_url("alice@example.edu", STATE)

    # The browser arrives here, at localhost:8443, with a request meant for duo.example.edu.
    response = browser_get(client, url.replace("duo.example.edu", HOST))

    assert_refused(response, "not valid or has expired")


def test_it_refuses_a_redirect_uri_the_integration_does_not_list(client, vpn, alice):
    integration, secret = vpn
    integration.redirect_uris = "https://app.example/other\nhttps://app.example/third"
    integration.save()
    url = universal_client(integration, secret).create_auth_url("alice@example.edu", STATE)

    response = browser_get(client, url)

    assert_refused(response, "not allowed to use")
    assert REDIRECT_URI not in response.text


def test_it_accepts_a_redirect_uri_the_integration_lists(client, vpn, alice):
    integration, secret = vpn
    integration.redirect_uris = f"https://app.example/other\n{REDIRECT_URI}\n"
    integration.save()
    url = universal_client(integration, secret).create_auth_url("alice@example.edu", STATE)

    assert browser_get(client, url).status_code == 302


def test_it_refuses_someone_the_portal_does_not_know(client, webapp, alice):
    response = browser_get(client, webapp.create_auth_url("mallory@example.edu", STATE))

    assert_refused(response, "no account for mallory@example.edu", status=403)


def test_it_refuses_a_disabled_person(client, webapp, alice):
    alice.is_active = False
    alice.save()

    response = browser_get(client, webapp.create_auth_url("alice@example.edu", STATE))

    assert_refused(response, "Your account is disabled", status=403)


def test_it_maps_a_name_without_a_domain_and_keeps_it_as_sent(client, webapp, alice, settings):
    settings.DUO_USERNAME_DOMAIN = "example.edu"

    browser_get(client, webapp.create_auth_url("Alice", STATE))

    request = AuthorizationRequest.objects.get()
    assert (request.person, request.username) == (alice, "Alice")


def test_it_keeps_the_nonce_and_the_code_attribute(client, vpn, alice):
    app = universal_client(*vpn, use_duo_code_attribute=False)

    browser_get(client, app.create_auth_url("alice@example.edu", STATE, nonce="n" * 20))

    request = AuthorizationRequest.objects.get()
    assert request.nonce == "n" * 20 and not request.use_duo_code_attribute


@pytest.mark.parametrize(
    "change",
    [{"response_type": "token"}, {"nonce": "n\x00" * 10}, {"request": ""}, {"client_id": "DI\x00"}],
)
def test_it_refuses_a_malformed_query(client, webapp, alice, change):
    url = webapp.create_auth_url("alice@example.edu", STATE, nonce="n" * 20)

    response = browser_get(client, with_query(url, **change))

    assert response.status_code == 400 and "Location" not in response


def test_it_refuses_a_post(client, webapp, alice):
    url = webapp.create_auth_url("alice@example.edu", STATE)
    assert client.post(urlsplit(url).path, query_of(url), secure=True).status_code == 405
