"""The verifier against duo_client's own signing code (duo_client/client.py)."""

import base64
import json
import time
from email.utils import formatdate

import pytest
from duo_client.client import canonicalize, sign

from duoapi import signing

SECRET = "s" * 40
DATE = "Sat, 28 Nov 2026 03:29:35 -0000"


def digest_of(authorization):
    return base64.b64decode(authorization.split(" ")[1]).decode().split(":")[1]


def test_it_rebuilds_duo_clients_version_5_text_for_a_json_post():
    body = json.dumps(
        {"factor": "passcode", "username": "al ice"}, sort_keys=True, separators=(",", ":")
    )
    request = signing.SignedRequest(
        "POST", "localhost", "/auth/v2/auth", DATE, signing.json_params(body), body, json_body=True
    )

    expected = canonicalize("POST", "localhost", "/auth/v2/auth", {}, DATE, 5, body=body)
    assert signing.canonical(request, 5) == expected


def test_it_re_encodes_parameters_as_the_client_signed_them():
    # On the wire a space is "+"; duo_client signs "%20".
    params = signing.form_params("username=al+ice~x&ipaddr=1.2.3.4&a=%2F")
    request = signing.SignedRequest("GET", "localhost", "/auth/v2/check", DATE, params)

    assert signing.canon_params(params) == "a=%2F&ipaddr=1.2.3.4&username=al%20ice~x"
    authorization = sign("DIX", SECRET, "GET", "localhost", "/auth/v2/check", DATE, 2, params)
    assert signing.verify(request, digest_of(authorization), [SECRET])


@pytest.mark.parametrize("version", [2, 5])
def test_it_accepts_both_versions_for_a_get(version):
    params = {"txid": ["abc"]}
    authorization = sign(
        "DIX", SECRET, "GET", "LocalHost", "/auth/v2/auth_status", DATE, version, params, body=""
    )
    request = signing.SignedRequest("GET", "localhost", "/auth/v2/auth_status", DATE, params)

    assert signing.verify(request, digest_of(authorization), [SECRET])


def test_it_refuses_a_form_signed_as_version_5_and_json_signed_as_version_2():
    params = {"username": ["alice"]}
    v2 = sign("DIX", SECRET, "POST", "localhost", "/auth/v2/preauth", DATE, 2, params)
    as_json = signing.SignedRequest(
        "POST", "localhost", "/auth/v2/preauth", DATE, params, '{"username":"alice"}', True
    )

    assert not signing.verify(as_json, digest_of(v2), [SECRET])


@pytest.mark.parametrize(
    "change",
    [
        {"method": "GET"},
        {"host": "evil.example"},
        {"path": "/auth/v2/check"},
        {"date": "Sat, 28 Nov 2026 03:29:36 -0000"},
        {"body": '{"username":"bob"}'},
        {"duo_headers": {"x-duo-extra": "1"}},
    ],
)
def test_it_refuses_anything_changed_after_signing(change):
    body = '{"username":"alice"}'
    authorization = sign(
        "DIX", SECRET, "POST", "localhost", "/auth/v2/preauth", DATE, 5, {}, body=body
    )
    fields = dict(
        method="POST", host="localhost", path="/auth/v2/preauth", date=DATE,
        params={"username": ["alice"]}, body=body, json_body=True,
    )  # fmt: skip
    fields.update(change)

    assert not signing.verify(signing.SignedRequest(**fields), digest_of(authorization), [SECRET])


def test_it_accepts_any_of_several_secrets():
    authorization = sign("DIX", SECRET, "GET", "localhost", "/auth/v2/check", DATE, 5, {}, body="")
    request = signing.SignedRequest("GET", "localhost", "/auth/v2/check", DATE, {})

    assert signing.verify(request, digest_of(authorization), ["n" * 40, SECRET])
    assert not signing.verify(request, digest_of(authorization), ["n" * 40])


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer x", "Basic", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()],
)
def test_it_calls_malformed_credentials_missing(header):
    with pytest.raises(signing.SignatureError) as refused:
        signing.read_authorization(header)
    assert refused.value.code == 40101


@pytest.mark.parametrize("offset", [-301, 301])
def test_it_refuses_a_date_more_than_five_minutes_off(offset):
    now = time.time()
    with pytest.raises(signing.SignatureError) as refused:
        signing.check_date(formatdate(now + offset), now)
    assert refused.value.code == 40105


NOW = 1795836575  # Sat, 28 Nov 2026 03:29:35 UTC


@pytest.mark.parametrize(
    "date",
    [
        formatdate(NOW),  # duo_client: "-0000"
        formatdate(NOW, usegmt=True),  # "GMT"
        "Sat, 28 Nov 2026 03:29:35 +0000",  # duo_unix's X-Duo-Date
        "Sat, 28 Nov 2026 11:29:35 +0800",  # duo_client with sig_timezone
    ],
)
def test_it_reads_every_date_format_clients_send(date):
    signing.check_date(date, NOW)


@pytest.mark.parametrize("date", ["yesterday", "Sat, 99 Nov 2026 03:29:35 -0000"])
def test_it_refuses_a_date_it_cannot_read(date):
    with pytest.raises(signing.SignatureError) as refused:
        signing.check_date(date, time.time())
    assert refused.value.code == 40105


@pytest.mark.parametrize("body", ["[1]", "not json", '{"a": {"b": 1}}'])
def test_it_refuses_a_body_that_is_not_flat_json(body):
    with pytest.raises(signing.SignatureError) as refused:
        signing.json_params(body)
    assert refused.value.code == 40002


def test_it_reads_json_booleans_as_duo_client_sends_them():
    assert signing.json_params('{"a": true, "b": 3, "c": "x"}') == {
        "a": ["true"], "b": ["3"], "c": ["x"]
    }  # fmt: skip
