"""duo_unix 2.x's sequence of calls (lib/duo.c, duo_login), replayed with duo_client.

duo_unix signs version 2 canonical requests, posts forms, and sends its date
as X-Duo-Date. The parameters here are exactly the ones its source adds.
"""

import http.client
import time
import urllib.parse
from email.utils import formatdate

import pytest
from duo_client.client import sign

from bypass.models import BypassCode
from duoportal.models import AuditEvent
from tests.duo import auth_client

pytestmark = pytest.mark.django_db(transaction=True)

HOSTNAME = "bastion.example.edu"


@pytest.fixture
def duo_unix(live_server, vpn):
    integration, secret = vpn
    return auth_client(live_server.url, integration.ikey, secret, sig_version=2)


def login_duo(client, username, typed):
    """One `login_duo`: ping for the clock, preauth, the typed answer, auth, then auth_status."""
    assert client.json_api_call("GET", "/auth/v2/ping", {})["time"]
    preauth = client.json_api_call(
        "POST",
        "/auth/v2/preauth",
        {
            "text_prompt": "1",
            "username": username,
            "ipaddr": "203.0.113.9",
            "hostname": HOSTNAME,
            "failmode": "closed",
        },
    )
    if preauth["result"] != "auth":
        return preauth["result"], preauth["status_msg"]
    # duo_unix looks the typed answer up in prompt.factors; a passcode is not there.
    prompt = preauth["prompt"]["factors"].get(typed, typed)
    started = client.json_api_call(
        "POST",
        "/auth/v2/auth",
        {
            "username": username,
            "factor": "prompt",
            "prompt": prompt,
            "async": "1",
            "ipaddr": "203.0.113.9",
            "hostname": HOSTNAME,
            "pushinfo": "Server+IP=192.0.2.10&Command=ssh",
        },
    )
    for _ in range(20):
        status = client.json_api_call("GET", "/auth/v2/auth_status", {"txid": started["txid"]})
        if status["result"] != "waiting":
            return status["result"], status["status_msg"]
    raise AssertionError("auth_status never gave a result")


def test_it_lets_duo_unix_in_with_a_bypass_code(duo_unix, alice):
    _, code = BypassCode.objects.issue(alice, via="culink")

    assert login_duo(duo_unix, "alice@example.edu", code) == (
        "allow",
        "Success. Logging you in...",
    )
    assert BypassCode.objects.get(user=alice).uses == 1


def test_it_denies_duo_unix_a_wrong_passcode(duo_unix, alice):
    BypassCode.objects.issue(alice, via="culink")

    result, message = login_duo(duo_unix, "alice@example.edu", "000000000")

    assert (result, message) == ("deny", "Incorrect passcode. Please try again.")


def test_it_takes_a_unix_login_name(duo_unix, alice, settings):
    settings.DUO_USERNAME_FORMAT = "{local}"
    settings.DUO_USERNAME_DOMAIN = "example.edu"
    _, code = BypassCode.objects.issue(alice, via="culink")

    assert login_duo(duo_unix, "alice", code)[0] == "allow"


def test_it_sends_duo_unix_without_a_code_to_the_portal(duo_unix, alice):
    assert login_duo(duo_unix, "alice@example.edu", "123456789")[0] == "enroll"


def test_it_records_the_address_duo_unix_reports(duo_unix, alice):
    _, code = BypassCode.objects.issue(alice, via="culink")

    login_duo(duo_unix, "alice@example.edu", code)

    event = AuditEvent.objects.get(action="bypass_use")
    assert (event.ip, event.detail["factor"], event.outcome) == (
        "203.0.113.9",
        "prompt",
        "accepted",
    )


def test_it_checks_the_x_duo_date_duo_unix_signs(live_server, vpn):
    # duo_client cannot send X-Duo-Date, so this request is signed by hand
    # with duo_client's own sign(), the way duo_unix's https.c does it.
    integration, secret = vpn
    date = formatdate(time.time(), usegmt=False).replace("-0000", "+0000")
    params = {"username": "alice@example.edu", "text_prompt": "1"}
    authorization = sign(
        integration.ikey,
        secret,
        "POST",
        "localhost",
        "/auth/v2/preauth",
        date,
        2,
        {k: [v] for k, v in params.items()},
    )
    connection = http.client.HTTPConnection("localhost", int(live_server.url.rsplit(":", 1)[1]))
    connection.request(
        "POST",
        "/auth/v2/preauth",
        body=urllib.parse.urlencode(params),
        headers={
            "X-Duo-Date": date,
            "Authorization": authorization,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = connection.getresponse()

    assert response.status == 200
    assert b'"result": "enroll"' in response.read()
