"""The rules under racing requests, on a real database (SQLite here, PostgreSQL in CI)."""

import pytest
from django.core import mail
from django.db import connection

from bypass.models import BypassCode
from duoportal.models import ProofLock
from duoportal.results import Reason
from tests.conftest import asking_from
from tests.threads import race, thread_count

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_accepts_exactly_twenty_uses_however_many_race(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    results = race(thread_count(connection), lambda: BypassCode.objects.redeem(alice, plaintext))

    assert sum(result.accepted for result in results) == 20
    refusals = {result.reason for result in results if not result.accepted}
    assert refusals <= {Reason.USED_UP, Reason.LOCKED}
    assert BypassCode.objects.get(user=alice).uses == 20
    assert sorted(r.uses_left for r in results if r.accepted) == list(range(20))


def test_it_tells_of_a_new_network_once_however_many_uses_race(alice):
    with asking_from("192.0.2.10"):
        code, plaintext = BypassCode.objects.issue(alice, via="culink")
    mail.outbox.clear()

    def use_through_vpn():
        # A thread starts with the ContextVar's default, so each sets its own.
        with asking_from("198.51.100.7", "VPN"):
            return BypassCode.objects.redeem(alice, plaintext)

    results = race(20, use_through_vpn)

    assert all(results)
    assert BypassCode.objects.uses_of(code).count() == 20
    assert [m.subject for m in mail.outbox] == ["Your bypass code was used from a new network"]


def test_it_leaves_one_live_code_when_issues_race(alice):
    race(10, lambda: BypassCode.objects.issue(alice, via="culink"))

    assert BypassCode.objects.filter(user=alice).count() == 10
    assert BypassCode.objects.filter(user=alice, revoked_at__isnull=True).count() == 1


def test_it_loses_no_failure_when_guesses_race(alice):
    BypassCode.objects.issue(alice, via="culink")

    results = race(9, lambda: BypassCode.objects.redeem(alice, "not a code"))

    assert sorted(result.tries_left for result in results) == list(range(1, 10))
    assert ProofLock.objects.get(user=alice, kind="passcode").failures == 9


def test_it_locks_once_when_the_tenth_guess_races_others(alice):
    BypassCode.objects.issue(alice, via="culink")

    results = race(thread_count(connection), lambda: BypassCode.objects.redeem(alice, "1"))

    assert ProofLock.objects.locked_until(alice, "passcode") is not None
    assert not any(results)
    assert (
        sum(result.tries_left == 0 and result.reason == Reason.WRONG_CODE for result in results)
        >= 1
    )
    assert alice.audit_events.filter(action="proof_lock").count() == 1


def test_the_live_code_works_after_issues_race(alice):
    issued = race(10, lambda: BypassCode.objects.issue(alice, via="culink"))

    live = BypassCode.objects.live_for(alice)
    plaintext = next(text for code, text in issued if code.pk == live.pk)
    assert BypassCode.objects.redeem(alice, plaintext)


def test_rescue_submits_and_a_new_set_do_not_deadlock(alice):
    from rescue.models import RescueCode

    codes = RescueCode.objects.generate(alice)
    calls = [lambda c=c: BypassCode.objects.issue_with_rescue_code(alice, c) for c in codes]
    calls += [lambda: RescueCode.objects.generate(alice)] * 5
    race(len(calls), lambda: calls.pop()())
