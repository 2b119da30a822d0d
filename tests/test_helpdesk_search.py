"""Finding a person in admin: one search box, and the filters the helpdesk needs."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.models import CULinkCard, ProofLock
from tests.conftest import pass_prompt

pytestmark = pytest.mark.django_db

PEOPLE = "/admin/duoportal/user/"


def found(client, query):
    response = client.get(PEOPLE, query)
    assert response.status_code == 200
    return {name for name in ("alice@example.edu", "bob@example.edu") if name in response.text}


def test_it_finds_a_person_by_name_or_e_mail(helpdesk, alice, bob):
    assert found(helpdesk, {"q": "Alice Chan"}) == {"alice@example.edu"}
    assert found(helpdesk, {"q": "bob@example"}) == {"bob@example.edu"}


def test_it_finds_a_person_by_their_whole_card_serial_only(helpdesk, alice, bob):
    CULinkCard.objects.create(user=alice, serial="51002345")
    CULinkCard.objects.create(user=bob, serial="51007788")

    assert found(helpdesk, {"q": "5100 2345"}) == {"alice@example.edu"}
    assert found(helpdesk, {"q": "5100-7788"}) == {"bob@example.edu"}
    # A few digits list nobody: the search box is no way to enumerate serials.
    assert found(helpdesk, {"q": "5100"}) == set()


def test_it_finds_a_person_by_when_a_code_was_issued(helpdesk, alice, bob):
    with time_machine.travel("2026-11-28 14:32:10 +0800"):
        BypassCode.objects.issue(alice, via="culink")
    with time_machine.travel("2026-11-27 09:00 +0800"):
        BypassCode.objects.issue(bob, via="culink")

    assert found(helpdesk, {"q": "2026-11-28 14:32"}) == {"alice@example.edu"}
    assert found(helpdesk, {"q": "2026-11-27"}) == {"bob@example.edu"}
    assert found(helpdesk, {"q": "2026-11-28 14:33"}) == set()


def test_it_filters_people_locked_now(helpdesk, alice, bob):
    soon = timezone.now() + timedelta(minutes=10)
    ProofLock.objects.create(user=alice, kind="passcode", locked_until=soon)
    ProofLock.objects.create(user=bob, kind="card", locked_until=timezone.now() - timedelta(1))

    assert found(helpdesk, {"locked": "yes"}) == {"alice@example.edu"}


def test_it_filters_people_with_a_live_code(helpdesk, alice, bob):
    BypassCode.objects.issue(alice, via="culink")
    code, _ = BypassCode.objects.issue(bob, via="culink")
    BypassCode.objects.filter(pk=code.pk).update(uses=20)

    assert found(helpdesk, {"live_code": "yes"}) == {"alice@example.edu"}
    assert found(helpdesk, {"live_code": "no"}) == {"bob@example.edu"}


def test_it_filters_codes_issued_today_by_channel(helpdesk, alice, bob):
    BypassCode.objects.issue(alice, via="rescue")
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        BypassCode.objects.issue(bob, via="rescue")

    assert found(helpdesk, {"issued_today": "rescue"}) == {"alice@example.edu"}
    assert found(helpdesk, {"issued_today": "culink"}) == set()


def test_no_list_shows_a_code_a_hash_a_totp_secret_or_a_whole_serial(helpdesk, root, alice):
    from duoportal.models import AuthenticatorDevice
    from rescue.models import RescueCode

    CULinkCard.objects.create(user=alice, serial="51002345")
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    rescue = RescueCode.objects.generate(alice)
    device = AuthenticatorDevice.objects.start(alice, "phone")
    secrets_ = [plaintext, code.code_hash, device.totp.secret, "51002345", *rescue]

    superuser = pass_prompt(Client(), root)
    for client in (helpdesk, superuser):
        for model in admin.site._registry:
            opts = model._meta
            response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
            if response.status_code != 200:
                continue
            assert not [s for s in secrets_ if s in response.text], opts.label
    assert "…2345" in superuser.get("/admin/duoportal/culinkcard/").text


@pytest.mark.parametrize("term", ["9999-12-31", "0001-01-01", "9999-12-31 23:59"])
def test_a_date_at_the_end_of_time_finds_nobody(helpdesk, alice, term):
    assert found(helpdesk, {"q": term}) == set()
