"""The rules under racing requests, on a real database (SQLite here, PostgreSQL in CI)."""

import threading
import time
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection

from bypass.models import BypassCode
from duoportal.hashing import code_matches
from duoportal.models import ProofLock
from duoportal.results import Reason
from tests.conftest import asking_from
from tests.threads import crowd, in_background, race

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "999999999"


class Hashes:
    """Every argon2id verification of a bypass code, from any thread.

    A thread whose `hold` is set stops inside the hash until that event is
    set, so that its check stays in flight as long as a test needs.
    """

    def __init__(self):
        self.calls = []
        self.held = threading.Semaphore(0)
        self.hold = threading.local()

    def verify(self, stored_hash, plaintext):
        self.calls.append(plaintext)
        event = getattr(self.hold, "event", None)
        if event is not None:
            self.held.release()
            assert event.wait(timeout=10), "never released"
        return code_matches(stored_hash, plaintext)

    def held_until(self, event, function):
        def run():
            self.hold.event = event
            return function()

        return run

    def wait_until_held(self, count):
        for _ in range(count):
            assert self.held.acquire(timeout=10), "a check never reached the hash"


@pytest.fixture
def hashes():
    counter = Hashes()
    with mock.patch("bypass.models.code_matches", counter.verify):
        yield counter


@pytest.fixture
def patient(settings):
    """A crowd that waits for a place however slow the machine, so every answer is decided.

    With the default five seconds, a crowd of a hundred on two busy cores may
    give up as `busy` (test_proof_lock.py tests that) before the lock is set.
    """
    settings.PROOF_BUSY_WAIT = timedelta(seconds=120)


def redeem(person, passcode):
    return lambda: BypassCode.objects.redeem(person, passcode)


def test_it_accepts_exactly_twenty_uses_however_many_race(alice, hashes, patient):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    count = crowd(connection)

    results = race(count, redeem(alice, plaintext))

    assert sum(result.accepted for result in results) == 20
    assert BypassCode.objects.get(user=alice).uses == 20
    assert sorted(r.uses_left for r in results if r.accepted) == list(range(20))
    # Then ten refusals of the used-up code lock it, and nothing more is hashed.
    reasons = Counter(result.reason for result in results)
    assert reasons == {Reason.ACCEPTED: 20, Reason.USED_UP: 10, Reason.LOCKED: count - 30}
    assert len(hashes.calls) == 30


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

    results = race(9, redeem(alice, WRONG))

    assert sorted(result.tries_left for result in results) == list(range(1, 10))
    lock = ProofLock.objects.get(user=alice, kind="passcode")
    assert (lock.failures, lock.in_flight) == (9, 0)


def test_it_checks_ten_guesses_and_locks_once_however_many_race(alice, hashes, patient):
    BypassCode.objects.issue(alice, via="culink")
    mail.outbox.clear()
    count = crowd(connection)

    results = race(count, redeem(alice, WRONG))

    assert len(hashes.calls) == 10
    assert not any(results)
    assert Counter(r.reason for r in results) == {Reason.WRONG_CODE: 10, Reason.LOCKED: count - 10}
    tries = sorted(r.tries_left for r in results if r.reason == Reason.WRONG_CODE)
    assert tries == list(range(10))
    assert ProofLock.objects.locked_until(alice, "passcode") is not None
    assert alice.audit_events.filter(action="proof_lock").count() == 1
    assert [m.subject for m in mail.outbox] == ["Your account is locked for a while"]


def test_a_right_code_goes_ahead_of_guesses_being_checked(alice, hashes):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    release = threading.Event()
    guesses = [in_background(hashes.held_until(release, redeem(alice, WRONG))) for _ in range(9)]
    hashes.wait_until_held(9)

    # Nine places are taken; the tenth is free, and nothing waits for the nine.
    result = BypassCode.objects.redeem(alice, plaintext)
    release.set()

    assert (result.reason, result.uses_left) == (Reason.ACCEPTED, 19)
    assert sorted(guess().tries_left for guess in guesses) == list(range(1, 10))
    assert ProofLock.objects.get(user=alice, kind="passcode").failures == 9


def test_a_right_code_waits_for_a_place_when_all_ten_are_taken(alice, hashes):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    other_tab, guessing = threading.Event(), threading.Event()
    first = in_background(hashes.held_until(other_tab, redeem(alice, plaintext)))
    guesses = [in_background(hashes.held_until(guessing, redeem(alice, WRONG))) for _ in range(9)]
    hashes.wait_until_held(10)

    waiting = in_background(redeem(alice, plaintext))
    time.sleep(0.5)
    assert not waiting.done()
    assert len(hashes.calls) == 10
    other_tab.set()

    assert first().accepted
    assert waiting().uses_left == 18
    guessing.set()
    assert sorted(guess().tries_left for guess in guesses) == list(range(1, 10))


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
