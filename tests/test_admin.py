import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.test import Client

from bypass.models import BypassCode
from duoportal.models import AuditEvent, CULinkCard, ProofLock, User
from rescue.models import RescueCode
from tests.conftest import asking_from, pass_prompt

pytestmark = pytest.mark.django_db


def test_it_shows_helpdesk_a_code_without_its_hash(helpdesk, alice, helen):
    code, _ = BypassCode.objects.issue(alice, via="culink")

    for url in ["/admin/bypass/bypasscode/", f"/admin/bypass/bypasscode/{code.pk}/change/"]:
        response = helpdesk.get(url)
        assert response.status_code == 200
        assert "alice@example.edu" in response.content.decode()
        assert code.code_hash.encode() not in response.content
        assert b"argon2" not in response.content


def code_used_through_vpn(person):
    code, plaintext = BypassCode.objects.issue(person, via="culink")
    with asking_from("198.51.100.7", "VPN"):
        BypassCode.objects.redeem(person, plaintext)
    return code


def test_it_shows_helpdesk_a_codes_uses(helpdesk, alice, helen):
    code = code_used_through_vpn(alice)
    text = helpdesk.get(f"/admin/bypass/bypasscode/{code.pk}/change/").content.decode()
    assert "VPN" in text and "198.51.100.7" in text
    assert code.code_hash not in text


def test_it_shows_a_codes_uses_read_only_even_to_superusers(superuser, alice):
    code = code_used_through_vpn(alice)
    text = superuser.get(f"/admin/bypass/bypasscode/{code.pk}/change/").content.decode()
    assert "198.51.100.7" in text
    assert 'name="use_history-0-ip"' not in text and "use_history-0-DELETE" not in text
    assert 'name="use_history-MAX_NUM_FORMS" value="0"' in text


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

    asked = helpdesk.post(
        "/admin/duoportal/prooflock/", {"action": "unlock", "_selected_action": [lock.pk]}
    )
    assert "Reason" in asked.text and ProofLock.objects.locked_until(alice, "passcode")
    response = helpdesk.post(
        "/admin/duoportal/prooflock/",
        {"action": "unlock", "_selected_action": [lock.pk], "unlock": "Unlock", "reason": "INC-7"},
        follow=True,
    )

    assert "1 unlocked." in response.content.decode()
    assert ProofLock.objects.locked_until(alice, "passcode") is None
    event = alice.audit_events.get(action="proof_unlock")
    assert (event.actor, event.detail["why"]) == (helen, "INC-7")


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


def test_it_records_helpdesk_changes_to_a_person(
    helpdesk, helen, alice, django_capture_on_commit_callbacks
):
    # Disabling runs once admin's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
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


def test_disabling_on_the_persons_page_is_the_disable_action(
    helpdesk, helen, alice, django_capture_on_commit_callbacks
):
    BypassCode.objects.issue(alice, via="culink")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(f"/admin/duoportal/user/{alice.pk}/change/", person_form(alice, is_active=""))

    alice.refresh_from_db()
    assert not alice.is_active and BypassCode.objects.live_for(alice) is None
    event = alice.audit_events.get(action="person_disable")
    assert (event.actor, event.detail["reason"]) == (helen, "on the person's page")
    # Told of the disabling and of the revoked code, as by the Disable action.
    assert mail.outbox and {tuple(message.to) for message in mail.outbox} == {(alice.email,)}


def test_helpdesk_sees_no_rights_on_a_persons_page(helpdesk, root, alice):
    page = f"/admin/duoportal/user/{alice.pk}/change/"
    assert "Superuser status" not in helpdesk.get(page).text
    assert "Superuser status" in pass_prompt(Client(), root).get(page).text


def person_form(person, **changes):
    """What admin's change form posts for `person`, with `changes` and no cards."""
    return {
        "username": person.username,
        "display_name": person.display_name,
        "email": person.email,
        "is_active": "on" if person.is_active else "",
        # Only a superuser's form has these.
        "date_joined_0": f"{person.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{person.date_joined:%H:%M:%S}",
        "cards-TOTAL_FORMS": "0",
        "cards-INITIAL_FORMS": "0",
        **changes,
    }


def test_it_has_no_password_page_for_anyone(helpdesk, root, alice):
    for person in (root, alice):
        response = helpdesk.post(
            f"/admin/duoportal/user/{person.pk}/password/",
            {"usable_password": "true", "password1": "Pw-12345678", "password2": "Pw-12345678"},
        )
        assert response.status_code == 404
    root.refresh_from_db()
    assert not root.has_usable_password()
    superuser = pass_prompt(Client(), root)
    assert superuser.get(f"/admin/duoportal/user/{alice.pk}/password/").status_code == 404


def test_it_shows_and_takes_no_password_in_the_change_form(superuser, alice):
    page = superuser.get(f"/admin/duoportal/user/{alice.pk}/change/").text
    assert "password" not in page.lower()

    response = superuser.post(
        f"/admin/duoportal/user/{alice.pk}/change/",
        person_form(alice, password="Pw-12345678", password1="Pw-12345678"),
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.has_usable_password()


def test_it_adds_a_person_without_a_password(superuser, root):
    assert "password" not in superuser.get("/admin/duoportal/user/add/").text.lower()

    response = superuser.post(
        "/admin/duoportal/user/add/",
        {
            "username": "Carol@Example.edu",
            "email": "carol@example.edu",
            "display_name": "Carol Ng",
            "password1": "Pw-12345678",
            "password2": "Pw-12345678",
        },
    )

    carol = User.objects.get(username="carol@example.edu")
    assert response.status_code == 302
    assert (carol.email, carol.display_name) == ("carol@example.edu", "Carol Ng")
    assert not carol.has_usable_password()
    assert carol.audit_events.get().outcome == "added"


def test_it_refuses_to_add_a_person_twice(superuser, alice):
    response = superuser.post("/admin/duoportal/user/add/", {"username": "ALICE@example.edu"})
    assert response.status_code == 200
    assert "A person with that username already exists." in response.text
    assert User.objects.filter(username__iexact="alice@example.edu").count() == 1


def test_it_shows_helpdesk_people_with_admin_access_read_only(helpdesk, helen, root):
    colleague = User.objects.create_user("harry@example.edu", email="h@example.edu", is_staff=True)
    CULinkCard.objects.create(user=root, serial="51000001")

    for person in (root, colleague, helen):
        page = helpdesk.get(f"/admin/duoportal/user/{person.pk}/change/").text
        assert person.email in page
        assert 'name="email"' not in page and 'name="is_active"' not in page
        assert 'name="cards-0-serial"' not in page and "cards-__prefix__" not in page
        response = helpdesk.post(
            f"/admin/duoportal/user/{person.pk}/change/",
            person_form(person, email="evil@example.net", is_active=""),
        )
        assert response.status_code == 403
        person.refresh_from_db()
        assert (person.email, person.is_active) != ("evil@example.net", False)
    assert not AuditEvent.objects.filter(action="admin_change").exists()


def test_it_refuses_helpdesk_a_card_for_a_person_with_admin_access(helpdesk, root, alice):
    response = helpdesk.post(
        f"/admin/duoportal/user/{root.pk}/change/",
        person_form(
            root,
            **{"cards-TOTAL_FORMS": "1", "cards-0-serial": "66666666", "cards-0-status": "active"},
        ),
    )
    assert response.status_code == 403

    response = helpdesk.post(
        "/admin/duoportal/culinkcard/add/",
        {"user": root.pk, "serial": "66666666", "status": "active"},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert not CULinkCard.objects.exists()


def test_it_lets_helpdesk_neither_move_nor_edit_cards_of_people_with_admin_access(
    helpdesk, root, alice
):
    alices = CULinkCard.objects.create(user=alice, serial="51000001")
    roots = CULinkCard.objects.create(user=root, serial="51000002")

    moved = helpdesk.post(
        f"/admin/duoportal/culinkcard/{alices.pk}/change/",
        {"user": root.pk, "serial": alices.serial, "status": "active"},
    )
    assert "Select a valid choice." in moved.text
    page = helpdesk.get(f"/admin/duoportal/culinkcard/{roots.pk}/change/").text
    assert "51000002" in page and 'name="serial"' not in page
    edited = helpdesk.post(
        f"/admin/duoportal/culinkcard/{roots.pk}/change/",
        {"user": alice.pk, "serial": "51000002", "status": "lost"},
    )
    assert edited.status_code == 403
    assert list(CULinkCard.objects.order_by("pk").values_list("user", "status")) == [
        (alice.pk, "active"),
        (root.pk, "active"),
    ]


def test_it_offers_helpdesk_only_people_without_admin_access_for_a_card(helpdesk, root, alice):
    response = helpdesk.get(
        "/admin/autocomplete/",
        {"app_label": "duoportal", "model_name": "culinkcard", "field_name": "user", "term": ""},
    )
    found = [result["text"] for result in response.json()["results"]]
    assert "alice@example.edu" in found
    assert "root@example.edu" not in found and "helen@example.edu" not in found


def test_it_lets_helpdesk_unlock_only_people_without_admin_access(helpdesk, root, alice):
    for person in (root, alice):
        for _ in range(10):
            BypassCode.objects.redeem(person, "000000000")
    locks = ProofLock.objects.filter(kind="passcode", user__in=[root, alice])

    response = helpdesk.post(
        "/admin/duoportal/prooflock/",
        {
            "action": "unlock",
            "_selected_action": [lock.pk for lock in locks],
            "unlock": "Unlock",
            "reason": "INC-8",
        },
        follow=True,
    )

    assert "1 not unlocked: only a superuser unlocks people with admin access." in response.text
    assert ProofLock.objects.locked_until(alice, "passcode") is None
    assert ProofLock.objects.locked_until(root, "passcode") is not None


def test_it_serves_university_staff_without_admin_access_like_students(
    helpdesk, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(
            f"/admin/duoportal/user/{bob.pk}/change/",
            person_form(
                bob,
                is_active="",
                **{
                    "cards-TOTAL_FORMS": "1",
                    "cards-0-serial": "51007788",
                    "cards-0-status": "lost",
                },
            ),
        )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active and bob.cards.get().status == "lost"


def test_it_leaves_superusers_full_access(superuser, helen):
    response = superuser.post(
        f"/admin/duoportal/user/{helen.pk}/change/",
        person_form(
            helen,
            email="helen.lee@example.edu",
            is_staff="on",
            groups=[helen.groups.get().pk],
            **{"cards-TOTAL_FORMS": "1", "cards-0-serial": "51009911", "cards-0-status": "active"},
        ),
    )
    assert response.status_code == 302
    helen.refresh_from_db()
    assert helen.email == "helen.lee@example.edu" and helen.cards.get().serial == "51009911"
    card = superuser.post(
        f"/admin/duoportal/culinkcard/{helen.cards.get().pk}/change/",
        {"user": helen.pk, "serial": "51009911", "status": "lost"},
    )
    assert card.status_code == 302 and helen.cards.get().status == "lost"


def test_it_records_a_card_added_on_a_persons_page_as_added(helpdesk, helen, alice):
    card = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")
    helpdesk.post(
        f"/admin/duoportal/user/{alice.pk}/change/",
        person_form(
            alice,
            **{
                "cards-TOTAL_FORMS": "2",
                "cards-INITIAL_FORMS": "1",
                "cards-0-id": card.pk,
                "cards-0-user": alice.pk,
                "cards-0-serial": "51000001",
                "cards-0-status": "revoked",
                "cards-1-serial": "51000002",
                "cards-1-status": "active",
            },
        ),
    )

    events = alice.audit_events.filter(action="admin_change", detail__model="card")
    assert sorted((e.outcome, e.detail["status"]) for e in events) == [
        ("added", "active"),
        ("changed", "revoked"),
    ]


def test_it_records_a_card_deleted_on_a_persons_page(superuser, root, alice):
    card = CULinkCard.objects.create(user=alice, serial="51000001")
    superuser.post(
        f"/admin/duoportal/user/{alice.pk}/change/",
        person_form(
            alice,
            **{
                "cards-TOTAL_FORMS": "1",
                "cards-INITIAL_FORMS": "1",
                "cards-0-id": card.pk,
                "cards-0-user": alice.pk,
                "cards-0-serial": "51000001",
                "cards-0-status": "active",
                "cards-0-DELETE": "on",
            },
        ),
    )

    assert not alice.cards.exists()
    event = alice.audit_events.get(action="admin_change", detail__model="card")
    assert (event.outcome, event.detail["card_id"], event.actor) == ("deleted", card.pk, root)


def test_it_has_no_page_to_change_ones_own_password(superuser):
    assert superuser.get("/admin/password_change/").status_code == 404
    assert superuser.post("/admin/password_change/", {"new_password1": "x"}).status_code == 404


ONE_ACTIVE = "A person can have only one active card."
TWICE = "This serial number is given twice."


@pytest.mark.parametrize(
    ("new_cards", "reason"),
    [
        ([("51000002", "active")], ONE_ACTIVE),  # Alice's active card stays active.
        ([("51000002", "lost"), ("51000003", "active"), ("51000004", "active")], ONE_ACTIVE),
        ([("5100 0005", "lost"), ("51000005", "lost")], TWICE),  # One serial, two ways.
    ],
)
def test_it_refuses_a_second_active_card_or_a_serial_twice_on_a_persons_page(
    helpdesk, alice, new_cards, reason
):
    card = CULinkCard.objects.create(user=alice, serial="51000001")
    fields = {
        "cards-TOTAL_FORMS": str(1 + len(new_cards)),
        "cards-INITIAL_FORMS": "1",
        "cards-0-id": card.pk,
        "cards-0-user": alice.pk,
        "cards-0-serial": "51000001",
        "cards-0-status": "active" if len(new_cards) == 1 else "revoked",
    }
    for n, (serial, status) in enumerate(new_cards, start=1):
        fields |= {f"cards-{n}-serial": serial, f"cards-{n}-status": status}

    page = helpdesk.post(f"/admin/duoportal/user/{alice.pk}/change/", person_form(alice, **fields))

    assert page.status_code == 200 and reason in page.text
    assert list(CULinkCard.objects.values_list("serial", "status")) == [("51000001", "active")]


def test_it_says_why_a_second_active_card_is_refused_on_the_cards_own_page(helpdesk, alice):
    CULinkCard.objects.create(user=alice, serial="51000001")

    page = helpdesk.post(
        "/admin/duoportal/culinkcard/add/",
        {"user": alice.pk, "serial": "51000002", "status": "active"},
    )

    assert page.status_code == 200 and ONE_ACTIVE in page.text
    assert CULinkCard.objects.count() == 1


def test_it_offers_to_replace_a_lost_card(helpdesk, alice):
    card = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")

    page = helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text

    assert f"/card-replace/{card.pk}/" in page
    assert "/card-lost/" not in page


def test_it_records_a_card_moved_to_another_person_in_both_trails(helpdesk, helen, alice, bob):
    card = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")

    helpdesk.post(
        f"/admin/duoportal/culinkcard/{card.pk}/change/",
        {"user": bob.pk, "serial": "51000001", "status": "lost"},
    )

    assert CULinkCard.objects.get().user == bob
    left = alice.audit_events.get(action="admin_change", detail__model="card")
    arrived = bob.audit_events.get(action="admin_change", detail__model="card")
    assert (left.outcome, left.actor, left.detail["card_id"]) == ("moved", helen, card.pk)
    assert arrived.outcome == "changed"


def test_it_records_cards_deleted_from_the_list(superuser, root, alice, bob):
    cards = [
        CULinkCard.objects.create(user=alice, serial="51000001"),
        CULinkCard.objects.create(user=bob, serial="51000002"),
    ]

    superuser.post(
        "/admin/duoportal/culinkcard/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in cards], "post": "yes"},
    )

    assert not CULinkCard.objects.exists()
    events = AuditEvent.objects.filter(action="admin_change", detail__model="card")
    assert {(e.subject, e.outcome, e.actor) for e in events} == {
        (alice, "deleted", root),
        (bob, "deleted", root),
    }


def test_it_records_a_person_deleted(superuser, root, alice):
    superuser.post(f"/admin/duoportal/user/{alice.pk}/delete/", {"post": "yes"})

    assert not User.objects.filter(username=alice.username).exists()
    event = AuditEvent.objects.get(action="admin_change", detail__model="person")
    assert (event.subject_username, event.outcome, event.actor) == (alice.username, "deleted", root)


def test_it_deletes_no_proof_lock_even_for_a_superuser(superuser, alice):
    # Deleting would unlock without the event and the e-mail: "unlock" is the way.
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")
    lock = ProofLock.objects.get(user=alice)

    page = superuser.get(f"/admin/duoportal/prooflock/{lock.pk}/delete/")
    superuser.post(
        "/admin/duoportal/prooflock/",
        {"action": "delete_selected", "_selected_action": [lock.pk], "post": "yes"},
    )

    assert page.status_code == 403
    assert ProofLock.objects.locked_until(alice, "passcode") is not None


@pytest.mark.django_db(transaction=True)
def test_disabling_on_the_persons_page_during_an_issue_deletes_its_code(
    duo_account, helpdesk, alice, monkeypatch
):
    # Admin saves in a transaction holding Alice's row, which the issue in flight waits for
    # while it holds the turn the revoke waits for: the revoke now runs after the commit.
    import threading

    from django.db import connection

    from duoapi.duostore import DuoStore

    BypassCode.objects.issue(alice, via="culink")
    in_make, go = threading.Event(), threading.Event()
    real_make = DuoStore.make

    def slow_make(self, person, **kwargs):
        in_make.set()
        go.wait(10)
        return real_make(self, person, **kwargs)

    monkeypatch.setattr(DuoStore, "make", slow_make)

    def person_issues():
        try:
            BypassCode.objects.issue(alice, via="culink")
        finally:
            connection.close()

    issuing = threading.Thread(target=person_issues)
    issuing.start()
    assert in_make.wait(10)
    threading.Timer(0.3, go.set).start()  # Duo answers while admin is saving.
    helpdesk.post(f"/admin/duoportal/user/{alice.pk}/change/", person_form(alice, is_active=""))
    issuing.join(15)

    alice.refresh_from_db()
    assert not alice.is_active and BypassCode.objects.live_for(alice) is None
    [user] = duo_account.admin().get_users_by_name(alice.username)
    assert list(duo_account.admin().get_user_bypass_codes(user["user_id"])) == []
