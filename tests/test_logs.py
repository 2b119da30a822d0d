"""The logs: one line per request, each line with the request's id, and never a secret."""

import base64
import json
import logging
import re
from datetime import timedelta
from io import StringIO
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bypass.models import BypassCode
from duoapi.models import AuthorizationRequest, Integration
from duoportal.logs import RequestIdFilter
from duoportal.models import AuditEvent, AuthenticatorDevice, CULinkCard
from tests.conftest import pass_card_check
from tests.universal import browser_get, browser_post, returned, served_by

pytestmark = pytest.mark.django_db


def lines(caplog, logger="duoportal.requests"):
    return [record for record in caplog.records if record.name == logger]


# Logging's own clock and thread numbers: long runs of digits that a six-digit
# authenticator code could match by chance.
NOT_SCANNED = {"created", "msecs", "relativeCreated", "thread", "process"}


def logged(caplog):
    """Everything the captured lines hold: their text, and every attribute of every record."""
    records = [
        {name: value for name, value in record.__dict__.items() if name not in NOT_SCANNED}
        for record in caplog.records
    ]
    return caplog.text + "".join(map(str, records))


def actions(caplog):
    return {line.action for line in lines(caplog, "duoportal.audit")}


def test_each_request_gets_an_id_and_one_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="duoportal.requests"):
        response = client.get("/no-such-page/?code=123456789")

    rid = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    [line] = lines(caplog)
    assert (line.method, line.path, line.status, line.request_id) == (
        "GET",
        "/no-such-page/",
        404,
        rid,
    )
    # Never the query string: codes and serials travel in URLs and forms.
    assert "123456789" not in caplog.text


def test_the_events_of_a_request_carry_its_id(client, alice, caplog):
    client.force_login(alice)
    with caplog.at_level(logging.INFO):
        response = client.post("/verify/passcode/", {"passcode": "000000000"})

    assert {getattr(r, "request_id", None) for r in caplog.records} == {response["X-Request-ID"]}


# Committed as in production, where the line is written the moment its event commits,
# within the request (the test's own transaction would hold it until the test ends).
@pytest.mark.django_db(transaction=True)
def test_each_event_is_a_line_with_the_request_id_and_the_event(client, alice, caplog):
    client.force_login(alice)
    with caplog.at_level(logging.INFO):
        response = client.post("/verify/passcode/", {"passcode": "000000000"})

    [event] = AuditEvent.objects.filter(action="bypass_use")
    [line] = [line for line in lines(caplog, "duoportal.audit") if line.event == event.pk]
    assert (line.request_id, line.action, line.outcome, line.subject) == (
        response["X-Request-ID"],
        "bypass_use",
        event.outcome,
        "alice@example.edu",
    )
    assert line.getMessage() == f"bypass_use alice@example.edu {event.outcome}"
    assert json.loads(json_formatter().format(line))["event"] == event.pk


def test_an_event_rolled_back_is_not_logged(alice, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            AuditEvent.objects.record("card_check", subject=alice, outcome="accepted")
            raise RuntimeError
        AuditEvent.objects.record("card_check", subject=alice, outcome="wrong_code")

    assert [line.outcome for line in lines(caplog, "duoportal.audit")] == ["wrong_code"]


def test_an_id_from_a_trusted_proxy_is_kept(settings, client):
    settings.TRUSTED_PROXY_COUNT = 1
    kept = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e")
    settings.TRUSTED_PROXY_COUNT = 0
    replaced = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e")

    assert kept["X-Request-ID"] == "lb-7f3a9c2e"
    assert replaced["X-Request-ID"] != "lb-7f3a9c2e"


def json_formatter():
    config = dict(settings.LOGGING["formatters"]["json"])
    formatter = config.pop("()")
    module, _, name = formatter.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)(**config)


def test_djangos_own_lines_carry_the_id_and_no_query_string(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/no-such-page/?code=123456789")

    [warning] = [r for r in caplog.records if r.name == "django.request"]
    line = json.loads(json_formatter().format(warning))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["request"] == "GET /no-such-page/" and "123456789" not in str(line)


def test_production_writes_one_json_object_per_line():
    formatter = json_formatter()
    record = logging.LogRecord("duoportal.requests", logging.INFO, "", 0, "GET / %s", (200,), None)
    record.status = 200
    RequestIdFilter().filter(record)

    line = formatter.format(record)

    assert "\n" not in line
    assert json.loads(line) | {"time": "…"} == {
        "time": "…",
        "level": "INFO",
        "logger": "duoportal.requests",
        "message": "GET / 200",
        "request_id": "-",
        "status": 200,
    }


def test_no_code_serial_or_secret_reaches_the_logs(
    client, alice, caplog, settings, django_capture_on_commit_callbacks
):
    """Every flow that carries a secret, at DEBUG: nothing of them in any log line."""
    serial = "51002345"
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        verified = pass_card_check(client, alice, serial)
        token = {"token": verified.session["card_check_token"]}
        code = verified.post("/bypass-code/card/code/", token).context["plaintext"]
        assert client.post("/verify/passcode/", {"passcode": code}).status_code == 302
        rescue = client.post("/bypass-code/rescue/new/").context["codes"]
        Client().post("/verify/passcode/", {"passcode": "999999999"})
        other = Client()
        other.force_login(alice)
        assert "plaintext" in other.post("/bypass-code/rescue/code/", {"code": rescue[0]}).context
        client.post("/verify/passcode/", {"passcode": rescue[1]})
    hashes = [c.code_hash for c in BypassCode.objects.filter(user=alice)]

    text = logged(caplog)
    assert len(caplog.records) > 5
    assert len(lines(caplog, "duoportal.audit")) > 5, "the events' lines are scanned too"
    for secret in [serial, code, *rescue, *[r.replace("-", "") for r in rescue], *hashes]:
        assert secret not in text, "a secret reached the logs"
    assert CULinkCard.objects.filter(serial=serial).exists()


@pytest.mark.django_db(transaction=True)
def test_no_passcode_or_key_from_an_application_reaches_the_logs(duo, vpn, alice, caplog):
    _, secret = vpn
    _, code = BypassCode.objects.issue(alice, via="culink")
    with caplog.at_level(logging.DEBUG):
        assert duo.auth("passcode", username=alice.username, passcode=code)["result"] == "allow"
        duo.auth("passcode", username=alice.username, passcode="987654321")
        duo.auth("passcode", username="nobody@example.edu", passcode="876543210")

    text = logged(caplog)
    assert len(lines(caplog)) == 3
    assert len(lines(caplog, "duoportal.audit")) >= 3, "the events' lines are scanned too"
    for secret_text in [code, "987654321", "876543210", secret]:
        assert secret_text not in text


def test_no_passcode_secret_code_or_token_of_a_web_sign_in_reaches_the_logs(
    client, vpn, webapp, alice, caplog, django_capture_on_commit_callbacks
):
    """The Universal Prompt with the real duo_universal: authorize, Log In, token exchange."""
    _, client_secret = vpn
    _, code = BypassCode.objects.issue(alice, via="culink")
    url = webapp.create_auth_url(alice.username, webapp.generate_state())
    # Every JWT either side decodes: the client_assertion and the id_token.
    decode = mock.patch("jwt.decode", wraps=jwt.decode)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        prompt = browser_get(client, url)["Location"]
        browser_post(client, prompt, {"passcode": "987654321"})
        duo_code = returned(browser_post(client, prompt, {"passcode": code}))["duo_code"]
        with served_by(client) as calls, decode as decoded:
            token = webapp.exchange_authorization_code_for_2fa_result(duo_code, alice.username)

    assert token["auth_result"]["result"] == "allow"
    jwts = [parse_qs(urlsplit(url).query)["request"][0]]
    jwts += [parse_qs(urlsplit(path).query)["client_assertion"][0] for path, _ in calls]
    jwts += [call.args[0] for call in decoded.call_args_list]
    code_hash = AuthorizationRequest.objects.get().code_hash
    text = logged(caplog)
    assert len(set(jwts)) == 3, "the request, the client_assertion and the id_token"
    assert len(lines(caplog)) == 4
    assert actions(caplog) >= {"duo_authorize", "duo_prompt", "duo_token"}
    for secret in [code, "987654321", client_secret, duo_code, code_hash, *jwts]:
        assert secret not in text
    assert not re.search(r"eyJ[\w-]*\.eyJ", text), "no JWT of any kind"


def test_no_authenticator_apps_secret_or_code_reaches_the_logs(
    verified, alice, caplog, django_capture_on_commit_callbacks
):
    """Adding an app (its secret shown once, a first code to confirm), then signing in with it."""
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        verified.post("/my-account/authenticators/add/", {"name": "Work phone"})
        device = AuthenticatorDevice.objects.get(user=alice)
        url = f"/my-account/authenticators/{device.pk}/confirm/"
        assert device.totp.secret in verified.get(url).text
        verified.post(url, {"code": "246813"})
        first = device.totp.now()
        assert verified.post(url, {"code": first})["Location"] == "/my-account/"
        browser = Client()
        browser.force_login(alice)
        # The next time step's code: the one confirming the app cannot be used again.
        later = device.totp.at(timezone.now() + timedelta(seconds=30))
        assert browser.post("/verify/passcode/", {"passcode": later}).status_code == 302

    text = logged(caplog)
    assert len(lines(caplog)) == 5
    assert actions(caplog) >= {"device_add", "totp_use"}
    for secret in [device.totp.secret, device.secret_encrypted, "246813", first, later]:
        assert secret not in text


def test_no_bypass_code_the_helpdesk_issues_reaches_the_logs(
    helpdesk, alice, caplog, django_capture_on_commit_callbacks
):
    url = f"/admin/duoportal/user/{alice.pk}/issue-code/"
    reasons = {"reason": "INC-9", "identity_check": "photo_id_video_call"}
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(url, reasons)
        code = helpdesk.post(url, {**reasons, "confirmed": "on"}).context["plaintext"]
        browser = Client()
        browser.force_login(alice)
        assert browser.post("/verify/passcode/", {"passcode": code}).status_code == 302

    text = logged(caplog)
    assert len(lines(caplog)) == 3
    assert actions(caplog) >= {"bypass_issue", "bypass_use"}
    for secret in [code, BypassCode.objects.get(user=alice, via="helpdesk").code_hash]:
        assert secret not in text


HEADER = "username,serial,status,expires_on\n"
CARDS = HEADER + "alice@example.edu,5100 2345,active,2027-08-31\nbob@example.edu,51007788,lost,\n"
# A second card for Alice, and a line with the serial in the username column.
BAD_CARDS = HEADER + "alice@example.edu,51003456,active,\n51006789,bob@example.edu,lost,\n"
SERIALS = ["5100 2345", "51002345", "51007788", "51003456", "51006789"]


def test_no_serial_of_a_card_import_in_admin_reaches_the_logs(
    helpdesk, alice, bob, caplog, django_capture_on_commit_callbacks
):
    url = "/admin/duoportal/culinkcard/import/"
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        refused = helpdesk.post(url, {"file": SimpleUploadedFile("bad.csv", BAD_CARDS.encode())})
        assert "Nothing can be imported" in refused.text
        preview = helpdesk.post(url, {"file": SimpleUploadedFile("cards.csv", CARDS.encode())})
        fields = dict(re.findall(r'name="(content|digest)" value="([^"]*)"', preview.text))
        assert helpdesk.post(url, {**fields, "confirm": "1"}).status_code == 302

    text = logged(caplog)
    assert CULinkCard.objects.count() == 2 and len(lines(caplog)) == 3
    assert actions(caplog) == {"card_import"}
    for secret in [*SERIALS, fields["content"], base64.b64encode(BAD_CARDS.encode()).decode()]:
        assert secret not in text


def test_no_serial_of_a_card_import_from_the_command_line_reaches_the_logs(
    alice, bob, tmp_path, caplog, django_capture_on_commit_callbacks
):
    cards, bad_cards = tmp_path / "cards.csv", tmp_path / "bad.csv"
    cards.write_text(CARDS)
    bad_cards.write_text(BAD_CARDS)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        call_command("import_cards", cards, stdout=StringIO())
        with pytest.raises(CommandError):
            call_command("import_cards", bad_cards, stderr=StringIO())

    text = logged(caplog)
    assert CULinkCard.objects.count() == 2
    assert [line.outcome for line in lines(caplog, "duoportal.audit")] == ["created"] * 2
    for secret in SERIALS:
        assert secret not in text


def test_no_secret_key_of_an_integration_reaches_the_logs(
    superuser, caplog, django_capture_on_commit_callbacks
):
    """manage.py create_integration and admin show a secret key once; rotation a new one."""
    url = "/admin/duoapi/integration/"
    out = StringIO()
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        call_command("create_integration", "Wiki", "--json", stdout=out)
        superuser.post(f"{url}add/", {"name": "VPN"})
        vpn = Integration.objects.get(name="VPN")
        superuser.post(url, {"action": "rotate_secret", "_selected_action": [vpn.pk]})

    vpn.refresh_from_db()
    wiki = Integration.objects.get(name="Wiki")
    secrets = [json.loads(out.getvalue())["skey"], *vpn.secrets, *wiki.secrets]
    text = logged(caplog)
    assert len(set(secrets)) == 3 and len(lines(caplog)) == 2
    assert {line.outcome for line in lines(caplog, "duoportal.audit")} == {
        "integration added",
        "secret rotated",
    }
    for secret in [*secrets, vpn.secret_encrypted, vpn.previous_secret_encrypted]:
        assert secret not in text
