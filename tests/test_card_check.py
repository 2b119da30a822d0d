"""A passed card check: good for one code, for five minutes (settings)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bypass.models import BypassCode, CardCheck
from duoportal import helpdesk
from duoportal.models import CULinkCard
from tests.threads import race, thread_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(alice):
    return CULinkCard.objects.create(user=alice, serial="51002345")


def test_it_is_granted_only_for_the_right_serial(alice, card):
    result, check = CardCheck.objects.verify(alice, "51002346")
    assert not result and check is None
    result, check = CardCheck.objects.verify(alice, "51002345")
    assert result and check.user == alice and len(check.token) >= 32


def test_it_gives_one_code(alice, card):
    _, check = CardCheck.objects.verify(alice, "51002345")
    assert BypassCode.objects.issue_with_card_check(alice, check.token)
    assert BypassCode.objects.issue_with_card_check(alice, check.token) is None


def test_it_expires_after_five_minutes(alice, card):
    _, check = CardCheck.objects.verify(alice, "51002345")
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert BypassCode.objects.issue_with_card_check(alice, check.token) is None


@pytest.mark.parametrize("how", ["marked lost", "replaced"])
def test_a_check_passed_before_the_card_was_reported_gives_no_code(alice, card, helen, how):
    # A thief checks the stolen card; the owner reports it before GET BYPASS CODE is pressed.
    _, check = CardCheck.objects.verify(alice, "51002345")
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        if how == "marked lost":
            helpdesk.mark_card_lost(card, by=helen, reason="stolen")
        else:
            helpdesk.replace_card(card, "51009999", by=helen, reason="stolen")

        assert BypassCode.objects.issue_with_card_check(alice, check.token) is None
        # The owner's own check of the new card afterwards still works.
        if how == "replaced":
            _, theirs = CardCheck.objects.verify(alice, "51009999")
            assert BypassCode.objects.issue_with_card_check(alice, theirs.token)


def test_a_change_to_a_card_lost_long_ago_leaves_a_fresh_check_alone(alice, card):
    # The nightly import moves an old lost card to "revoked": it never passed this check.
    old = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")
    _, check = CardCheck.objects.verify(alice, "51002345")
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        CULinkCard.objects.register(alice, old.serial, status="revoked", expires_on=None)

        assert BypassCode.objects.issue_with_card_check(alice, check.token)


@pytest.mark.parametrize("token", ["", None, "x" * 100, "\x00"])
def test_it_refuses_malformed_tokens(alice, token):
    assert BypassCode.objects.issue_with_card_check(alice, token) is None


@pytest.mark.django_db(transaction=True)
def test_it_gives_one_code_when_get_bypass_code_is_double_submitted(alice, card):
    _, check = CardCheck.objects.verify(alice, "51002345")

    issued = race(
        thread_count(connection),
        lambda: BypassCode.objects.issue_with_card_check(alice, check.token),
    )

    assert sum(result is not None for result in issued) == 1
    assert BypassCode.objects.filter(user=alice).count() == 1
