"""Bad input everywhere (hypothesis): every form field, URL parameter, cookie, request header
and Duo API parameter.

Empty, huge, NUL and control characters, invalid UTF-8, wrong JSON types,
repeated keys, other people's ids, SQL and HTML fragments; signed and not,
signed in and not. The portal answers each with a 4xx or a form error, never
a 5xx, and writes nothing but its audit events (and, for a wrong proof, the
failure its lock counts).
"""

import json
import os
from email.utils import formatdate
from urllib.parse import quote

import pytest
from django.apps import apps
from django.test import Client
from duo_client.client import sign
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bypass.models import BypassCode
from duoportal.models import AuditEvent, CULinkCard, User

pytestmark = pytest.mark.django_db

# The tables a bad request may write to: the trail, a proof's failure count, the session.
MAY_WRITE = {"auditevent", "prooflock", "session", "authorizationrequest"}

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    # Long enough to pass for a session key, but for the NUL.
    "0123456789abcdef\x00",
    "\x1f\x7f",
    "x" * 100_000,
    "' OR '1'='1' --",
    "1; DROP TABLE duoportal_user; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%00",
    "../../etc/passwd",
    "https://evil.example/",
    "//evil.example",
    "javascript:alert(1)",
    "٣٤٥٦٧٨٩٠١",
    "１２３４５６７８９",
    "😀" * 50,
    "-1",
    "99999999999999999999999999",
    "0x1F",
    "NaN",
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=300))
# Values as a JSON body may carry them: what duo_client never sends.
json_value = st.one_of(
    text,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(text, max_size=3),
    st.dictionaries(st.text(max_size=5), text, max_size=2),
)

FORMS = {
    "/verify/passcode/": ["passcode", "next"],
    "/bypass-code/card/check/": ["serial", "robot", "g-recaptcha-response"],
    "/bypass-code/card/code/": ["token"],
    "/bypass-code/rescue/code/": ["code"],
    "/bypass-code/rescue/new/": [],
    "/my-account/authenticators/add/": ["name"],
    "/my-account/bypass-code/revoke/": [],
    "/i18n/setlang/": ["language", "next"],
    "/sign-out/": [],
}
PAGES = ["/", "/verify/", "/verify/passcode/", "/bypass-code/", "/bypass-code/card/check/",
         "/bypass-code/rescue/code/", "/my-account/", "/accounts/login/"]  # fmt: skip
API = {
    "/auth/v2/preauth": ["username", "user_id", "ipaddr", "text_prompt"],
    "/auth/v2/auth": ["factor", "username", "user_id", "passcode", "prompt", "ipaddr", "async"],
}
UNIVERSAL = ["response_type", "client_id", "request", "redirect_uri", "scope", "state"]
TOKEN = ["grant_type", "code", "redirect_uri", "client_id", "client_assertion_type",
         "client_assertion"]  # fmt: skip

# BAD_INPUT_EXAMPLES=2000 for a longer hunt than CI's.
EXAMPLES = settings(
    max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def snapshot():
    """Rows per table, but those a refusal may write."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.model_name not in MAY_WRITE and model._meta.managed
    }


@pytest.fixture
def world(alice, bob, vpn):
    """Alice signed in with a card and a code; Bob, whose ids an attacker may try."""
    CULinkCard.objects.create(user=alice, serial="51002345")
    CULinkCard.objects.create(user=bob, serial="51007788")
    BypassCode.objects.issue(alice, via="culink")
    integration, secret = vpn
    return {"alice": alice, "bob": bob, "integration": integration, "secret": secret}


def answered(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    return response


def form_body(fields, values, repeat):
    """An urlencoded body, fields possibly repeated; values as UTF-8 or as raw bytes."""
    parts = []
    for field, value in zip(fields, values, strict=False):
        encoded = quote(value, safe="") if isinstance(value, str) else value.hex()
        parts += [f"{quote(field)}={encoded}"] * (2 if repeat else 1)
    return "&".join(parts)


@EXAMPLES
@given(
    path=st.sampled_from(sorted(FORMS)),
    values=st.lists(text, min_size=3, max_size=3),
    repeat=st.booleans(),
    signed_in=st.booleans(),
    raw=st.binary(max_size=40),
)
def test_no_form_field_makes_a_500_or_writes_anything(world, path, values, repeat, signed_in, raw):
    browser = Client()
    if signed_in:
        browser.force_login(world["alice"])
    before = snapshot()

    answered(
        browser.post(
            path, form_body(FORMS[path], values, repeat), "application/x-www-form-urlencoded"
        )
    )
    # Invalid UTF-8 and stray bytes, as the whole body.
    answered(browser.post(path, raw, "application/x-www-form-urlencoded"))

    after = snapshot()
    if path in ("/bypass-code/rescue/new/", "/my-account/authenticators/add/") and signed_in:
        # Without the second factor these refuse; nothing else may have changed.
        after = {k: v for k, v in after.items() if not k.startswith(("rescue.", "duoportal.Auth"))}
        before = {k: v for k, v in before.items() if k in after}
    assert after == before


@EXAMPLES
@given(page=st.sampled_from(PAGES), name=text, value=text, signed_in=st.booleans())
def test_no_url_parameter_makes_a_500(world, page, name, value, signed_in):
    browser = Client()
    if signed_in:
        browser.force_login(world["alice"])
    query = f"{quote(name, safe='')}={quote(value, safe='')}&next={quote(value, safe='')}"
    before = snapshot()

    answered(browser.get(f"{page}?{query}"))

    assert snapshot() == before


@EXAMPLES
@given(
    page=st.sampled_from(PAGES),
    name=st.sampled_from(["sessionid", "csrftoken", "django_language"]),
    value=text,
    signed_in=st.booleans(),
)
# Once a 500 on PostgreSQL, which refuses a NUL byte in a query.
@example(page="/my-account/", name="sessionid", value="0123456789abcdef\x00", signed_in=False)
def test_no_cookie_makes_a_500(world, page, name, value, signed_in):
    browser = Client()
    if signed_in:
        browser.force_login(world["alice"])
    cookies = {key: morsel.value for key, morsel in browser.cookies.items()}
    # What the wire carries: bytes, which WSGI hands over as Latin-1.
    cookies[name] = value.encode("utf-8", "surrogatepass").decode("latin-1")
    header = "; ".join(f"{key}={value}" for key, value in cookies.items())
    before = snapshot()

    answered(browser.get(page, HTTP_COOKIE=header))
    answered(browser.post("/verify/passcode/", {"passcode": "123456789"}, HTTP_COOKIE=header))

    assert snapshot() == before


@EXAMPLES
@given(
    page=st.sampled_from(PAGES),
    header=st.sampled_from(
        ["HTTP_USER_AGENT", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_FORWARDED_FOR", "HTTP_REFERER"]
    ),
    value=text,
    signed_in=st.booleans(),
    behind_a_proxy=st.booleans(),
)
def test_no_request_header_makes_a_500(
    world, settings, page, header, value, signed_in, behind_a_proxy
):
    settings.TRUSTED_PROXY_COUNT = 1 if behind_a_proxy else 0
    browser = Client()
    if signed_in:
        browser.force_login(world["alice"])
    # What the wire carries: bytes, which WSGI hands over as Latin-1.
    headers = {header: value.encode("utf-8", "surrogatepass").decode("latin-1")}
    before = snapshot()

    answered(browser.get(page, **headers))
    answered(browser.post("/verify/passcode/", {"passcode": "123456789"}, **headers))

    assert snapshot() == before


def signed_post(path, params, ikey, skey, *, good=True):
    """A v5 POST signed as duo_client signs it; `params` a dict, or the body itself."""
    date = formatdate()
    body = params if isinstance(params, str) else json.dumps(params, sort_keys=True)
    authorization = sign(ikey, skey, "POST", "testserver", path, date, 5, {}, body=body)
    if not good:
        authorization = authorization[:-4] + "AAA="
    return Client().post(
        path, body, "application/json", HTTP_AUTHORIZATION=authorization, HTTP_DATE=date
    )


@EXAMPLES
@given(
    path=st.sampled_from(sorted(API)),
    values=st.lists(json_value, min_size=7, max_size=7),
    good_signature=st.booleans(),
    other_person=st.booleans(),
)
def test_no_duo_api_parameter_makes_a_500(world, path, values, good_signature, other_person):
    params = dict(zip(API[path], values, strict=False))
    if other_person:
        params["user_id"] = str(world["bob"].pk)
    before = snapshot()

    response = answered(
        signed_post(
            path,
            params,
            world["integration"].ikey,
            world["secret"],
            good=good_signature,
        )
    )

    assert response.json()["stat"] in ("OK", "FAIL")
    if not good_signature:
        # A body over 64 KiB is refused before its signature is read.
        unread = response.json().get("message_detail") == "request body too large"
        assert response.status_code == (400 if unread else 401)
    assert snapshot() == before


def test_a_duo_api_body_of_megabytes_is_refused_unread(world):
    before = snapshot()
    huge = {"username": "alice@example.edu", "factor": "passcode", "passcode": "1" * 2**20}

    response = signed_post("/auth/v2/auth", huge, world["integration"].ikey, world["secret"])

    assert response.status_code == 400
    assert response.json()["code"] == 40002
    assert response.json()["message_detail"] == "request body too large"
    assert snapshot() == before


# JSON's escape for a lone surrogate: no UTF-8 text holds it (hypothesis never makes one),
# so neither the database nor a log can take it.
SURROGATE = "\ud800"


@pytest.mark.parametrize("path", sorted(API))
@pytest.mark.parametrize("field", ["username", "user_id", "passcode", "ipaddr", "factor"])
def test_a_lone_surrogate_in_a_duo_api_body_is_refused(world, path, field):
    params = {"factor": "passcode", "passcode": "123456789", field: SURROGATE}
    if field != "user_id":
        params.setdefault("username", world["alice"].username)
    before = snapshot()

    response = signed_post(path, params, world["integration"].ikey, world["secret"])

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["message_detail"]) == (40002, field)
    assert snapshot() == before


def test_a_lone_surrogate_as_a_duo_api_parameters_name_is_refused(world):
    response = signed_post(
        "/auth/v2/preauth", {SURROGATE: "x", "username": "alice"},
        world["integration"].ikey, world["secret"],
    )  # fmt: skip

    assert response.status_code == 400 and response.json()["code"] == 40002


def test_json_nested_thousands_deep_is_refused(world):
    before = snapshot()

    response = signed_post(
        "/auth/v2/auth", "[" * 5000 + "]" * 5000, world["integration"].ikey, world["secret"]
    )

    assert response.status_code == 400
    assert response.json()["message_detail"] == "body is not JSON"
    assert snapshot() == before


@pytest.mark.parametrize("ikey", ["DI\x00" + "A" * 17, "DI-" + "A" * 17, "DI " + "A" * 17])
def test_an_integration_key_that_is_no_key_is_unknown(world, ikey):
    # PostgreSQL refuses NUL in a query; such a key is nobody's and is not looked up.
    before = snapshot()

    response = signed_post("/auth/v2/preauth", {"username": "alice"}, ikey, world["secret"])

    assert response.status_code == 401 and response.json()["code"] == 40102
    assert snapshot() == before


@pytest.mark.parametrize("username", [SURROGATE, "alice" + SURROGATE + "@example.edu"])
def test_a_lone_surrogate_in_a_universal_prompt_request_is_refused(world, webapp, username):
    from tests.universal import browser_get

    before = snapshot()

    refused = answered(browser_get(Client(), webapp.create_auth_url(username, "s" * 36)))

    assert refused.status_code == 400
    assert "sign-in request is not valid" in refused.content.decode()
    event = AuditEvent.objects.get(action="duo_authorize")
    assert event.detail["reason"] == "`duo_uname` holds a control character or a lone surrogate."
    assert snapshot() == before


@EXAMPLES
@given(values=st.lists(text, min_size=6, max_size=6), repeat=st.booleans())
def test_no_universal_prompt_parameter_makes_a_500(world, values, repeat):
    before = snapshot()
    query = form_body(UNIVERSAL, values, repeat)

    answered(Client().get(f"/oauth/v1/authorize?{query}"))
    answered(
        Client().post(
            "/oauth/v1/token", form_body(TOKEN, values, repeat), "application/x-www-form-urlencoded"
        )
    )
    answered(
        Client().post(
            f"/oauth/v1/prompt/{quote(values[0], safe='') or 'x'}", {"passcode": values[1]}
        )
    )

    assert snapshot() == before


def test_the_nasty_strings_reach_the_checks(world):
    # A guard for the test itself: a well-formed wrong passcode from Alice is refused and counted.
    browser = Client()
    browser.force_login(world["alice"])
    response = browser.post("/verify/passcode/", {"passcode": "000000000"})
    assert response.status_code == 200 and "Wrong passcode." in response.text
    assert User.objects.get(pk=world["alice"].pk).proof_locks.get().failures == 1


@EXAMPLES
@given(values=st.lists(text, min_size=2, max_size=2), repeat=st.booleans())
def test_no_passcode_typed_at_a_universal_prompt_makes_a_500(world, webapp, values, repeat):
    from tests.universal import browser_get

    browser = Client()
    prompt = browser_get(browser, webapp.create_auth_url(world["alice"].username, "s" * 36))
    before = snapshot()

    answered(
        browser.post(
            prompt["Location"],
            form_body(["passcode", "cancel"][: 1 + repeat], values, repeat),
            "application/x-www-form-urlencoded",
        )
    )

    assert snapshot() == before
