"""The audit trail in admin: read-only, filtered the helpdesk's ways, exported as CSV."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from duoapi.models import Integration
from duoportal.models import AuditEvent
from tests.conftest import asking_from

pytestmark = pytest.mark.django_db

TRAIL = "/admin/duoportal/auditevent/"
OUTCOME = "field-outcome_words"  # the column of outcomes, in words


def outcomes(client, query):
    response = client.get(TRAIL, query)
    assert response.status_code == 200
    return {o for o in ("one", "two", "three") if f'<td class="{OUTCOME}">{o}<' in response.text}


def test_it_filters_by_actor(helpdesk, helen, alice):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, actor=alice, outcome="one")
    AuditEvent.objects.record(
        AuditEvent.Action.PROOF_UNLOCK, subject=alice, actor=helen, outcome="two"
    )

    assert outcomes(helpdesk, {"actor": str(helen.pk)}) == {"two"}
    assert outcomes(helpdesk, {"actor": "self"}) == {"one"}
    assert outcomes(helpdesk, {"actor": "x"}) == set()


def test_it_filters_by_a_date_range(helpdesk, alice):
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="one")
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="two")
    # What the filter's "Past 7 days" sends.
    since = timezone.localtime() - timedelta(days=7)

    assert outcomes(helpdesk, {"at__gte": str(since)}) == {"two"}
    assert "Past 7 days" in helpdesk.get(TRAIL).text


def test_it_filters_by_integration(helpdesk, alice):
    Integration.objects.create_integration("VPN")
    with asking_from("198.51.100.7", "VPN"):
        AuditEvent.objects.record(AuditEvent.Action.BYPASS_USE, subject=alice, outcome="one")
    AuditEvent.objects.record(AuditEvent.Action.BYPASS_USE, subject=alice, outcome="two")

    assert outcomes(helpdesk, {"application": "VPN"}) == {"one"}


def test_it_offers_the_outcomes_of_recent_events(helpdesk, alice):
    AuditEvent.objects.record(AuditEvent.Action.CARD_CHECK, subject=alice, outcome="one")
    AuditEvent.objects.record(AuditEvent.Action.CARD_CHECK, subject=alice, outcome="two")

    page = helpdesk.get(TRAIL).text
    assert "?outcome=one" in page and "?outcome=two" in page
    assert outcomes(helpdesk, {"outcome": "two"}) == {"two"}
    # An outcome no recent event has still filters (a link from elsewhere, say).
    assert outcomes(helpdesk, {"outcome": "three"}) == set()


def test_a_trail_too_long_to_count_says_more_than(helpdesk, alice, monkeypatch):
    from duoportal.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    for outcome in ["one", "one", "one", "two", "two"]:
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome=outcome)

    assert "more than 3 audit events" in helpdesk.get(TRAIL).text
    # Filtered below the cap, the count is exact again.
    assert "2 audit events" in helpdesk.get(TRAIL, {"outcome": "two"}).text
    assert "more than" not in helpdesk.get(TRAIL, {"outcome": "two"}).text


def test_its_search_finds_a_person_and_an_address(helpdesk, alice, bob, helen):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="one")
    AuditEvent.objects.record(
        AuditEvent.Action.PROOF_UNLOCK, subject=bob, actor=helen, outcome="two"
    )
    with asking_from("198.51.100.7"):
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=bob, outcome="three")

    assert outcomes(helpdesk, {"q": "ALICE"}) == {"one"}
    # As the actor too: what Helen did.
    assert outcomes(helpdesk, {"q": "helen"}) == {"two"}
    assert outcomes(helpdesk, {"q": "198.51.100.7"}) == {"three"}
    assert outcomes(helpdesk, {"q": "198.51.100.8"}) == set()
    # A person since deleted is found by their whole username.
    username = bob.username
    bob.delete()
    assert outcomes(helpdesk, {"q": username}) == {"two", "three"}
    assert outcomes(helpdesk, {"q": "bo"}) == set()


def test_a_search_naming_too_many_people_says_so(helpdesk, monkeypatch):
    from duoportal.admin import AuditEventAdmin
    from duoportal.models import User

    for i in range(4):
        person = User.objects.create_user(f"chan{i}@example.edu")
        AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=person, outcome="one")
    monkeypatch.setattr(AuditEventAdmin, "SEARCH_PEOPLE", 3)

    narrow = helpdesk.get(TRAIL, {"q": "chan1"}).text
    wide = helpdesk.get(TRAIL, {"q": "chan"}).text

    assert "More than 3 people match “chan”" in wide and wide.count(OUTCOME) == 3
    assert "people match" not in narrow and narrow.count(OUTCOME) == 1


def test_it_says_outcomes_in_words_and_filters_and_exports_their_codes(helpdesk, alice):
    from bypass.models import BypassCode

    BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, "000000000")
    AuditEvent.objects.record(AuditEvent.Action.DUO_PASSCODE, outcome="duo_user_locked_out")

    page = helpdesk.get(TRAIL).text
    wrong = helpdesk.get(TRAIL, {"outcome": "wrong_code"}).text
    export = b"".join(helpdesk.get(f"{TRAIL}export.csv").streaming_content).decode()

    assert '<td class="field-outcome_words">wrong</td>' in page
    assert '<td class="field-outcome_words">CU Link card</td>' in page  # how the code was issued
    assert '<td class="field-outcome_words">Duo refused the person: locked_out</td>' in page
    assert 'href="?outcome=wrong_code"' in page and ">wrong</a>" in page  # the filter's choice
    assert wrong.count(OUTCOME) == 1
    assert ",wrong_code," in export and ",culink," in export


def test_its_outcomes_are_in_the_helpdesks_language(helpdesk, alice):
    AuditEvent.objects.record(AuditEvent.Action.PROFILE_UPDATE, subject=alice, outcome="updated")
    helpdesk.cookies["django_language"] = "zh-hant"

    page = helpdesk.get(TRAIL).text

    assert f'<td class="{OUTCOME}">已更新</td>' in page
    assert ">已更新</a>" in page  # the filter's choice


def test_it_exports_the_filtered_events_as_csv(helpdesk, alice, helen):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="one")
    AuditEvent.objects.record(
        AuditEvent.Action.PROOF_UNLOCK, subject=alice, actor=helen, outcome="two", why="=cmd()"
    )
    query = {"actor": str(helen.pk), "subject": str(alice.pk)}
    page = helpdesk.get(TRAIL, query).text
    assert f'href="/admin/duoportal/auditevent/export.csv?actor={helen.pk}&amp;subject=' in page

    response = helpdesk.get(f"{TRAIL}export.csv", query)

    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "at",
        "action",
        "outcome",
        "subject_username",
        "actor_username",
        "ip",
        "detail",
    ]
    assert [row[1:5] for row in rows[1:]] == [
        ["proof_unlock", "two", "alice@example.edu", "helen@example.edu"]
    ]
    assert '"why": "=cmd()"' in rows[1][6]


def test_a_formula_never_reaches_a_spreadsheet(helpdesk, db):
    from duoportal.models import User

    mallory = User.objects.create_user("=hyperlink(1)@example.edu")
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=mallory, outcome="one")

    body = b"".join(helpdesk.get(f"{TRAIL}export.csv").streaming_content).decode()

    assert "'=hyperlink(1)@example.edu" in body


def test_nobody_changes_or_deletes_an_event(superuser, alice):
    event = AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="one")

    assert superuser.post(f"{TRAIL}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert superuser.post(f"{TRAIL}{event.pk}/change/", {"outcome": "x"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).outcome == "one"


def test_only_staff_export(client, alice):
    client.force_login(alice)

    response = client.get(f"{TRAIL}export.csv")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("query", [{"subject": "²"}, {"actor": "²"}, {"actor": "9" * 40}])
def test_a_malformed_filter_finds_nothing(helpdesk, query):
    assert helpdesk.get(TRAIL, query).status_code == 200
    assert helpdesk.get(f"{TRAIL}export.csv", query).status_code == 200


def test_the_export_refuses_control_characters(helpdesk):
    assert helpdesk.get(f"{TRAIL}export.csv", {"action": "\x00"}).status_code == 400
