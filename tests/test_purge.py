"""manage.py purge: what is past its use goes, in batches; nothing else does."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from bypass.models import BypassCode, BypassCodeUse, CardCheck
from duoapi.models import AuthorizationRequest, AuthTransaction, Integration
from duoportal.models import AuditEvent, AuthenticatorDevice, CULinkCard

pytestmark = pytest.mark.django_db


def everything_once(alice):
    """One of each thing purge looks at, made now."""
    SessionStore().create()  # a sign-in started (the state of its OAuth round trip)
    CULinkCard.objects.create(user=alice, serial="51002345")
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, plaintext)
    CardCheck.objects.verify(alice, "51002345")
    AuthenticatorDevice.objects.start(alice, "phone")
    integration, _ = Integration.objects.create_integration("VPN")
    AuthTransaction.objects.record(integration, result="allow", status="allow", status_msg="")
    AuthorizationRequest.objects.open(
        integration, alice, username=alice.username, redirect_uri="https://app.example/", state="s"
    )
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="ok")
    return code


def counts():
    models = [BypassCode, BypassCodeUse, CardCheck, AuthenticatorDevice, AuthTransaction]
    models += [AuthorizationRequest, AuditEvent, Session]
    return {model.__name__: model.objects.count() for model in models}


def purge():
    out = io.StringIO()
    call_command("purge", batch=2, stdout=out)
    return out.getvalue()


def test_it_keeps_what_is_still_of_use(alice):
    everything_once(alice)
    before = counts()

    purge()

    assert counts() == before


def test_it_removes_what_is_past_its_use_and_says_so(alice, settings):
    settings.AUDIT_RETENTION = timedelta(days=400)
    with time_machine.travel(timezone.now() - timedelta(days=500)):
        everything_once(alice)
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        recent = BypassCode.objects.issue(alice, via="culink")[0]
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="ok")
    young_events = AuditEvent.objects.filter(at__gte=timezone.now() - timedelta(days=400)).count()

    report = purge()

    # The code of 30 days ago is kept (BYPASS_CODE_RETENTION_DAYS, 90); its uses go with old codes.
    assert list(BypassCode.objects.all()) == [recent]
    assert counts() | {"BypassCode": 1} == {
        "BypassCode": 1,
        "BypassCodeUse": 0,
        "CardCheck": 0,
        "AuthenticatorDevice": 0,
        "AuthTransaction": 0,
        "AuthorizationRequest": 0,
        "AuditEvent": young_events,
        "Session": 0,
    }
    assert "        1 bypass codes" in report and "audit events" in report
    assert "        1 sessions" in report


def test_an_audit_retention_of_zero_keeps_every_event(alice, settings):
    settings.AUDIT_RETENTION = timedelta(0)
    with time_machine.travel(timezone.now() - timedelta(days=5000)):
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="ok")

    purge()

    assert AuditEvent.objects.count() == 1


def test_it_keeps_a_confirmed_authenticator_however_old(alice):
    with time_machine.travel(timezone.now() - timedelta(days=500)):
        device = AuthenticatorDevice.objects.start(alice, "phone")
        AuthenticatorDevice.objects.filter(pk=device.pk).update(confirmed=True)

    purge()

    assert AuthenticatorDevice.objects.filter(pk=device.pk).exists()
