"""The helpdesk's summary of one person, and its diagnosis in plain words."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.helpdesk import overview
from duoportal.models import AuditEvent, CULinkCard, ProofLock
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db


def card(person, status="active", expires_on=None, serial="51002345"):
    return CULinkCard.objects.create(
        user=person, serial=serial, status=status, expires_on=expires_on
    )


def test_nothing_is_wrong_with_a_person_with_a_valid_card(alice):
    card(alice, expires_on=timezone.localdate())

    assert overview(alice).diagnosis == []


def test_a_person_without_a_card(alice):
    assert overview(alice).diagnosis == ["no card on record"]


def test_a_person_whose_card_is_lost(alice):
    card(alice, status="lost")

    assert overview(alice).diagnosis == ["card reported lost"]


def test_a_person_whose_card_expired(alice):
    card(alice, expires_on=date(2026, 10, 31))

    with time_machine.travel("2026-11-28 10:00 +0800"):
        assert overview(alice).diagnosis == ["card expired on 2026-10-31"]


def test_a_person_whose_passcode_is_locked(alice):
    card(alice)
    until = timezone.make_aware(timezone.datetime(2030, 1, 1, 14, 32))
    ProofLock.objects.create(user=alice, kind="passcode", failures=0, locked_until=until)

    summary = overview(alice)

    assert summary.diagnosis == ["passcode locked until 14:32"]
    # And what to do about it, for someone who has never seen the portal.
    assert summary.advice == [
        'Ten wrong codes were typed at "Enter a Passcode", by them or by someone guessing. '
        "The lock lifts by itself at 14:32; getting a new code with their card lifts it too. "
        "Unlock only after checking who they are."
    ]


def test_a_person_who_used_every_rescue_code(alice):
    card(alice)
    codes = RescueCode.objects.generate(alice)
    RescueCode.objects.filter(user=alice).update(used_at=timezone.now())

    summary = overview(alice)

    assert (summary.rescue_codes_left, summary.diagnosis) == (0, ["rescue codes all used"])
    assert len(codes) > 0


def test_a_disabled_person_with_everything_else_wrong(alice):
    alice.is_active = False
    alice.save()
    card(alice, status="lost")

    summary = overview(alice)

    assert summary.diagnosis == ["disabled", "card reported lost"]
    assert [line.split(".")[0] for line in summary.advice] == [
        "Disabled people can neither get nor use a code",
        "Without a valid card they can still use a rescue code",
    ]


def test_it_gathers_the_code_apps_locks_and_latest_events(alice, helen):
    card(alice)
    code, _ = BypassCode.objects.issue(alice, via="helpdesk", issued_by=helen)
    BypassCode.objects.redeem(alice, "000000000")
    for _ in range(25):
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="ok")

    summary = overview(alice)

    assert summary.code == code
    assert [(lock.kind, lock.failures) for lock in summary.locks] == [("passcode", 1)]
    assert len(summary.events) == 20
    assert summary.events[0].at >= summary.events[-1].at
    assert summary.code.expires_at - summary.code.created_at == timedelta(hours=12)
