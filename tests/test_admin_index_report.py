"""The admin index's report of today: an attack shows up at a glance."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.helpdesk import todays_report
from duoportal.models import CULinkCard, ProofLock

pytestmark = pytest.mark.django_db


def test_it_counts_todays_codes_failures_locks_and_who_failed_most(alice, bob):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        BypassCode.objects.issue(alice, via="rescue")
        BypassCode.objects.redeem(alice, "000000000")
    BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.issue(bob, via="culink")
    BypassCode.objects.issue(bob, via="helpdesk")
    # With the failure of two days ago, the ninth locks and the tenth is refused unchecked.
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")
    BypassCode.objects.redeem(bob, "000000000")
    CULinkCard.objects.create(user=bob, serial="51007788")
    CULinkCard.objects.verify(bob, "51000000")

    with CaptureQueriesContext(connection) as queries:
        report = todays_report()

    assert len(queries) == 4  # one a figure
    assert report.codes_by_channel == [("CU Link card", 2), ("rescue code", 0), ("helpdesk", 1)]
    assert report.failures_by_kind == [
        ("passcode", 10),
        ("CU Link card serial", 1),
        ("rescue code", 0),
    ]
    assert report.locks_set == 1
    assert [(name, count) for name, _, count in report.top_failures] == [
        ("alice@example.edu", 9),
        ("bob@example.edu", 2),
    ]
    assert ProofLock.objects.locked_until(alice, "passcode")


def test_the_index_shows_it_to_the_helpdesk(helpdesk, alice):
    BypassCode.objects.issue(alice, via="culink")

    text = helpdesk.get("/admin/").text

    # Alice's and the one Helen passed the prompt with.
    assert "Bypass codes issued" in text and "CU Link card: 2; rescue code: 0" in text
