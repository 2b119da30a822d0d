"""The logs: one line per request, each line with the request's id, and never a secret."""

import json
import logging
import re

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from bypass.models import BypassCode
from duoportal.logs import RequestIdFilter
from duoportal.models import AuditEvent, CULinkCard
from tests.conftest import pass_card_check

pytestmark = pytest.mark.django_db


def lines(caplog, logger="duoportal.requests"):
    return [record for record in caplog.records if record.name == logger]


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

    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
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

    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(lines(caplog)) == 3
    assert len(lines(caplog, "duoportal.audit")) >= 3, "the events' lines are scanned too"
    for secret_text in [code, "987654321", "876543210", secret]:
        assert secret_text not in text
