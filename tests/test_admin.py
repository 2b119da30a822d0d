import pytest
from django.contrib.admin.models import LogEntry

from bypass.models import BypassCode
from duoportal.models import CULinkCard, ProofLock
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db


def test_it_shows_helpdesk_a_code_without_its_hash(helpdesk, alice, helen):
    code, _ = BypassCode.objects.issue(alice, via="culink")

    for url in ["/admin/bypass/bypasscode/", f"/admin/bypass/bypasscode/{code.pk}/change/"]:
        response = helpdesk.get(url)
        assert response.status_code == 200
        assert "alice@example.edu" in response.content.decode()
        assert code.code_hash.encode() not in response.content
        assert b"argon2" not in response.content


def test_it_shows_rescue_codes_without_hash_or_selector(helpdesk, alice, helen):
    codes = RescueCode.objects.generate(alice)
    row = RescueCode.objects.first()

    response = helpdesk.get(f"/admin/rescue/rescuecode/{row.pk}/change/")
    assert response.status_code == 200
    assert b"argon2" not in response.content
    assert not any(code[:4].encode() in response.content for code in codes)


def test_it_keeps_the_audit_trail_read_only(helpdesk, alice, helen):
    BypassCode.objects.issue(alice, via="culink")
    assert helpdesk.get("/admin/duoportal/auditevent/").status_code == 200
    assert helpdesk.get("/admin/duoportal/auditevent/add/").status_code == 403


def test_it_keeps_people_out_of_admin(verified):
    assert verified.get("/admin/bypass/bypasscode/").status_code == 302
    assert verified.get("/admin/login/?next=/admin/").status_code == 403


def test_it_sends_staff_to_microsoft_365_sign_in(client):
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_it_has_no_password_form(client):
    assert b"password" not in client.get("/admin/login/", follow=True).content.lower()


def test_it_asks_staff_for_the_second_factor(client, helen):
    client.force_login(helen)
    assert client.get("/admin/").status_code == 302
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/verify/?next=%2Fadmin%2F"


def test_it_lets_helpdesk_unlock_a_proof(helpdesk, alice, helen):
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")
    lock = ProofLock.objects.get(user=alice, kind="passcode")

    response = helpdesk.post(
        "/admin/duoportal/prooflock/",
        {"action": "unlock", "_selected_action": [lock.pk]},
        follow=True,
    )

    assert "1 unlocked." in response.content.decode()
    assert ProofLock.objects.locked_until(alice, "passcode") is None
    assert alice.audit_events.get(action="proof_unlock").actor == helen


def test_it_never_lets_helpdesk_grant_staff_or_superuser(helpdesk, helen, alice):
    for person in (helen, alice):
        page = helpdesk.get(f"/admin/duoportal/user/{person.pk}/change/").text
        assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
        helpdesk.post(
            f"/admin/duoportal/user/{person.pk}/change/",
            {
                "username": person.username,
                "is_active": "on",
                "is_superuser": "on",
                "is_staff": "on",
                "cards-TOTAL_FORMS": "0",
                "cards-INITIAL_FORMS": "0",
            },
        )
        person.refresh_from_db()
    assert not helen.is_superuser
    assert not alice.is_superuser and not alice.is_staff


def test_it_records_helpdesk_card_changes_without_the_serial(helpdesk, helen, alice):
    helpdesk.post(
        "/admin/duoportal/culinkcard/add/",
        {"user": alice.pk, "serial": "51002345", "status": "active"},
    )
    card = CULinkCard.objects.get()
    helpdesk.post(
        f"/admin/duoportal/culinkcard/{card.pk}/change/",
        {"user": alice.pk, "serial": "51002345", "status": "lost"},
    )

    events = alice.audit_events.filter(action="admin_change").order_by("pk")
    assert [(e.outcome, e.detail["status"], e.actor) for e in events] == [
        ("added", "active", helen),
        ("changed", "lost", helen),
    ]
    assert "51002345" not in str(list(events.values()))
    assert "51002345" not in str(list(LogEntry.objects.values_list("object_repr", flat=True)))


def test_it_records_helpdesk_changes_to_a_person(helpdesk, helen, alice):
    helpdesk.post(
        f"/admin/duoportal/user/{alice.pk}/change/",
        {
            "username": alice.username,
            "display_name": "Alice C",
            "is_active": "",
            "cards-TOTAL_FORMS": "0",
            "cards-INITIAL_FORMS": "0",
        },
    )
    alice.refresh_from_db()
    assert not alice.is_active
    event = alice.audit_events.get(action="admin_change")
    assert event.actor == helen
    assert set(event.detail["fields"]) >= {"display_name", "is_active"}
