from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from duoportal import helpdesk
from duoportal.models import AuthenticatorDevice, CULinkCard
from duoportal.secondfactor import CARD_CHECK_KEY

pytestmark = pytest.mark.django_db

ADD = "/my-account/authenticators/add/"


def card_checked(client, person, minutes_ago=0):
    """As the card screen leaves the session: `person`'s active card passed a check."""
    card = person.cards.filter(status="active").first()
    card = card or CULinkCard.objects.create(user=person, serial="51002345")
    session = client.session
    at = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    session[CARD_CHECK_KEY] = {"at": at, "card": card.pk}
    session.save()


def start(client):
    response = client.post(ADD, {"name": "Work phone"})
    assert response.status_code == 302
    device = AuthenticatorDevice.objects.get(name="Work phone")
    return device, f"/my-account/authenticators/{device.pk}/confirm/"


def test_it_enrols_an_app_after_a_bypass_code(verified, alice):
    device, url = start(verified)
    page = verified.get(url)
    assert "<svg" in page.text and device.totp.secret in page.text

    response = verified.post(url, {"code": pyotp.TOTP(device.totp.secret).now()})

    assert response["Location"] == "/my-account/"
    device.refresh_from_db()
    assert device.confirmed
    assert alice.audit_events.filter(action="device_add").exists()


def test_it_e_mails_the_person_when_an_app_is_added_or_removed(
    verified, alice, django_capture_on_commit_callbacks
):
    device, url = start(verified)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verified.post(url, {"code": pyotp.TOTP(device.totp.secret).now()})
        verified.post(f"/my-account/authenticators/{device.pk}/remove/")

    assert {tuple(m.to) for m in mail.outbox} == {("alice@example.edu",)}
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "An authenticator app was added to your account",
        "An authenticator app was removed from your account",
    ]
    assert device.totp.secret not in mail.outbox[0].body


def test_it_refuses_a_wrong_confirmation_code(verified):
    device, url = start(verified)
    response = verified.post(url, {"code": "000000"})
    assert "That code does not match" in response.text
    device.refresh_from_db()
    assert not device.confirmed


def test_it_stores_the_secret_encrypted(verified):
    device, _ = start(verified)
    assert device.totp.secret not in device.secret_encrypted


def test_it_refuses_enrolment_on_a_microsoft_password_alone(client, alice):
    client.force_login(alice)
    response = client.post(ADD, {"name": "Thief's phone"})
    assert response["Location"] == "/verify/?next=%2Fmy-account%2F"
    assert not AuthenticatorDevice.objects.exists()


def test_it_forgets_a_card_check_after_a_while(client, alice):
    client.force_login(alice)
    card_checked(client, alice, minutes_ago=16)
    assert client.post(ADD, {"name": "Phone"})["Location"].startswith("/verify/")
    assert not AuthenticatorDevice.objects.exists()


def test_it_allows_a_first_app_after_a_card_check(client, alice):
    client.force_login(alice)
    card_checked(client, alice)
    assert client.post(ADD, {"name": "Phone"})["Location"].endswith("/confirm/")


def test_a_card_check_ends_when_a_card_is_reported_lost(client, alice, helen):
    card = CULinkCard.objects.create(user=alice, serial="51002345")
    client.force_login(alice)
    card_checked(client, alice, minutes_ago=1)
    helpdesk.mark_card_lost(card, by=helen, reason="stolen")

    assert client.post(ADD, {"name": "Phone"})["Location"].startswith("/verify/")
    assert not AuthenticatorDevice.objects.exists()


def test_a_change_to_another_card_leaves_the_card_check_alone(client, alice):
    old = CULinkCard.objects.create(user=alice, serial="51000001", status="lost")
    client.force_login(alice)
    card_checked(client, alice, minutes_ago=1)
    CULinkCard.objects.register(alice, old.serial, status="revoked", expires_on=None)

    assert client.post(ADD, {"name": "Phone"})["Location"].endswith("/confirm/")


def test_it_wants_the_second_factor_for_another_app_after_a_card_check(client, alice):
    device = AuthenticatorDevice.objects.start(alice, "Old phone")
    device.confirmed = True
    device.save()
    client.force_login(alice)
    card_checked(client, alice)
    assert client.post(ADD, {"name": "Phone"})["Location"].startswith("/verify/")


def test_it_removes_an_app_and_records_it(verified, alice):
    device = AuthenticatorDevice.objects.start(alice, "Old phone")
    response = verified.post(f"/my-account/authenticators/{device.pk}/remove/")
    assert response.status_code == 302
    assert not AuthenticatorDevice.objects.exists()
    assert alice.audit_events.filter(action="device_remove").exists()


def test_it_will_not_touch_another_persons_app(verified, bob):
    device = AuthenticatorDevice.objects.start(bob, "Bob's phone")
    assert verified.post(f"/my-account/authenticators/{device.pk}/remove/").status_code == 404
    assert verified.get(f"/my-account/authenticators/{device.pk}/confirm/").status_code == 404
    assert AuthenticatorDevice.objects.filter(pk=device.pk).exists()


def test_it_refuses_removal_by_get(verified, alice):
    device = AuthenticatorDevice.objects.start(alice, "Phone")
    assert verified.get(f"/my-account/authenticators/{device.pk}/remove/").status_code == 405


def test_it_needs_a_name(verified):
    response = verified.post(ADD, {"name": "  "})

    assert response.status_code == 200
    assert 'role="alert">Give the authenticator a name.</p>' in response.text
    assert not AuthenticatorDevice.objects.exists()


def test_it_keeps_what_was_typed_when_the_name_is_refused(verified):
    typed = "Work phone " + "x" * 60

    response = verified.post(ADD, {"name": typed})

    assert response.status_code == 200
    assert f'value="{typed}"' in response.text and 'aria-invalid="true"' in response.text
    assert not AuthenticatorDevice.objects.exists()
    # The same page takes the corrected name and goes on to the QR code.
    assert verified.post(ADD, {"name": typed[:64]})["Location"].endswith("/confirm/")


def test_it_shows_a_refused_name_to_someone_who_came_by_the_card_path(client, alice):
    client.force_login(alice)
    card_checked(client, alice)

    response = client.post(ADD, {"name": ""})

    assert response.status_code == 200 and "Give the authenticator a name." in response.text


def test_it_keeps_one_unconfirmed_app_per_person_the_newest(verified, alice):
    first = verified.post(ADD, {"name": "Phone"})["Location"]
    second = verified.post(ADD, {"name": "Phone"})["Location"]

    assert alice.authenticators.filter(confirmed=False).count() == 1
    assert verified.get(first).status_code == 404
    assert verified.get(second).status_code == 200


def test_it_keeps_confirmed_apps_when_another_is_started(verified, alice):
    device, url = start(verified)
    verified.post(url, {"code": pyotp.TOTP(device.totp.secret).now()})
    verified.post(ADD, {"name": "Tablet"})
    assert alice.authenticators.get(confirmed=True) == device
    assert alice.authenticators.get(confirmed=False).name == "Tablet"


def test_it_no_longer_confirms_an_app_started_over_a_day_ago(verified):
    device, url = start(verified)
    AuthenticatorDevice.objects.filter(pk=device.pk).update(
        created_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    assert verified.get(url).status_code == 404
    assert verified.post(url, {"code": pyotp.TOTP(device.totp.secret).now()}).status_code == 404
    device.refresh_from_db()
    assert not device.confirmed


def test_it_removes_everyones_stale_unconfirmed_apps_when_one_starts(verified, bob):
    a_day_ago = timezone.now() - timedelta(days=1, seconds=1)
    with time_machine.travel(a_day_ago):
        kept = AuthenticatorDevice.objects.start(bob, "Bob's phone")
        AuthenticatorDevice.objects.filter(pk=kept.pk).update(confirmed=True)
        stale = AuthenticatorDevice.objects.start(bob, "Bob's tablet")

    start(verified)

    assert not AuthenticatorDevice.objects.filter(pk=stale.pk).exists()
    assert AuthenticatorDevice.objects.filter(pk=kept.pk).exists()


def test_the_database_allows_one_unconfirmed_app_per_person(alice):
    AuthenticatorDevice.objects.start(alice, "Phone")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthenticatorDevice.objects.create(user=alice, name="Another", secret_encrypted="x")
