"""Rescue codes in My account: a new set shown once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from rescue.models import RescueCode

pytestmark = pytest.mark.django_db

URL = "/bypass-code/rescue/new/"


def test_it_shows_a_new_set_once(verified, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = verified.post(URL)

    codes = response.context["codes"]
    assert len(codes) == 5 and all(code in response.text for code in codes)
    assert "no-store" in response["Cache-Control"]
    assert "data-download" in response.text and "data-print" in response.text
    assert RescueCode.objects.unused_count(alice) == 5
    assert mail.outbox[-1].subject == "New rescue codes were generated for you"
    assert not any(code in mail.outbox[-1].body for code in codes)
    assert not any(code in verified.get("/my-account/").text for code in codes)


def test_it_voids_the_old_set(verified, alice):
    old = verified.post(URL).context["codes"]
    verified.post(URL)
    assert not RescueCode.objects.redeem(alice, old[0])


def test_it_counts_unused_codes_and_warns_when_few_are_left(verified, alice):
    assert "You have no rescue codes yet." in verified.get("/my-account/").text
    codes = verified.post(URL).context["codes"]
    assert "You have 5 unused rescue codes." in verified.get("/my-account/").text
    for code in codes[:4]:
        RescueCode.objects.redeem(alice, code)
    text = verified.get("/my-account/").text
    assert "You have 1 unused rescue code." in text
    assert "Generate a new set soon." in text


def test_it_needs_the_second_factor(client, alice):
    client.force_login(alice)
    assert client.post(URL)["Location"].startswith("/verify/")
    assert not RescueCode.objects.exists()


def test_it_makes_no_codes_on_get(verified, alice):
    assert verified.get(URL)["Location"] == "/my-account/"
    assert not RescueCode.objects.exists()


def test_it_comes_back_to_my_account_after_an_idle_timeout(verified, alice):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = verified.post(URL)
        assert response["Location"] == "/verify/?next=%2Fmy-account%2F"
    assert not RescueCode.objects.exists()
