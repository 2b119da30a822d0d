import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from bypass.models import BypassCode
from duoportal.middleware import RequestContext, audit_context, request_context
from duoportal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_records_ip_and_browser_of_the_request(alice):
    def view(request):
        BypassCode.objects.issue(alice, via="culink")
        return HttpResponse()

    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Phone/1.0")
    audit_context(view)(request)

    event = AuditEvent.objects.get(action="bypass_issue")
    assert (event.ip, event.user_agent) == ("203.0.113.7", "Phone/1.0")
    assert (event.subject, event.actor, event.outcome) == (alice, alice, "culink")


def test_it_records_the_application_that_asked(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    token = request_context.set(RequestContext(ip="198.51.100.4", application="VPN"))
    try:
        BypassCode.objects.redeem(alice, plaintext)
    finally:
        request_context.reset(token)

    event = AuditEvent.objects.get(action="bypass_use")
    assert (event.ip, event.detail["application"]) == ("198.51.100.4", "VPN")
    assert "application" not in AuditEvent.objects.get(action="bypass_issue").detail


def test_it_records_no_ip_outside_a_request(alice):
    BypassCode.objects.issue(alice, via="culink")
    assert AuditEvent.objects.get().ip is None


def test_it_records_every_step_of_a_codes_life(alice, helen):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, plaintext)
    BypassCode.objects.redeem(alice, "000000000")
    BypassCode.objects.issue(alice, via="helpdesk", issued_by=helen)
    BypassCode.objects.revoke(alice, by=helen, reason="Phone found")

    trail = list(alice.audit_events.order_by("pk").values_list("action", "outcome"))
    assert trail == [
        ("bypass_issue", "culink"),
        ("bypass_use", "accepted"),
        ("bypass_use", "wrong_code"),
        ("bypass_revoke", "superseded"),
        ("bypass_issue", "helpdesk"),
        ("bypass_revoke", "revoked"),
    ]


def test_it_keeps_the_trail_when_the_person_is_deleted(alice):
    BypassCode.objects.issue(alice, via="culink")
    alice.delete()
    event = AuditEvent.objects.get()
    assert (event.subject, event.subject_username) == (None, "alice@example.edu")


def test_it_cannot_be_changed_or_deleted(alice):
    event = AuditEvent.objects.record("bypass_issue", subject=alice)
    event.outcome = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(outcome="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().outcome == ""


def test_it_strips_control_characters_from_the_browser_name(client, alice):
    client.force_login(alice)
    response = client.post(
        "/verify/passcode/",
        {"passcode": "123456789"},
        HTTP_USER_AGENT="Phone\x00/1.0\r\n\x1b[31m\t\x7f\x85 ok",
    )

    assert response.status_code == 200
    assert AuditEvent.objects.get(action="bypass_use").user_agent == "Phone/1.0[31m ok"
