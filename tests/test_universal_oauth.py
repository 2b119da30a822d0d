"""The Universal Prompt's wire format against duo_universal's own JWTs (duoapi/oauth.py)."""

import time
from urllib.parse import parse_qs, urlsplit

import duo_universal
import jwt
import pytest

from duoapi import oauth

CLIENT_ID = "DIXXXXXXXXXXXXXXXXXX"
SECRET = "s" * 40
OTHER_SECRET = "o" * 40
HOST = "localhost:8443"
TOKEN_URL = f"https://{HOST}/oauth/v1/token"
REDIRECT_URI = "https://app.example/duo-callback"


@pytest.fixture
def duo():
    return duo_universal.Client(CLIENT_ID, SECRET, HOST, REDIRECT_URI)


def for_token(aud):
    return aud == TOKEN_URL


def authorize_query(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def for_portal(aud):
    return oauth.names_endpoint(aud, hostname="localhost", port=8443, path="")


def test_it_verifies_duo_universals_client_assertion(duo):
    assertion = jwt.encode(duo._create_jwt_args(TOKEN_URL), SECRET, algorithm="HS512")

    claims, key = oauth.client_assertion(assertion, CLIENT_ID, [OTHER_SECRET, SECRET], for_token)

    # A float exp and no iat, as duo_universal sends them.
    assert isinstance(claims["exp"], float) and "iat" not in claims
    assert key == SECRET


def test_it_refuses_an_assertion_signed_with_another_secret(duo):
    assertion = jwt.encode(duo._create_jwt_args(TOKEN_URL), OTHER_SECRET, algorithm="HS512")

    with pytest.raises(oauth.OAuthError) as refused:
        oauth.client_assertion(assertion, CLIENT_ID, [SECRET], for_token)
    assert (refused.value.error, refused.value.status) == ("invalid_client", 401)


@pytest.mark.parametrize(
    "change",
    [
        {"aud": f"https://{HOST}/oauth/v1/health_check"},
        {"iss": "DIYYYYYYYYYYYYYYYYYY"},
        {"sub": "DIYYYYYYYYYYYYYYYYYY"},
        {"exp": time.time() - 120},
    ],
)
def test_it_refuses_an_assertion_for_another_endpoint_client_or_time(duo, change):
    assertion = jwt.encode({**duo._create_jwt_args(TOKEN_URL), **change}, SECRET, "HS512")

    with pytest.raises(oauth.OAuthError, match=r"aud|iss|expired"):
        oauth.client_assertion(assertion, CLIENT_ID, [SECRET], for_token)


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_it_refuses_any_algorithm_but_hs512(duo, algorithm):
    key = None if algorithm == "none" else SECRET
    assertion = jwt.encode(duo._create_jwt_args(TOKEN_URL), key, algorithm=algorithm)

    with pytest.raises(oauth.OAuthError):
        oauth.client_assertion(assertion, CLIENT_ID, [SECRET], for_token)


@pytest.mark.parametrize(
    ("aud", "names_it"),
    [
        ("https://localhost:8443/oauth/v1/token", True),
        ("https://LOCALHOST:8443/oauth/v1/token", True),
        ("https://localhost/oauth/v1/token", True),
        ("https://localhost:443/oauth/v1/token", True),
        ("https://localhost:9443/oauth/v1/token", False),
        ("http://localhost:8443/oauth/v1/token", False),
        ("https://evil.example/oauth/v1/token", False),
        ("https://localhost@evil.example/oauth/v1/token", False),
        ("https://localhost:8443/oauth/v1/token?x=1", False),
        ("https://localhost:8443/oauth/v1/token/", False),
        ("https://localhost:99999/oauth/v1/token", False),
        (["https://localhost:8443/oauth/v1/token"], False),
    ],
)
def test_it_knows_which_urls_name_this_portal(aud, names_it):
    named = oauth.names_endpoint(aud, hostname="localhost", port=8443, path="/oauth/v1/token")
    assert named == names_it


def test_it_reads_duo_universals_authorize_request(duo):
    state = duo.generate_state()
    nonce = "n" * 17
    query = authorize_query(duo.create_auth_url("alice@example.edu", state, nonce))

    claims = oauth.authorization_request(
        query["request"], CLIENT_ID, [SECRET], for_portal, query_nonce=query["nonce"]
    )

    assert claims == oauth.AuthorizationClaims(
        username="alice@example.edu",
        redirect_uri=REDIRECT_URI,
        state=state,
        nonce=nonce,
        use_duo_code_attribute=True,
    )


def test_it_takes_the_nonce_from_the_claims_as_other_sdks_send_it(duo):
    args = {**duo._create_jwt_args(f"https://{HOST}"), **request_claims(duo), "nonce": "n" * 20}
    token = jwt.encode(args, SECRET, algorithm="HS512")

    assert oauth.authorization_request(token, CLIENT_ID, [SECRET], for_portal).nonce == "n" * 20
    with pytest.raises(oauth.OAuthError, match="nonce"):
        oauth.authorization_request(token, CLIENT_ID, [SECRET], for_portal, query_nonce="other")


def request_claims(duo, **change):
    query = authorize_query(duo.create_auth_url("alice@example.edu", duo.generate_state()))
    return {**jwt.decode(query["request"], options={"verify_signature": False}), **change}


@pytest.mark.parametrize(
    "change",
    [
        {"state": "s" * 15},
        {"state": "s" * 1025},
        {"redirect_uri": ""},
        {"redirect_uri": "https://app.example/" + "x" * 237},
        {"redirect_uri": "javascript:alert(1)"},
        {"redirect_uri": "https://user@app.example/cb"},
        {"redirect_uri": "https://app.example/cb#fragment"},
        {"duo_uname": ""},
        {"duo_uname": "alice\x00"},
        {"duo_uname": "alice\ud800"},
        {"state": "s" * 20 + "\udfff"},
        {"redirect_uri": "https://app.example/\ud800"},
        {"nonce": "\ud800"},
        {"client_id": "DIYYYYYYYYYYYYYYYYYY"},
        {"iss": "DIYYYYYYYYYYYYYYYYYY"},
        {"aud": "https://evil.example"},
        {"response_type": "token"},
        {"scope": "profile"},
        {"use_duo_code_attribute": "yes"},
        {"exp": time.time() - 120},
    ],
)
def test_it_refuses_a_request_that_breaks_a_rule(duo, change):
    token = jwt.encode(request_claims(duo, **change), SECRET, algorithm="HS512")

    with pytest.raises(oauth.OAuthError):
        oauth.authorization_request(token, CLIENT_ID, [SECRET], for_portal)


def test_it_accepts_the_longest_state_and_redirect_uri(duo):
    uri = "https://app.example/" + "x" * 236
    claims = request_claims(duo, state="s" * 1024, redirect_uri=uri)
    token = jwt.encode(claims, SECRET, algorithm="HS512")

    assert oauth.authorization_request(token, CLIENT_ID, [SECRET], for_portal).redirect_uri == uri


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://app.example/cb?x=1", "https://app.example"),
        ("http://127.0.0.1:8080/duo-callback", "http://127.0.0.1:8080"),
        ("https://[::1]:8443/cb", "https://[::1]:8443"),
        ("https://App.Example:443/cb", "https://app.example:443"),
        ("ftp://app.example/cb", None),
        ("/relative", None),
        ("https://app.example;script-src *", None),
        ("https://app example/cb", None),
    ],
)
def test_it_gives_the_origin_a_form_may_lead_to(uri, origin):
    assert oauth.return_origin(uri) == origin


def test_it_adds_its_answer_to_a_redirect_uri_that_has_a_query():
    back = oauth.back_to("https://app.example/cb?next=/a%20b", duo_code="c", state="s&t")
    assert back == "https://app.example/cb?next=%2Fa+b&duo_code=c&state=s%26t"


def test_duo_universal_accepts_the_id_token(duo):
    token = oauth.id_token(
        SECRET,
        issuer=TOKEN_URL,
        client_id=CLIENT_ID,
        username="alice@example.edu",
        nonce="n" * 17,
        auth_time=time.time(),
        context={"factor": "passcode"},
    )

    # The very checks exchange_authorization_code_for_2fa_result makes.
    claims = jwt.decode(
        token,
        SECRET,
        audience=CLIENT_ID,
        issuer=TOKEN_URL,
        leeway=60,
        algorithms=["HS512"],
        options={"require": ["exp", "iat"], "verify_iat": True},
    )
    assert claims["aud"] == CLIENT_ID and claims["preferred_username"] == "alice@example.edu"
    assert all(isinstance(claims[name], int) for name in ("exp", "iat", "auth_time"))
    assert claims["nonce"] == "n" * 17
    assert claims["auth_result"] == {
        "result": "allow",
        "status": "allow",
        "status_msg": "Login Successful",
    }


def test_the_token_response_has_what_every_sdk_requires():
    answer = oauth.token_response("the.id.token")
    assert answer["id_token"] == "the.id.token" and answer["token_type"] == "Bearer"
    assert isinstance(answer["expires_in"], int) and answer["access_token"]
