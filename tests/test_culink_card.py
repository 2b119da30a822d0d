from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.models import CULinkCard
from duoportal.results import Reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(alice):
    return CULinkCard.objects.create(user=alice, serial="5100 2345", expires_on=None)


def test_it_stores_serials_normalised(card):
    assert card.serial == "51002345"
    other = CULinkCard.objects.create(user=card.user, serial="ab-12 cd", status="lost")
    assert other.serial == "AB12CD"
    assert "AB12CD" not in str(other)


def test_it_accepts_the_holders_active_card(alice, card):
    assert CULinkCard.objects.verify(alice, "51002345")
    assert CULinkCard.objects.verify(alice, " 5100-2345 ")


def test_it_refuses_a_wrong_serial_with_tries_left(alice, card):
    result = CULinkCard.objects.verify(alice, "51002346")
    assert result.reason == Reason.WRONG_CODE
    assert result.tries_left == 9


def test_it_refuses_another_persons_card(alice, bob, card):
    CULinkCard.objects.create(user=bob, serial="51007788")
    assert CULinkCard.objects.verify(bob, "51002345").reason == Reason.WRONG_CODE


@pytest.mark.parametrize("status", ["lost", "revoked"])
def test_it_refuses_a_lost_or_revoked_card(alice, card, status):
    card.status = status
    card.save()
    assert CULinkCard.objects.verify(alice, "51002345").reason == Reason.REVOKED


def test_it_accepts_a_card_on_its_last_day_and_refuses_it_after(alice, card):
    card.expires_on = date(2026, 8, 31)
    card.save()
    # 1 September begins in Hong Kong at 16:00 UTC on 31 August.
    with time_machine.travel(datetime(2026, 8, 31, 15, 59, tzinfo=UTC)):
        assert CULinkCard.objects.verify(alice, "51002345")
    with time_machine.travel(datetime(2026, 8, 31, 16, 0, tzinfo=UTC)):
        assert CULinkCard.objects.verify(alice, "51002345").reason == Reason.EXPIRED


def test_it_says_no_card_to_a_person_without_one(alice):
    assert CULinkCard.objects.verify(alice, "51002345").reason == Reason.NO_CODE


def test_it_says_no_card_when_the_only_card_is_lost_and_the_serial_differs(alice, card):
    card.status = "lost"
    card.save()
    assert CULinkCard.objects.verify(alice, "99999999").reason == Reason.NO_CODE


@pytest.mark.parametrize("typed", ["", "\x00", "5100\x002345", "٥١٠٠٢٣٤٥", "1" * 1000, None])
def test_it_refuses_malformed_input_without_raising(alice, card, typed):
    assert CULinkCard.objects.verify(alice, typed).reason == Reason.WRONG_CODE


def test_it_accepts_a_serial_typed_in_full_width_digits(alice, card):
    assert CULinkCard.objects.verify(alice, "５１００ ２３４５")


def test_it_allows_one_active_card_per_person(alice, card):
    CULinkCard.objects.create(user=alice, serial="51000001", status="lost")
    with pytest.raises(IntegrityError):
        CULinkCard.objects.create(user=alice, serial="51000002")


def test_it_lifts_a_passcode_lock_on_success(alice, card):
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")
    assert BypassCode.objects.redeem(alice, "000000000").reason == Reason.LOCKED

    assert CULinkCard.objects.verify(alice, "51002345")
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    assert BypassCode.objects.redeem(alice, plaintext)
    assert alice.audit_events.filter(action="proof_unlock", outcome="passcode").exists()


def test_it_is_expired_only_after_its_last_day(card):
    card.expires_on = timezone.localdate()
    assert not card.is_expired
    card.expires_on -= timedelta(days=1)
    assert card.is_expired
