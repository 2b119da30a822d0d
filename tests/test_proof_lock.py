from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.hashing import code_matches
from duoportal.models import CULinkCard, ProofLock
from duoportal.results import CheckResult, Reason
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db

WRONG = "999999999"


@pytest.fixture
def plaintext(alice):
    with mock.patch("bypass.models.secrets.randbelow", return_value=123456789):
        return BypassCode.objects.issue(alice, via="culink")[1]


def fail(alice, times):
    return [BypassCode.objects.redeem(alice, WRONG) for _ in range(times)]


def test_it_locks_on_the_tenth_consecutive_failure(alice, plaintext):
    results = fail(alice, 10)

    assert [r.tries_left for r in results] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert (
        timedelta(minutes=29) < results[-1].locked_until - timezone.now() <= timedelta(minutes=30)
    )
    locked = BypassCode.objects.redeem(alice, plaintext)
    assert locked.reason == Reason.LOCKED
    assert locked.locked_until == results[-1].locked_until
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_does_not_lock_after_nine(alice, plaintext):
    fail(alice, 9)
    assert BypassCode.objects.redeem(alice, plaintext)


def test_it_unlocks_by_itself_after_thirty_minutes(alice, plaintext):
    fail(alice, 10)
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert BypassCode.objects.redeem(alice, plaintext).reason == Reason.LOCKED
    with time_machine.travel(timezone.now() + timedelta(minutes=30, seconds=1)):
        assert BypassCode.objects.redeem(alice, plaintext)
        # And the next person gets ten fresh tries.
        assert BypassCode.objects.redeem(alice, WRONG).tries_left == 9


def test_it_resets_the_count_on_success(alice, plaintext):
    fail(alice, 9)
    assert BypassCode.objects.redeem(alice, plaintext).tries_left == 10
    assert fail(alice, 1)[0].tries_left == 9


def test_it_computes_no_hash_while_locked(alice, plaintext):
    fail(alice, 10)
    with mock.patch("bypass.models.code_matches") as matches:
        BypassCode.objects.redeem(alice, plaintext)
    matches.assert_not_called()


def test_it_counts_each_kind_of_proof_apart(alice, plaintext):
    CULinkCard.objects.create(user=alice, serial="51002345")
    fail(alice, 10)
    assert CULinkCard.objects.verify(alice, "00000000").tries_left == 9
    assert RescueCode.objects.redeem(alice, "ABCD-EFGH-JKLM-NPQR").tries_left == 9


def test_it_locks_card_checks_too(alice):
    CULinkCard.objects.create(user=alice, serial="51002345")
    for _ in range(10):
        CULinkCard.objects.verify(alice, "00000000")
    assert CULinkCard.objects.verify(alice, "51002345").reason == Reason.LOCKED


def test_it_lets_helpdesk_unlock(alice, helen, plaintext):
    fail(alice, 10)

    assert ProofLock.objects.unlock(alice, "passcode", by=helen, why="Called the helpdesk")
    assert BypassCode.objects.redeem(alice, plaintext)
    event = alice.audit_events.get(action="proof_unlock")
    assert (event.actor, event.detail["why"]) == (helen, "Called the helpdesk")


def test_it_reports_nothing_to_unlock(alice, helen):
    assert not ProofLock.objects.unlock(alice, "passcode", by=helen)


def test_it_lifts_a_passcode_lock_after_a_rescue_code(alice, plaintext):
    codes = RescueCode.objects.generate(alice)
    fail(alice, 10)

    assert RescueCode.objects.redeem(alice, codes[0])
    assert BypassCode.objects.redeem(alice, plaintext)


def test_it_does_not_lift_a_card_lock_after_a_passcode(alice, plaintext):
    CULinkCard.objects.create(user=alice, serial="51002345")
    for _ in range(10):
        CULinkCard.objects.verify(alice, "00000000")
    assert BypassCode.objects.redeem(alice, plaintext)
    assert CULinkCard.objects.verify(alice, "51002345").reason == Reason.LOCKED


def test_it_records_the_lock_once(alice, plaintext):
    fail(alice, 12)
    assert alice.audit_events.filter(action="proof_lock", outcome="passcode").count() == 1
    assert alice.audit_events.filter(action="bypass_use", outcome="locked").count() == 2


def test_it_gives_the_place_back_whatever_the_outcome(alice, plaintext):
    assert BypassCode.objects.redeem(alice, plaintext)
    fail(alice, 1)
    lock = ProofLock.objects.get(user=alice, kind="passcode")
    assert (lock.in_flight, lock.failures) == (0, 1)


def checks_in_flight(person, count):
    """What `count` checks leave while they hash, or when their worker was killed."""
    ProofLock.objects.create(
        user=person, kind="passcode", in_flight=count, reserved_at=timezone.now()
    )


def test_it_says_busy_without_checking_or_counting_when_every_place_is_taken(
    alice, plaintext, settings
):
    settings.PROOF_BUSY_WAIT = timedelta(seconds=0.2)
    checks_in_flight(alice, 10)
    with mock.patch("bypass.models.code_matches") as matches:
        result = BypassCode.objects.redeem(alice, plaintext)

    assert (result.reason, result.tries_left, result.locked_until) == (Reason.BUSY, None, None)
    matches.assert_not_called()
    lock = ProofLock.objects.get(user=alice, kind="passcode")
    assert (lock.in_flight, lock.failures) == (10, 0)
    assert alice.audit_events.filter(action="bypass_use", outcome="busy").count() == 1


def test_it_takes_a_place_left_by_checks_in_flight(alice, plaintext):
    checks_in_flight(alice, 9)
    assert BypassCode.objects.redeem(alice, plaintext)
    assert ProofLock.objects.get(user=alice, kind="passcode").in_flight == 9


def test_it_counts_failures_with_the_checks_in_flight(alice, plaintext, settings):
    settings.PROOF_BUSY_WAIT = timedelta(0)
    checks_in_flight(alice, 5)
    fail(alice, 5)
    assert BypassCode.objects.redeem(alice, plaintext).reason == Reason.BUSY


def test_it_forgets_places_held_by_a_killed_worker(alice, plaintext, settings):
    settings.PROOF_BUSY_WAIT = timedelta(0)
    checks_in_flight(alice, 10)
    with time_machine.travel(timezone.now() + timedelta(seconds=59)):
        assert BypassCode.objects.redeem(alice, plaintext).reason == Reason.BUSY
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert BypassCode.objects.redeem(alice, plaintext)
    assert ProofLock.objects.get(user=alice, kind="passcode").in_flight == 0


def test_it_gives_the_place_back_and_counts_nothing_when_a_check_fails(alice):
    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        ProofLock.objects.attempt(alice, "passcode", broken, action="bypass_use")
    lock = ProofLock.objects.get(user=alice, kind="passcode")
    assert (lock.in_flight, lock.failures) == (0, 0)


def test_a_success_keeps_a_failure_counted_while_it_was_checked(alice, plaintext):
    def right_while_a_guess_fails():
        fail(alice, 1)
        return CheckResult(Reason.ACCEPTED)

    result = ProofLock.objects.attempt(
        alice, "passcode", right_while_a_guess_fails, action="bypass_use"
    )

    assert result.accepted
    assert ProofLock.objects.get(user=alice, kind="passcode").failures == 1
    assert fail(alice, 1)[0].tries_left == 8
    # A success that raced nothing resets the count as always.
    assert BypassCode.objects.redeem(alice, plaintext)
    assert fail(alice, 1)[0].tries_left == 9


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("way", ["redeem", "check_passcode", "rescue code", "rescue path"])
def test_it_hashes_outside_any_transaction(alice, plaintext, way):
    codes = RescueCode.objects.generate(alice)
    calls = {
        "redeem": lambda: BypassCode.objects.redeem(alice, plaintext),
        "check_passcode": lambda: BypassCode.objects.check_passcode(alice, plaintext)[0],
        "rescue code": lambda: RescueCode.objects.redeem(alice, codes[0]),
        "rescue path": lambda: BypassCode.objects.issue_with_rescue_code(alice, codes[0])[0],
    }
    in_transaction = []

    def verify(stored_hash, typed):
        in_transaction.append(connection.in_atomic_block)
        return code_matches(stored_hash, typed)

    with (
        mock.patch("bypass.models.code_matches", verify),
        mock.patch("rescue.models.code_matches", verify),
    ):
        assert calls[way]()
    assert in_transaction == [False]
