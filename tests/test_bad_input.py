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
import time
from email.utils import formatdate
from urllib.parse import parse_qs, quote, urlsplit

import jwt
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.db import connection
from django.test import Client
from django.urls import reverse
from duo_client.client import sign
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bypass.models import BypassCode
from duoapi import oauth
from duoapi.models import AuthTransaction, Integration
from duoportal.admin import FILTER_SUFFIXES
from duoportal.models import AuditEvent, AuthenticatorDevice, CULinkCard, User
from tests.conftest import pass_prompt
from tests.universal import HOST, browser_get, browser_post, returned, universal_client

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


# Behind the portal's own second factor: a session that has passed "Enter a Passcode".


def contents():
    """What is in each table (by label) but those a refusal may write, for an UPDATE to
    show as well as an INSERT (a revoked code or a replaced app keeps the count).

    On PostgreSQL, the rows this test's transaction has inserted, updated and deleted so
    far, from its statistics: one query, where reading every table took most of the time.
    Elsewhere, every row of every table.
    """
    if connection.vendor != "postgresql":
        return {
            model._meta.label: list(model._base_manager.order_by("pk").values_list())
            for model in apps.get_models()
            if model._meta.model_name not in MAY_WRITE and model._meta.managed
        }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        rows = cursor.fetchall()
    labels = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    return {
        labels[table]._meta.label if table in labels else table: count
        for table, count in rows
        if table not in labels or labels[table]._meta.model_name not in MAY_WRITE
    }


def changed(before, after):
    return {label for label in before if before[label] != after[label]}


def past_the_door(response):
    """A guard for the test itself: the session was not sent back to "Enter a Passcode"
    (nor, in admin, to its sign-in, where a lapsed second factor sends staff)."""
    door = response.get("Location", "").startswith(("/verify/", "/admin/login/"))
    assert not door, response["Location"]
    return response


def fresh(client, signed_in=None):
    """`client` as a new browser: without cookies, or in the session of `signed_in`.

    A new Client for each example would be most of the test's time (WhiteNoise reads
    the static files for each); so would passing the second factor for each.
    """
    client.cookies.clear()
    if signed_in is not None:
        client.cookies.load({name: morsel.value for name, morsel in signed_in.cookies.items()})
    return client


@pytest.fixture
def alice_verified(world):
    return pass_prompt(Client(), world["alice"])


@pytest.fixture
def authenticators(world):
    """Alice's app, and Bob's app and the one he is adding: ids an attacker may try."""
    for person, name in [(world["alice"], "Alice's phone"), (world["bob"], "Bob's phone")]:
        device = AuthenticatorDevice.objects.start(person, name)
        AuthenticatorDevice.objects.filter(pk=device.pk).update(confirmed=True)
    return {
        "bob's app": AuthenticatorDevice.objects.get(user=world["bob"]).pk,
        "bob's new app": AuthenticatorDevice.objects.start(world["bob"], "Tablet").pk,
    }


# `{pk}`: an authenticator's id, Alice's own (the one she is adding) or not.
VERIFIED_FORMS = {
    "/my-account/authenticators/add/": ["name"],
    "/my-account/authenticators/{pk}/confirm/": ["code"],
    "/my-account/authenticators/{pk}/remove/": [],
    "/bypass-code/rescue/new/": [],
    "/my-account/bypass-code/revoke/": [],
}
# What these forms may write besides MAY_WRITE when what was posted is good enough, and
# why, with the answer of the form that did it: the form doing its job for Alice, never a
# bad input getting through. A form error writes nothing.
VERIFIED_WRITES = {
    # A valid name starts a new app, replacing the one she was adding.
    "/my-account/authenticators/add/": ({"duoportal.AuthenticatorDevice"}, 302),
    # Buttons without fields: any POST of hers makes a new set (shown once), or revokes
    # her live code.
    "/bypass-code/rescue/new/": ({"rescue.RescueCode"}, 200),
    "/my-account/bypass-code/revoke/": ({"bypass.BypassCode"}, 302),
}
VERIFIED_PAGES = [
    "/my-account/",
    "/my-account/authenticators/{pk}/confirm/",
    "/bypass-code/rescue/new/",
    "/bypass-code/card/verified/",
    "/verify/",
    "/verify/passcode/",
]
APP_IDS = ["alice's new app", "bob's app", "bob's new app", "0", "-1", "99999999999999999999"]
# Her own app as often as another's or a made-up id: only hers gets past the lookup.
app_id = st.one_of(st.just(APP_IDS[0]), st.sampled_from(APP_IDS[1:]), text)


def app_path(path, whose, alice, authenticators):
    """`path` for the authenticator `whose` (an APP_IDS name, or any text for the id)."""
    if whose == "alice's new app":
        adding = alice.authenticators.filter(confirmed=False).first()
        pk = (adding or AuthenticatorDevice.objects.start(alice, "Phone")).pk
    else:
        pk = authenticators.get(whose, quote(whose, safe="") or "x")
    return path.replace("{pk}", str(pk))


@pytest.mark.parametrize("path", VERIFIED_FORMS)
@EXAMPLES
@given(
    whose=app_id,
    values=st.lists(text, min_size=1, max_size=1),
    repeat=st.booleans(),
    raw=st.binary(max_size=40),
)
def test_no_form_behind_the_second_factor_makes_a_500_or_writes_more_than_its_job(
    client, world, alice_verified, authenticators, path, whose, values, repeat, raw
):
    # Removing her own app is the form's job; only other people's ids are tried there.
    assume(not (path.endswith("/remove/") and whose == "alice's new app"))
    browser = fresh(client, alice_verified)
    url = app_path(path, whose, world["alice"], authenticators)
    body = form_body(VERIFIED_FORMS[path] or ["next"], values, repeat)
    before = contents()

    posted = answered(browser.post(url, body, "application/x-www-form-urlencoded"))
    # Invalid UTF-8 and stray bytes, as the whole body.
    raw_posted = answered(browser.post(url, raw, "application/x-www-form-urlencoded"))

    statuses = {past_the_door(response).status_code for response in (posted, raw_posted)}

    if "{pk}" in path and whose != "alice's new app":
        assert statuses == {404}
    written = changed(before, contents())
    tables, done = VERIFIED_WRITES.get(path, (set(), None))
    assert written <= tables, written
    if written:
        assert done in statuses


@pytest.mark.parametrize("page", VERIFIED_PAGES)
@EXAMPLES
@given(whose=app_id, name=text, value=text)
def test_no_url_parameter_behind_the_second_factor_makes_a_500(
    client, world, alice_verified, authenticators, page, whose, name, value
):
    browser = fresh(client, alice_verified)
    url = app_path(page, whose, world["alice"], authenticators)
    query = f"{quote(name, safe='')}={quote(value, safe='')}&next={quote(value, safe='')}"
    before = contents()

    response = past_the_door(answered(browser.get(f"{url}?{query}")))

    if "{pk}" in page and whose != "alice's new app":
        assert response.status_code == 404
    assert contents() == before


# The Auth API's GET endpoints, signed in the query as duo_client signs them.
API_GET = ["/auth/v2/ping", "/auth/v2/check", "/auth/v2/auth_status"]


def signed_get(client, path, params, ikey, skey, *, good=True):
    """A v5 GET signed as duo_client signs it; `params` maps each name to its values."""
    date = formatdate()
    authorization = sign(ikey, skey, "GET", "testserver", path, date, 5, params, body="")
    if not good:
        authorization = authorization[:-4] + "AAA="
    query = "&".join(
        f"{quote(name, safe='~')}={quote(value, safe='~')}"
        for name, values in params.items()
        for value in values
    )
    return client.get(f"{path}?{query}", HTTP_AUTHORIZATION=authorization, HTTP_DATE=date)


@pytest.fixture
def transactions(world, wiki):
    """The txids of an async auth of the VPN's and of another application's."""
    answer = {"result": "deny", "status": "deny", "status_msg": "Incorrect passcode."}
    return {
        "the VPN's": AuthTransaction.objects.record(world["integration"], **answer),
        "another application's": AuthTransaction.objects.record(wiki[0], **answer),
    }


@pytest.mark.parametrize("path", API_GET)
@EXAMPLES
@given(
    txid=st.one_of(st.sampled_from(["the VPN's", "another application's"]), text),
    extra=st.dictionaries(text, text, max_size=2),
    repeat=st.booleans(),
)
def test_no_duo_api_query_parameter_makes_a_500(
    client, world, transactions, path, txid, extra, repeat
):
    txid = transactions.get(txid, txid)
    params = {**{name: [value] for name, value in extra.items()}, "txid": [txid] * (1 + repeat)}
    keys = world["integration"].ikey, world["secret"]
    before = snapshot()

    signed = answered(signed_get(client, path, params, *keys))
    badly_signed = answered(signed_get(client, path, params, *keys, good=False))

    assert {signed.json()["stat"], badly_signed.json()["stat"]} <= {"OK", "FAIL"}
    if path != "/auth/v2/ping":
        assert badly_signed.status_code == 401
    if path == "/auth/v2/auth_status" and not repeat:
        # Only the VPN's own transaction is answered, to the VPN.
        assert (signed.status_code == 200) == (txid == transactions["the VPN's"])
    assert snapshot() == before


# The Universal Prompt, with what is signed with the integration's real secret.


def signed_jwt(claims, secret):
    """A JWT signed as duo_universal's are (PyJWT, HS512), whatever JSON it holds:
    jwt.encode itself refuses an `iss` that is no string, which an attacker may send."""
    return jwt.PyJWS().encode(json.dumps(claims).encode(), secret, algorithm=oauth.ALGORITHM)


def request_claims(app, username):
    """The claims of duo_universal's own authorize request for `username`."""
    url = app.create_auth_url(username, app.generate_state())
    token = parse_qs(urlsplit(url).query)["request"][0]
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def wiki(db):
    """Another application: (integration, secret key)."""
    return Integration.objects.create_integration("Wiki")


CLIENT_IDS = [
    "{client id}", "{client id} ", "{client id, lower-cased}", "{another application's client id}",
]  # fmt: skip


def client_ids(world, wiki):
    """The client ids CLIENT_IDS stand for."""
    ikey = world["integration"].ikey
    return dict(zip(CLIENT_IDS, [ikey, f"{ikey} ", ikey.lower(), wiki[0].ikey], strict=True))


def filled(value, ids):
    return ids.get(value, value) if isinstance(value, str) else value


# Left out altogether.
DROP = object()
# Each claim and field nearly right, so that a request gets past the checks before its
# own: a time about now (as a number, a float or a numeric string), an address nearly
# the portal's or the application's, a client id nearly the VPN's or another's.
moment = st.integers(-400, 400).flatmap(
    lambda offset: st.sampled_from(
        [int(time.time()) + offset, time.time() + offset, str(int(time.time()) + offset)]
    )
)
client_id = st.sampled_from(CLIENT_IDS)
ADDRESSES = [
    f"https://{HOST}", f"https://{HOST}/oauth/v1/token", f"https://{HOST}/oauth/v1/health_check",
    f"http://{HOST}/oauth/v1/token", "https://localhost/oauth/v1/token",
    "https://localhost:443/oauth/v1/token", f"https://user@{HOST}/oauth/v1/token",
    f"https://{HOST}/oauth/v1/token?x#y", f"https://{HOST.upper()}/oauth/v1/token",
    "https://localhost:99999/oauth/v1/token", "https://[::1]/cb", "http://app.example/cb",
    "https://app.example:8443/cb?x=1", "https://app.example/#f", "javascript:alert(1)",
    "//app.example/", "https://ａpp.example/", "https://app.example\x00/", "https:///cb",
]  # fmt: skip
address = st.one_of(
    st.sampled_from(ADDRESSES),
    text.map(lambda tail: f"https://{HOST}{tail}"),
    text.map(lambda tail: f"https://app.example/{tail}"),
)
NEAR_CLAIMS = {
    "aud": address,
    "client_id": client_id,
    "duo_uname": st.one_of(
        text,
        st.sampled_from(["bob@example.edu", "BOB@EXAMPLE.EDU", "bob", " alice@example.edu"]),
    ),
    "exp": moment,
    "iat": moment,
    "iss": client_id,
    "jti": text,
    "nbf": moment,
    "nonce": text,
    "redirect_uri": address,
    "response_type": st.sampled_from(["token", "CODE", " code", ["code"]]),
    "scope": text.map(lambda tail: f"openid {tail}"),
    "state": text.map(lambda tail: ("s" * 16 + tail)[:1024]),
    "sub": client_id,
    "use_duo_code_attribute": st.sampled_from([False, 0, 1, "true"]),
}
# The authorize URL's own parameters, beside its `request`.
NEAR_QUERY = {
    "?response_type": st.sampled_from(["token", "CODE", "code "]),
    "?client_id": client_id,
    "?nonce": text,
}
ASSERTION_CLAIMS = ["aud", "exp", "iat", "iss", "jti", "nbf", "sub"]
NEAR_FIELDS = {
    "grant_type": st.sampled_from(["refresh_token", "AUTHORIZATION_CODE", "authorization_code "]),
    "code": st.sampled_from(["alice's", "another application's"]),
    "redirect_uri": address,
    "client_id": client_id,
    "client_assertion_type": text.map(lambda tail: oauth.CLIENT_ASSERTION_TYPE + tail),
}


def mostly(usual, unusual):
    """A value of `usual` three times in four, else of `unusual`."""
    return st.sampled_from([usual, usual, usual, unusual]).flatmap(lambda strategy: strategy)


def change(near, anything):
    """A new value: mostly nearly right, else anything at all, or DROP."""
    kinds = {"near": near, "anything": anything, "drop": st.just(DROP)}
    return st.sampled_from(["near", "near", "anything", "drop"]).flatmap(kinds.get)


def changed_to(values, name, value):
    """`values` with `name` set to `value`, or left out for DROP."""
    values = {key: given for key, given in values.items() if key != name}
    return values if value is DROP else {**values, name: value}


@pytest.mark.parametrize("name", [*sorted(NEAR_CLAIMS), *NEAR_QUERY])
@EXAMPLES
@given(data=st.data(), repeat=st.booleans(), passcode=text)
def test_no_claim_of_a_validly_signed_authorize_request_makes_a_500(
    client, world, webapp, wiki, name, data, repeat, passcode
):
    """One claim of duo_universal's request for Alice (signed with the VPN's secret), or one
    parameter beside it, changed or left out."""
    near = NEAR_QUERY[name] if name in NEAR_QUERY else NEAR_CLAIMS[name]
    anything = text if name in NEAR_QUERY else json_value
    value = filled(data.draw(change(near, anything), label=name), client_ids(world, wiki))
    claims = request_claims(webapp, world["alice"].username)
    if name not in NEAR_QUERY:
        claims = changed_to(claims, name, value)
    query = {"response_type": "code", "client_id": world["integration"].ikey}
    if name in NEAR_QUERY:
        query = changed_to(query, name[1:], value)
    query["request"] = signed_jwt(claims, world["secret"])
    browser = fresh(client)
    before = contents()

    url = f"/oauth/v1/authorize?{form_body(list(query), list(query.values()), repeat)}"
    response = answered(browser_get(browser, url))
    if response.status_code == 302:
        # The prompt, drawn with whatever the request held; a wrong passcode; then Cancel,
        # which sends the browser back to the request's redirect_uri with its state.
        answered(browser_get(browser, response["Location"]))
        answered(browser_post(browser, response["Location"], {"passcode": passcode}))
        answered(browser_post(browser, response["Location"], {"cancel": ""}))

    assert contents() == before


@pytest.fixture
def duo_codes(world, webapp, wiki):
    """One-time codes of Alice's allowed prompts: the VPN's, and another application's."""
    _, passcode = BypassCode.objects.issue(world["alice"], via="culink")
    codes = {}
    for name, app in [("alice's", webapp), ("another application's", universal_client(*wiki))]:
        browser = Client()
        prompt = browser_get(browser, app.create_auth_url(world["alice"].username, "s" * 36))
        codes[name] = returned(browser_post(browser, prompt["Location"], {"passcode": passcode}))
    return {name: answer["duo_code"] for name, answer in codes.items()}


@pytest.mark.parametrize("name", [*ASSERTION_CLAIMS, *NEAR_FIELDS])
@EXAMPLES
@given(data=st.data(), in_query=st.booleans(), repeat=st.booleans())
def test_no_field_beside_a_valid_client_assertion_makes_a_500(
    client, world, webapp, wiki, duo_codes, name, data, in_query, repeat
):
    """One claim of the client assertion (signed with the VPN's secret), or one other field
    of a token request, changed or left out; the rest as duo_universal sends them."""
    near = NEAR_CLAIMS[name] if name in ASSERTION_CLAIMS else NEAR_FIELDS[name]
    value = filled(data.draw(change(near, json_value), label=name), client_ids(world, wiki))
    if name not in ASSERTION_CLAIMS and value is not DROP:
        # A form field is text: anything else is sent as its JSON.
        value = duo_codes.get(value, value) if isinstance(value, str) else json.dumps(value)

    def call(path, fields):
        claims = webapp._create_jwt_args(f"https://{HOST}{path}")
        if name in ASSERTION_CLAIMS:
            claims = changed_to(claims, name, value)
        elif name in fields:
            fields = changed_to(fields, name, value)
        fields = {**fields, "client_assertion": signed_jwt(claims, world["secret"])}
        body = form_body(list(fields), list(fields.values()), repeat)
        if in_query:
            # As duo_universal sends them: every field in the query of an empty POST.
            return client.post(f"{path}?{body}", secure=True, HTTP_HOST=HOST)
        return client.post(
            path, body, "application/x-www-form-urlencoded", secure=True, HTTP_HOST=HOST
        )

    token = {
        "grant_type": "authorization_code",
        "code": duo_codes["alice's"],
        "redirect_uri": webapp._redirect_uri,
        "client_id": world["integration"].ikey,
        "client_assertion_type": oauth.CLIENT_ASSERTION_TYPE,
    }
    before = contents()

    answered(call("/oauth/v1/token", token))
    answered(call("/oauth/v1/health_check", {"client_id": world["integration"].ikey}))

    assert contents() == before


# The helpdesk's admin, for a helpdesk user past the second factor.


def filter_parameters(model_admin):
    """The query parameters a changelist's own filters read."""
    names = set()
    for item in model_admin.list_filter:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            names.add(item.parameter_name)
            continue
        path = item[0] if isinstance(item, list | tuple) else item
        names.update(path + suffix for suffix in FILTER_SUFFIXES)
    return names


# Search, ordering, pages, pop-ups, and where the change form sends back to.
LIST_PARAMETERS = {"q", "o", "p", "all", "e", "_popup", "_to_field", "_changelist_filters"}
# Each list Helen may see, and the parameters it reads.
ADMIN_LISTS = {
    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"): sorted(
        LIST_PARAMETERS | filter_parameters(model_admin)
    )
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in ("duoportal", "bypass", "rescue")
}
# What the filters expect, nearly: people's ids (filled in), dates, addresses, choices.
ADMIN_VALUES = [
    "{alice}", "{bob}", "{helen}", "{root}", "yes", "no", "self", "culink", "helpdesk",
    "True", "1", "0", "1.5", "2026-02-30", "2026-11-28 14:32", "0001-01-01", "9999-12-31",
    "198.51.100.7", "::1", "5100 2345", "-pk", "1.-1", "id", "__str__", "user__password",
    "\x00", "yes\x00", "5100\x002345",
]  # fmt: skip
admin_value = st.one_of(st.sampled_from(ADMIN_VALUES), text)
PERSON_PAGES = [
    "change/", "history/", "delete/", "revoke-code/", "unlock/", "issue-code/", "set-active/",
    "void-rescue-codes/", "card-lost/{card}/", "card-replace/{card}/",
]  # fmt: skip
# What a person's page reads besides: the list to go back to, pop-ups, and the like.
page_parameter = st.one_of(
    st.sampled_from(["_changelist_filters", "_popup", "_to_field", "next", "kind", "reason"]),
    text,
)


@pytest.fixture
def people(world, helen, root):
    """Alice and Bob; Helen of the helpdesk and Root, whose pages she may only look at."""
    return {
        "alice": world["alice"],
        "bob": world["bob"],
        "helen": helen,
        "root": root,
        "alice's card": world["alice"].cards.get(),
        "bob's card": world["bob"].cards.get(),
    }


@pytest.fixture
def helen_verified(people):
    return pass_prompt(Client(), people["helen"])


def placeholders(people):
    """ "{alice}" and the like, for the ids they stand for."""
    return {f"{{{name}}}": str(thing.pk) for name, thing in people.items()}


def admin_query(params, people, repeat):
    ids = placeholders(people)
    pairs = [(name, ids.get(value, value)) for name, value in params]
    return form_body([name for name, _ in pairs], [value for _, value in pairs], repeat)


def read(response):
    """The whole body, a streamed one (the audit trail's CSV export) too."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response


# A time typed without its offset (?at__lt=2026-11-28+14:32) is read in TIME_ZONE, as
# Django's date filter reads it: a 200 with Django's RuntimeWarning, which this suite
# otherwise turns into an error.
NAIVE_TIME = "ignore:DateTimeField AuditEvent.at received a naive datetime:RuntimeWarning"


@pytest.mark.filterwarnings(NAIVE_TIME)
@pytest.mark.parametrize("page", ADMIN_LISTS)
@EXAMPLES
@given(data=st.data(), repeat=st.booleans())
def test_no_admin_list_parameter_makes_a_500_for_helpdesk(
    client, people, helen_verified, page, data, repeat
):
    # Mostly the list's own parameters, one or two: any other is refused before the
    # filters run.
    name = mostly(st.sampled_from(ADMIN_LISTS[page]), text)
    params = data.draw(st.lists(st.tuples(name, admin_value), min_size=1, max_size=2))
    browser = fresh(client, helen_verified)
    query = admin_query(params, people, repeat)
    before = contents()

    past_the_door(answered(read(browser.get(f"{page}?{query}"))))

    assert contents() == before


trail_parameter = mostly(st.sampled_from(ADMIN_LISTS["/admin/duoportal/auditevent/"]), text)


@pytest.mark.filterwarnings(NAIVE_TIME)
@EXAMPLES
@given(
    params=st.lists(st.tuples(trail_parameter, admin_value), min_size=1, max_size=2),
    term=admin_value,
    repeat=st.booleans(),
)
def test_no_parameter_of_the_trails_export_or_a_lookup_makes_a_500_for_helpdesk(
    client, people, helen_verified, params, term, repeat
):
    browser = fresh(client, helen_verified)
    query = admin_query(params, people, repeat)
    lookup = "app_label=duoportal&model_name=culinkcard&field_name=user"
    before = contents()

    answered(read(browser.get(f"/admin/duoportal/auditevent/export.csv?{query}")))
    answered(browser.get(f"/admin/autocomplete/?{lookup}&term={quote(term, safe='')}"))

    assert contents() == before


@pytest.mark.parametrize("page", PERSON_PAGES)
@EXAMPLES
@given(
    whose=st.one_of(st.sampled_from(["{alice}", "{bob}", "{helen}", "{root}"]), text),
    card=st.one_of(st.sampled_from(["{alice's card}", "{bob's card}"]), st.integers(min_value=0)),
    params=st.lists(st.tuples(page_parameter, admin_value), max_size=3),
    repeat=st.booleans(),
)
# A 500 on change/ and delete/ until fixed: Django checks `_to_field` only when it is not
# empty, then looks up the field named "" (FieldDoesNotExist).
@example(whose="{alice}", card="{alice's card}", params=[("_to_field", "")], repeat=False)
def test_no_parameter_of_a_persons_page_makes_a_500_for_helpdesk(
    client, people, helen_verified, page, whose, card, params, repeat
):
    browser = fresh(client, helen_verified)
    ids = placeholders(people)
    person = ids.get(whose, quote(whose, safe=""))
    page = page.replace("{card}", ids.get(card, str(card)))
    query = admin_query(params, people, repeat)
    before = contents()

    past_the_door(answered(browser.get(f"/admin/duoportal/user/{person}/{page}?{query}")))

    assert contents() == before
