from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bypass.models import BypassCode

pytestmark = pytest.mark.django_db


def test_it_shows_the_live_codes_uses_left_but_never_the_code(verified, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    response = verified.get("/my-account/")
    assert "can be used 20 more times" in response.text
    assert plaintext not in response.text


def test_it_asks_for_the_second_factor_first(client, alice):
    client.force_login(alice)
    response = client.get("/my-account/")
    assert response.status_code == 302
    assert response["Location"] == "/verify/?next=%2Fmy-account%2F"


def test_it_asks_again_after_idleness(verified):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert verified.get("/my-account/").status_code == 302


def test_it_keeps_an_active_person_in(verified):
    for minutes in (10, 20, 30):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
            assert verified.get("/my-account/").status_code == 200


def test_it_needs_a_signed_in_person(client):
    response = client.get("/my-account/")
    assert response["Location"].startswith("/accounts/login/")


def test_it_links_home_to_my_account(verified):
    assert 'href="/my-account/"' in verified.get("/").text
