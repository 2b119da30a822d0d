"""The person's page in admin: what the helpdesk reads about one person, on one screen."""

import pytest

from bypass.models import BypassCode
from duoportal.models import AuditEvent, CULinkCard, ProofLock
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db


def test_it_shows_the_person_at_a_glance_without_secrets(helpdesk, alice):
    card = CULinkCard.objects.create(user=alice, serial="51002345", status="lost")
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    for _ in range(3):
        BypassCode.objects.redeem(alice, "000000000")

    text = helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text

    assert "At a glance" in text
    assert '<p class="errornote diagnosis">card reported lost</p>' in text
    assert f'href="/admin/duoportal/culinkcard/{card.pk}/change/"' in text and "…2345" in text
    assert "issued" in text and "CU Link card" in text and "20 of 20 uses left" in text
    assert "3 failures counted" in text
    assert "<td>bypass code used</td><td>wrong</td>" in text  # its audit events, in words
    assert plaintext not in text and code.code_hash not in text


def test_it_links_to_the_persons_whole_trail(helpdesk, alice, bob):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="alice-only")
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=bob, outcome="bob-only")

    page = helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text
    assert f'href="/admin/duoportal/auditevent/?subject={alice.pk}"' in page
    trail = helpdesk.get(f"/admin/duoportal/auditevent/?subject={alice.pk}").text

    assert '<td class="field-outcome_words">alice-only' in trail
    assert '<td class="field-outcome_words">bob-only' not in trail


@pytest.mark.parametrize("subject", ["x", "9" * 40, "-1"])
def test_a_malformed_person_in_the_trails_filter_is_nobody(helpdesk, alice, subject):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, subject=alice, outcome="alice-only")

    response = helpdesk.get(f"/admin/duoportal/auditevent/?subject={subject}")

    assert response.status_code == 200
    assert '<td class="field-outcome_words">alice-only' not in response.text


def test_it_says_when_nothing_stops_the_person(helpdesk, alice):
    CULinkCard.objects.create(user=alice, serial="51002345")
    ProofLock.objects.create(user=alice, kind="card", failures=2)

    text = helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text

    assert "Nothing on record stops this person from getting a bypass code." in text


def test_it_offers_only_the_actions_that_would_change_something(helpdesk, alice):
    page = f"/admin/duoportal/user/{alice.pk}/change/"
    revoke, void = f"/admin/duoportal/user/{alice.pk}/revoke-code/", "void-rescue-codes/"

    before = helpdesk.get(page).text
    BypassCode.objects.issue(alice, via="culink")
    RescueCode.objects.generate(alice)
    after = helpdesk.get(page).text

    assert revoke not in before and void not in before
    assert revoke in after and void in after


def test_it_reads_the_whole_page_in_ten_queries_however_much_the_person_has(
    helpdesk, helen, alice, django_assert_max_num_queries
):
    for serial in ("51002345", "51002346", "51002347"):
        CULinkCard.objects.create(user=alice, serial=serial, status="lost")
    BypassCode.objects.issue(alice, via="helpdesk", issued_by=helen, identity_check="photo ID")
    RescueCode.objects.generate(alice)
    for _ in range(3):
        BypassCode.objects.redeem(alice, "000000000")
    url = f"/admin/duoportal/user/{alice.pk}/change/"
    helpdesk.get(url)  # a server's first page also reads content types, once for good

    # Session, helpdesk user, her permissions, the person, cards, code, rescue
    # codes, locks, apps, events: each read once, whatever the number of rows.
    with django_assert_max_num_queries(10):
        text = helpdesk.get(url).text

    for serial in ("51002345", "51002346", "51002347"):  # in the overview and in the card form
        assert f"…{serial[-4:]}" in text and f'value="{serial}"' in text
    assert f"by {helen}" in text  # who issued the code, without a query of its own
