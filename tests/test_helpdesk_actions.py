"""The helpdesk's actions on the person's page: each with a reason, audited, and told."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.models import AuditEvent, CULinkCard, ProofLock, User
from rescue.models import RescueCode
from tests.conftest import pass_prompt

pytestmark = pytest.mark.django_db


def url(person, action):
    return f"/admin/duoportal/user/{person.pk}/{action}/"


def test_the_persons_page_offers_the_actions(helpdesk, alice):
    BypassCode.objects.issue(alice, via="culink")
    text = helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text

    for action in ["issue-code", "revoke-code", "unlock", "set-active"]:
        assert f'href="{url(alice, action)}"' in text


def test_revoke_asks_for_a_reason_and_tells_the_person(
    helpdesk, alice, helen, django_capture_on_commit_callbacks
):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    mail.outbox.clear()

    refused = helpdesk.post(url(alice, "revoke-code"), {"reason": ""})
    assert refused.status_code == 200 and "This field is required." in refused.text
    assert BypassCode.objects.live_for(alice) is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(url(alice, "revoke-code"), {"reason": "INC-1234"})

    assert response["Location"] == f"/admin/duoportal/user/{alice.pk}/change/"
    assert not BypassCode.objects.check_passcode(alice, plaintext)[0]
    event = AuditEvent.objects.get(action="bypass_revoke", outcome="revoked")
    assert (event.actor, event.detail["reason"]) == (helen, "INC-1234")
    assert [m.subject for m in mail.outbox] == ["Your bypass code was revoked"]
    assert plaintext not in mail.outbox[0].body


def test_unlock_every_proof_with_a_reason(
    helpdesk, alice, helen, django_capture_on_commit_callbacks
):
    until = timezone.now() + timezone.timedelta(minutes=15)
    for kind in ("passcode", "card"):
        ProofLock.objects.create(user=alice, kind=kind, failures=0, locked_until=until)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(url(alice, "unlock"), {"reason": "INC-7", "kind": "all"})

    assert not ProofLock.objects.filter(user=alice, locked_until__isnull=False).exists()
    events = AuditEvent.objects.filter(action="proof_unlock").order_by("pk")
    assert [(e.outcome, e.actor, e.detail["why"]) for e in events] == [
        ("passcode", helen, "INC-7"),
        ("card", helen, "INC-7"),
    ]
    assert [m.subject for m in mail.outbox] == ["The helpdesk unlocked your account"] * 2


def test_issue_needs_the_checklist_then_shows_the_code_once(helpdesk, alice, helen):
    _, old = BypassCode.objects.issue(alice, via="culink")

    unchecked = helpdesk.post(
        url(alice, "issue-code"), {"reason": "INC-9", "identity_check": "photo_id_in_person"}
    )
    assert unchecked.status_code == 200 and not unchecked.context.get("plaintext")

    response = helpdesk.post(
        url(alice, "issue-code"),
        {"reason": "INC-9", "identity_check": "photo_id_video_call", "confirmed": "on"},
    )

    plaintext = response.context["plaintext"]
    assert "no-store" in response["Cache-Control"]
    assert f'data-code="{plaintext}"' in response.text
    code = BypassCode.objects.get(user=alice, revoked_at__isnull=True)
    assert (code.via, code.issued_by) == ("helpdesk", helen)
    event = AuditEvent.objects.get(action="bypass_issue", outcome="helpdesk")
    assert (event.detail["reason"], event.detail["identity_check"]) == (
        "INC-9",
        "photo_id_video_call",
    )
    assert plaintext not in str(event.detail)
    assert not BypassCode.objects.check_passcode(alice, old)[0]
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_a_helpdesk_code_may_be_shorter_lived_with_fewer_uses(helpdesk, alice, settings):
    settings.HELPDESK_CODE_LIFETIME = timezone.timedelta(minutes=30)
    settings.HELPDESK_CODE_MAX_USES = 3

    helpdesk.post(
        url(alice, "issue-code"),
        {"reason": "INC-9", "identity_check": "photo_id_in_person", "confirmed": "on"},
    )

    code = BypassCode.objects.get(user=alice)
    assert code.max_uses == 3
    assert code.expires_at - code.created_at == timezone.timedelta(minutes=30)


def test_no_action_on_a_colleague_with_admin_access(helpdesk, helen, db):
    from duoportal.models import User

    colleague = User.objects.create_user("hank@example.edu", is_staff=True)
    BypassCode.objects.issue(colleague, via="culink")

    for action in ["issue-code", "revoke-code", "unlock"]:
        assert helpdesk.get(url(colleague, action)).status_code == 403
        assert helpdesk.post(url(colleague, action), {"reason": "x"}).status_code == 403
    assert BypassCode.objects.live_for(colleague) is not None
    text = helpdesk.get(f"/admin/duoportal/user/{colleague.pk}/change/").text
    assert url(colleague, "issue-code") not in text


def test_no_action_for_someone_not_past_the_second_factor(client, helen, alice):
    client.force_login(helen)

    response = client.get(url(alice, "issue-code"), follow=True)

    # Admin's login sends her to "Enter a Passcode" first.
    assert response.redirect_chain[-1][0].startswith("/verify/")
    assert not BypassCode.objects.exists()


def test_a_disabled_person_gets_no_code(helpdesk, alice):
    alice.is_active = False
    alice.save()

    helpdesk.post(
        url(alice, "issue-code"),
        {"reason": "INC-9", "identity_check": "photo_id_in_person", "confirmed": "on"},
    )

    assert not BypassCode.objects.filter(user=alice).exists()


def test_a_person_who_does_not_exist(helpdesk):
    assert helpdesk.get("/admin/duoportal/user/999999/unlock/").status_code == 404
    assert RescueCode.objects.count() == 0


def test_disabling_a_person_ends_their_sessions_for_good(helpdesk, alice):
    # A stolen phone's browser, signed in and past the prompt: enabling the person again
    # must not bring that session back.
    theirs = pass_prompt(Client(), alice)
    assert theirs.get("/my-account/").status_code == 200

    helpdesk.post(url(alice, "set-active"), {"reason": "INC-19 phone stolen", "enable": "False"})
    helpdesk.post(url(alice, "set-active"), {"reason": "INC-19 new phone", "enable": "True"})

    assert theirs.get("/my-account/").status_code == 302
    assert "_auth_user_id" not in theirs.session
    assert not User.objects.get(pk=alice.pk).has_usable_password()


def test_disable_revokes_the_code_and_enable_undoes_it(
    helpdesk, alice, helen, django_capture_on_commit_callbacks
):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(
            url(alice, "set-active"), {"reason": "INC-11 left the university", "enable": "False"}
        )
    alice.refresh_from_db()

    assert not alice.is_active
    assert BypassCode.objects.live_for(alice) is None
    disabled = AuditEvent.objects.get(action="person_disable")
    assert (disabled.actor, disabled.detail["reason"]) == (helen, "INC-11 left the university")
    assert "Enable" in helpdesk.get(f"/admin/duoportal/user/{alice.pk}/change/").text

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(url(alice, "set-active"), {"reason": "INC-12 back", "enable": "True"})
    alice.refresh_from_db()

    assert alice.is_active
    assert AuditEvent.objects.get(action="person_enable").detail["reason"] == "INC-12 back"
    assert [m.subject for m in mail.outbox] == [
        "Your account on the DUO Self-Service Portal was disabled",
        "Your bypass code was revoked",
        "Your account on the DUO Self-Service Portal was enabled",
    ]
    assert not BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_void_the_rescue_codes(helpdesk, alice, helen, django_capture_on_commit_callbacks):
    [first, *_] = RescueCode.objects.generate(alice)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(url(alice, "void-rescue-codes"), {"reason": "INC-13 photographed"})

    assert RescueCode.objects.unused_count(alice) == 0
    assert not BypassCode.objects.issue_with_rescue_code(alice, first)[0]
    event = AuditEvent.objects.get(action="rescue_void")
    assert (event.actor, event.detail["reason"]) == (helen, "INC-13 photographed")
    assert [m.subject for m in mail.outbox] == ["Your rescue codes were voided"]


def test_mark_a_card_lost(helpdesk, alice, helen):
    card = CULinkCard.objects.create(user=alice, serial="51002345")

    helpdesk.post(f"{url(alice, 'card-lost')}{card.pk}/", {"reason": "INC-14"})

    card.refresh_from_db()
    assert card.status == "lost"
    assert not CULinkCard.objects.verify(alice, "51002345")
    event = AuditEvent.objects.get(action="card_lost")
    assert (event.detail["card_id"], event.detail["reason"]) == (card.pk, "INC-14")
    assert "51002345" not in str(event.detail)


def test_replace_a_card_in_one_go(helpdesk, alice, bob):
    old = CULinkCard.objects.create(user=alice, serial="51002345")
    CULinkCard.objects.create(user=bob, serial="51007788")
    replace = f"{url(alice, 'card-replace')}{old.pk}/"

    taken = helpdesk.post(replace, {"reason": "INC-15", "serial": "5100 7788"})
    assert "already registered" in taken.text
    helpdesk.post(replace, {"reason": "INC-15", "serial": "5100-9911", "expires_on": "2030-06-30"})

    old.refresh_from_db()
    new = CULinkCard.objects.get(serial="51009911")
    assert (old.status, new.user, new.status, str(new.expires_on)) == (
        "lost",
        alice,
        "active",
        "2030-06-30",
    )
    assert CULinkCard.objects.verify(alice, "51009911")
    assert AuditEvent.objects.get(action="card_replace").detail["replaced_card_id"] == old.pk


def test_no_card_action_on_another_persons_card(helpdesk, alice, bob):
    card = CULinkCard.objects.create(user=bob, serial="51007788")

    response = helpdesk.post(f"{url(alice, 'card-lost')}{card.pk}/", {"reason": "x"})

    assert response.status_code == 404
    card.refresh_from_db()
    assert card.status == "active"


def test_in_duo_account_mode_the_actions_go_to_duo(duo_account, helpdesk, alice, settings):
    settings.HELPDESK_CODE_MAX_USES = 5
    checklist = {"reason": "INC-16", "identity_check": "photo_id_in_person", "confirmed": "on"}

    plaintext = helpdesk.post(url(alice, "issue-code"), checklist).context["plaintext"]

    code = BypassCode.objects.get(user=alice)
    duo_user_id, code_id = code.remote_id.split("/")
    [made] = list(duo_account.admin().get_user_bypass_codes(duo_user_id))
    assert (made["bypass_code_id"], made["reuse_count"]) == (code_id, 5)
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]
    assert "counted by Duo" in helpdesk.get("/admin/bypass/bypasscode/").text

    duo_account.control(fail="500")
    refused = helpdesk.post(url(alice, "revoke-code"), {"reason": "INC-17"}, follow=True)
    assert "The DUO service is not answering" in refused.text
    duo_account.control(fail="")
    helpdesk.post(url(alice, "revoke-code"), {"reason": "INC-17"})

    assert list(duo_account.admin().get_user_bypass_codes(duo_user_id)) == []


def test_disabling_while_duo_fails_says_the_person_is_disabled_and_the_code_left(
    duo_account, helpdesk, alice
):
    BypassCode.objects.issue(alice, via="culink")
    duo_account.control(fail="500")

    page = helpdesk.post(
        url(alice, "set-active"), {"reason": "INC-18", "enable": "False"}, follow=True
    ).text

    alice.refresh_from_db()
    assert not alice.is_active
    assert "Disabled, and the person was told, but their bypass code could not be deleted" in page
    assert "Use “Revoke the bypass code” once DUO answers." in page


def test_duo_not_knowing_the_person_is_told_to_the_helpdesk_as_such(duo_account, helpdesk):
    zoe = User.objects.create_user("zoe@example.edu")
    checklist = {"reason": "INC-19", "identity_check": "photo_id_in_person", "confirmed": "on"}

    page = helpdesk.post(url(zoe, "issue-code"), checklist).text

    assert "DUO has no user by this person&#x27;s name" in page
    assert "DUO has no account for you" not in page  # The person's wording, not staff's.


def test_a_second_click_on_disable_does_not_enable(helpdesk, alice):
    page = helpdesk.get(url(alice, "set-active")).text
    assert 'name="enable" value="False"' in page

    helpdesk.post(url(alice, "set-active"), {"reason": "INC-18", "enable": "False"})
    helpdesk.post(url(alice, "set-active"), {"reason": "INC-18", "enable": "False"})

    alice.refresh_from_db()
    assert not alice.is_active
    assert not AuditEvent.objects.filter(action="person_enable").exists()


def test_a_lost_card_is_replaced_only_while_the_person_has_no_active_card(helpdesk, alice):
    lost = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")
    active = CULinkCard.objects.create(user=alice, serial="51000002")
    replace = f"{url(alice, 'card-replace')}{lost.pk}/"
    assert replace not in helpdesk.get(url(alice, "change")).text

    refused = helpdesk.post(replace, {"reason": "x", "serial": "51000003"})

    assert "active card is …0002: replace that one instead" in refused.text
    assert {c.serial: c.status for c in CULinkCard.objects.filter(user=alice)} == {
        "51000001": "lost",
        "51000002": "active",
    }
    assert not AuditEvent.objects.filter(action="card_replace").exists()
    active.status = "lost"
    active.save()
    assert replace in helpdesk.get(url(alice, "change")).text

    helpdesk.post(replace, {"reason": "x", "serial": "51000003"})

    assert CULinkCard.objects.verify(alice, "51000003")
    assert CULinkCard.objects.filter(user=alice, status="lost").count() == 2


@pytest.mark.parametrize("object_id", ["%C2%B2", "x", "9" * 30])
def test_a_malformed_person_is_not_found(helpdesk, object_id):
    assert helpdesk.get(f"/admin/duoportal/user/{object_id}/revoke-code/").status_code == 404
