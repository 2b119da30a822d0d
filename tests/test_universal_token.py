"""POST /oauth/v1/token: the one-time code for a signed id_token, as duo_universal asks."""

import time
from datetime import timedelta
from urllib.parse import urlencode

import jwt
import pyotp
import pytest
import time_machine
from django.utils import timezone
from duo_universal import DuoException

from bypass.models import BypassCode
from duoapi import oauth
from duoapi.models import Integration
from duoportal.models import AuditEvent, AuthenticatorDevice, User
from tests.universal import (
    HOST,
    browser_get,
    browser_post,
    duo_error,
    returned,
    served_by,
    universal_client,
)

pytestmark = pytest.mark.django_db

URL = "/oauth/v1/token"
ALICE = "alice@example.edu"


def sign_in(client, app, passcode, username=ALICE, nonce=None):
    """Alice's browser through the prompt: the one-time code the application gets back."""
    url = app.create_auth_url(username, app.generate_state(), nonce)
    prompt = browser_get(client, url)["Location"]
    return returned(browser_post(client, prompt, {"passcode": passcode}))["duo_code"]


@pytest.fixture
def code(alice):
    return BypassCode.objects.issue(alice, via="culink")[1]


@pytest.fixture
def duo_code(client, webapp, code):
    return sign_in(client, webapp, code)


def test_it_gives_duo_universal_a_token_for_the_person(client, webapp, duo_code):
    with served_by(client) as calls:
        token = webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert token["preferred_username"] == ALICE and token["sub"] == ALICE
    assert token["iss"] == f"https://{HOST}/oauth/v1/token"
    assert token["auth_result"]["result"] == "allow" and token["auth_result"]["status"] == "allow"
    assert token["auth_context"]["factor"] == "passcode"
    assert token["auth_context"]["passcode_kind"] == "bypass_code"
    assert token["auth_context"]["application"]["name"] == "VPN"
    assert abs(token["auth_time"] - timezone.now().timestamp()) < 5
    # duo_universal sends every field in the query string of an empty POST.
    [(path, body)] = calls
    assert path.startswith(URL + "?grant_type=authorization_code&code=") and body == ""


def test_it_says_an_authenticator_apps_code_was_used(client, webapp, alice):
    device = AuthenticatorDevice.objects.start(alice, "Phone")
    device.confirmed = True
    device.save()
    duo_code = sign_in(client, webapp, pyotp.TOTP(device.totp.secret).now())

    with served_by(client):
        token = webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert token["auth_context"]["passcode_kind"] == "authenticator_app"


def test_it_answers_with_every_field_other_sdks_require(client, webapp, duo_code):
    response = client.post(f"{URL}?{query(webapp, duo_code)}", secure=True, HTTP_HOST=HOST)

    answer = response.json()
    assert set(answer) == {"id_token", "access_token", "expires_in", "token_type"}
    assert answer["token_type"] == "Bearer" and isinstance(answer["expires_in"], int)
    assert "no-store" in response["Cache-Control"]


def query(app, duo_code, **change):
    return urlencode(form(app, duo_code, **change))


def form(app, duo_code, **change):
    assertion = app._create_jwt_args(f"https://{HOST}{URL}")
    return {
        "grant_type": "authorization_code",
        "code": duo_code,
        "redirect_uri": app._redirect_uri,
        "client_id": app._client_id,
        "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
        "client_assertion": jwt.encode(assertion, app._client_secret, algorithm="HS512"),
        **change,
    }


def test_it_reads_a_form_body_as_other_sdks_send_it(client, webapp, duo_code):
    response = client.post(URL, form(webapp, duo_code), secure=True, HTTP_HOST=HOST)

    claims = jwt.decode(
        response.json()["id_token"], webapp._client_secret, ["HS512"], audience=webapp._client_id
    )
    assert claims["preferred_username"] == ALICE


def test_it_refuses_a_body_of_megabytes_unread(client, webapp, duo_code):
    padded = {**form(webapp, duo_code), "padding": "x" * 2**20}

    response = client.post(URL, padded, secure=True, HTTP_HOST=HOST)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"] == "The request body is too large."


def test_it_refuses_a_replayed_code(client, webapp, duo_code):
    with served_by(client):
        webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)
        with pytest.raises(DuoException) as refused:
            webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_grant"


def test_it_refuses_a_wrong_client_secret(client, vpn, duo_code):
    integration, _ = vpn
    impostor = universal_client(integration, "w" * 40)

    with served_by(client), pytest.raises(DuoException) as refused:
        impostor.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_client"


def test_the_code_still_works_for_the_application_after_a_wrong_secret(client, vpn, duo_code):
    impostor = universal_client(vpn[0], "w" * 40)

    with served_by(client):
        with pytest.raises(DuoException):
            impostor.exchange_authorization_code_for_2fa_result(duo_code, ALICE)
        assert universal_client(*vpn).exchange_authorization_code_for_2fa_result(duo_code, ALICE)


def test_it_refuses_a_redirect_uri_other_than_the_authorizes(client, vpn, duo_code):
    elsewhere = universal_client(*vpn, redirect_uri="https://app.example/other")

    with served_by(client), pytest.raises(DuoException) as refused:
        elsewhere.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_grant"


def test_it_refuses_a_code_after_60_seconds(client, webapp, duo_code):
    later = time_machine.travel(timezone.now() + timedelta(seconds=61))
    with later, served_by(client), pytest.raises(DuoException) as refused:
        webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_grant"


def test_it_refuses_a_code_made_for_another_application(client, duo_code, alice):
    other, secret = Integration.objects.create_integration("Wiki")

    with served_by(client), pytest.raises(DuoException) as refused:
        universal_client(other, secret).exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_grant"


def test_it_signs_with_the_secret_the_application_still_uses(client, vpn, code):
    integration, old = vpn
    integration.rotate_secret()
    app = universal_client(integration, old)
    duo_code = sign_in(client, app, code)

    with served_by(client):
        assert app.exchange_authorization_code_for_2fa_result(duo_code, ALICE)


def test_it_repeats_the_nonce(client, webapp, code):
    nonce = "n" * 24
    duo_code = sign_in(client, webapp, code, nonce=nonce)

    with served_by(client):
        token = webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE, nonce)

    assert token["nonce"] == nonce


def test_it_names_the_person_as_the_application_did(client, webapp, code, settings):
    settings.DUO_USERNAME_DOMAIN = "example.edu"
    duo_code = sign_in(client, webapp, code, username="alice")

    with served_by(client):
        assert webapp.exchange_authorization_code_for_2fa_result(duo_code, "alice")
        with pytest.raises(DuoException):
            webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"grant_type": "refresh_token"}, "unsupported_grant_type"),
        ({"client_assertion_type": "password"}, "invalid_request"),
        ({"code": ""}, "invalid_request"),
        ({"code": "x\x00" * 10}, "invalid_request"),
        ({"client_id": "DIUNKNOWN00000000000"}, "invalid_client"),
        ({"client_assertion": "not-a-jwt"}, "invalid_client"),
    ],
)
def test_it_answers_oauths_errors(client, webapp, duo_code, change, error):
    response = client.post(URL, form(webapp, duo_code, **change), secure=True, HTTP_HOST=HOST)

    assert response.status_code in (400, 401)
    assert response.json()["error"] == error


def test_it_refuses_a_field_given_twice_differently(client, webapp, duo_code):
    path = f"{URL}?code=another-code-entirely"
    response = client.post(path, form(webapp, duo_code), secure=True, HTTP_HOST=HOST)
    assert response.json()["error"] == "invalid_request"


def test_a_client_assertion_works_once(client, webapp, code):
    first = form(webapp, sign_in(client, webapp, code))
    assert client.post(URL, first, secure=True, HTTP_HOST=HOST).status_code == 200
    again = form(webapp, sign_in(client, webapp, code), client_assertion=first["client_assertion"])

    response = client.post(URL, again, secure=True, HTTP_HOST=HOST)

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert "used before" in response.json()["error_description"]


def test_a_jti_of_any_characters_works_once(client, webapp, code):
    # A JSON string can hold a lone surrogate, which UTF-8 cannot encode.
    claims = {**webapp._create_jwt_args(f"https://{HOST}{URL}"), "jti": "\ud800"}
    assertion = jwt.encode(claims, webapp._client_secret, algorithm="HS512")
    first = form(webapp, sign_in(client, webapp, code), client_assertion=assertion)
    assert client.post(URL, first, secure=True, HTTP_HOST=HOST).status_code == 200
    again = form(webapp, sign_in(client, webapp, code), client_assertion=assertion)

    response = client.post(URL, again, secure=True, HTTP_HOST=HOST)

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    "change", [{"jti": None}, {"jti": 7}, {"jti": "j" * 256}, {"exp": time.time() + 86400}]
)
def test_it_refuses_an_assertion_without_a_jti_or_living_long(client, webapp, duo_code, change):
    claims = {**webapp._create_jwt_args(f"https://{HOST}{URL}"), **change}
    claims = {name: value for name, value in claims.items() if value is not None}
    assertion = jwt.encode(claims, webapp._client_secret, algorithm="HS512")

    response = client.post(
        URL, form(webapp, duo_code, client_assertion=assertion), secure=True, HTTP_HOST=HOST
    )

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_no_token_for_a_person_disabled_since_answering(client, webapp, duo_code, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    with served_by(client), pytest.raises(DuoException) as refused:
        webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    assert duo_error(refused)["error"] == "invalid_grant"


def test_a_length_that_is_no_number_is_refused(client, webapp, duo_code):
    # gunicorn refuses such a header itself; Django would raise reading the body.
    response = client.generic(
        "POST",
        URL,
        urlencode(form(webapp, duo_code)),
        "application/x-www-form-urlencoded",
        secure=True,
        HTTP_HOST=HOST,
        CONTENT_LENGTH="abc",
    )

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_it_refuses_a_get(client):
    response = client.get(URL, secure=True, HTTP_HOST=HOST)
    assert (response.status_code, response.json()["error"]) == (405, "invalid_request")


def test_it_records_the_exchange_with_the_application(client, webapp, duo_code, alice):
    with served_by(client):
        webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)
        with pytest.raises(DuoException):
            webapp.exchange_authorization_code_for_2fa_result(duo_code, ALICE)

    ok, replay = AuditEvent.objects.filter(action=AuditEvent.Action.DUO_TOKEN).order_by("pk")
    assert (ok.subject, ok.outcome, ok.detail["application"]) == (alice, "ok", "VPN")
    assert (replay.outcome, replay.detail["application"]) == ("invalid_grant", "VPN")
    assert duo_code not in str(ok.detail) + str(replay.detail)


def test_it_refuses_a_thousand_fields_in_oauths_envelope(client, webapp, duo_code):
    # Django gives up past DATA_UPLOAD_MAX_NUMBER_FIELDS; the client still gets JSON.
    crowded = {**form(webapp, duo_code), **{f"f{n}": "x" for n in range(1001)}}

    in_body = client.post(
        URL, urlencode(crowded), "application/x-www-form-urlencoded", secure=True, HTTP_HOST=HOST
    )
    in_query = client.post(
        URL + "?" + "&".join(f"f{n}=x" for n in range(1001)),
        form(webapp, duo_code),
        secure=True,
        HTTP_HOST=HOST,
    )

    for refused in (in_body, in_query):
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_request"
        assert refused.json()["error_description"] == "The request cannot be read."
