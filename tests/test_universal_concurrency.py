"""The Universal Prompt under racing requests: one answer, one exchange, one use counted."""

import threading
from urllib.parse import urlencode

import jwt
import pytest
from django.db import connection, connections
from django.test import Client

import bypass.models
from bypass.models import BypassCode
from duoapi import oauth
from duoapi.models import AuthorizationRequest
from tests.threads import race, thread_count
from tests.universal import HOST, browser_get, browser_post, returned

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


@pytest.fixture
def prompt(client, webapp, alice):
    return browser_get(client, webapp.create_auth_url(ALICE, webapp.generate_state()))["Location"]


def test_racing_log_ins_of_one_prompt_count_one_use_and_go_back_alike(client, prompt, alice):
    _, code = BypassCode.objects.issue(alice, via="culink")
    cookies = client.cookies

    def log_in():
        # The same browser (its session), clicking Log In again and again.
        browser = Client()
        browser.cookies = cookies
        response = browser_post(browser, prompt, {"passcode": code})
        return response.status_code, response.get("Location")

    results = race(thread_count(connection), log_in)

    assert {status for status, _ in results} == {302}
    assert len({location for _, location in results}) == 1
    assert BypassCode.objects.get(user=alice).uses == 1


def test_a_log_in_holds_no_lock_while_its_passcode_is_hashed(client, prompt, alice, monkeypatch):
    _, code = BypassCode.objects.issue(alice, via="culink")
    in_the_hash, other_check_done = threading.Event(), threading.Event()
    seen = []
    real = bypass.models.code_matches

    def slow_first_hash(stored, typed):
        if not in_the_hash.is_set():
            in_the_hash.set()
            # Meanwhile another application checks a passcode of Alice's: her
            # lock's row and (on SQLite) the database must not be held.
            seen.append(other_check_done.wait(timeout=5))
        return real(stored, typed)

    def other_application():
        in_the_hash.wait(timeout=10)
        BypassCode.objects.redeem(alice, "000000000")
        other_check_done.set()
        connections.close_all()

    monkeypatch.setattr(bypass.models, "code_matches", slow_first_hash)
    other = threading.Thread(target=other_application)
    other.start()
    response = browser_post(client, prompt, {"passcode": code})
    other.join(timeout=30)

    assert seen == [True]
    assert response.status_code == 302 and "duo_code=" in response["Location"]
    assert BypassCode.objects.get(user=alice).uses == 1


def test_racing_exchanges_in_the_models_layer_take_the_code_once(vpn, alice):
    integration, _secret = vpn
    uri = "https://vpn.example/duo-callback"
    request = AuthorizationRequest.objects.open(
        integration, alice, username=ALICE, redirect_uri=uri, state="s" * 22
    )
    AuthorizationRequest.objects.answer(request, AuthorizationRequest.Outcome.ALLOW, "bypass")

    taken = race(
        thread_count(connection),
        lambda: AuthorizationRequest.objects.exchange(integration, request.code, uri),
    )

    assert sum(found is not None for found in taken) == 1


def test_racing_exchanges_of_one_code_get_one_token(client, webapp, prompt, alice):
    _, code = BypassCode.objects.issue(alice, via="culink")
    duo_code = returned(browser_post(client, prompt, {"passcode": code}))["duo_code"]

    def exchange():
        assertion = webapp._create_jwt_args(f"https://{HOST}/oauth/v1/token")
        fields = {
            "grant_type": "authorization_code",
            "code": duo_code,
            "redirect_uri": webapp._redirect_uri,
            "client_id": webapp._client_id,
            "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
            "client_assertion": jwt.encode(assertion, webapp._client_secret, algorithm="HS512"),
        }
        path = f"/oauth/v1/token?{urlencode(fields)}"
        return Client().post(path, secure=True, HTTP_HOST=HOST).status_code

    results = race(thread_count(connection), exchange)

    assert results.count(200) == 1
    assert results.count(400) == len(results) - 1
