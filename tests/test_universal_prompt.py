"""The Universal Prompt: "Enter a Passcode", "Log In", and the way back to the application."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from bypass.models import BypassCode
from duoapi import models
from duoapi.models import AuthorizationRequest, Integration
from duoportal.models import AuditEvent, AuthenticatorDevice, ProofLock, User
from tests.universal import HOST, browser_get, browser_post, returned, universal_client

pytestmark = pytest.mark.django_db

STATE = "s" * 36


@pytest.fixture
def prompt(client, webapp, alice):
    """The prompt's address, after the VPN sent Alice's browser (`client`) there."""
    return browser_get(client, webapp.create_auth_url("alice@example.edu", STATE))["Location"]


@pytest.fixture
def code(alice):
    return BypassCode.objects.issue(alice, via="culink")[1]


def test_it_shows_the_application_the_person_and_the_guides_labels(client, prompt):
    page = browser_get(client, prompt).text

    assert "<h1>Enter a Passcode</h1>" in page
    assert "VPN" in page and "alice@example.edu" in page
    assert ">Log In</button>" in page and ">Cancel</button>" in page


def test_it_needs_no_microsoft_sign_in(client, prompt):
    response = browser_get(client, prompt)
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_it_lets_its_forms_lead_back_to_the_application_on_this_page_only(client, prompt):
    policy = browser_get(client, prompt)["Content-Security-Policy"]
    elsewhere = browser_get(client, "/")["Content-Security-Policy"]

    form_action = re.search(r"form-action ([^;]*)", policy).group(1).split()
    assert form_action[0] == "'self'" and form_action[-1] == "https://app.example"
    assert "app.example" not in elsewhere


def test_it_has_no_inline_script_or_style(client, prompt):
    page = browser_get(client, prompt).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and "style=" not in page


def test_it_sends_a_bypass_code_back_as_a_one_time_code(client, prompt, code, alice):
    back = returned(browser_post(client, prompt, {"passcode": code}))

    request = AuthorizationRequest.objects.get()
    assert set(back) == {"duo_code", "state"} and back["state"] == STATE
    assert (request.outcome, request.method) == ("allow", "bypass")
    assert back["duo_code"] not in str(AuthorizationRequest.objects.values().get())
    [use] = BypassCode.objects.uses_of(BypassCode.objects.get(user=alice))
    assert use.application == "VPN"


def test_it_counts_one_use_of_the_bypass_code(client, prompt, code, alice):
    browser_post(client, prompt, {"passcode": code})
    assert BypassCode.objects.get(user=alice).uses == 1


def test_it_accepts_an_authenticator_apps_code(client, prompt, alice):
    device = AuthenticatorDevice.objects.start(alice, "Phone")
    device.confirmed = True
    device.save()

    back = returned(
        browser_post(client, prompt, {"passcode": pyotp.TOTP(device.totp.secret).now()})
    )

    assert back["duo_code"]
    assert AuthorizationRequest.objects.get().method == "totp"


def test_it_answers_with_code_when_the_application_asks_for_it(client, vpn, alice, code):
    app = universal_client(*vpn, use_duo_code_attribute=False)
    prompt = browser_get(client, app.create_auth_url("alice@example.edu", STATE))["Location"]

    back = returned(browser_post(client, prompt, {"passcode": code}))

    assert set(back) == {"code", "state"}


def test_it_says_how_many_tries_are_left_after_a_wrong_passcode(client, prompt, code):
    response = browser_post(client, prompt, {"passcode": "000000000"})

    assert response.status_code == 200
    assert "Wrong passcode. 9 tries left." in response.text
    assert "app.example" in response["Content-Security-Policy"]
    assert not AuthorizationRequest.objects.get().answered_at


def test_it_sends_the_person_back_denied_when_the_passcode_locks(client, prompt, code, alice):
    for _ in range(9):
        assert browser_post(client, prompt, {"passcode": "000000000"}).status_code == 200

    back = returned(browser_post(client, prompt, {"passcode": "000000000"}))

    assert back == {
        "error": "access_denied",
        "error_description": "Too many wrong passcodes",
        "state": STATE,
    }
    assert ProofLock.objects.locked_until(alice, ProofLock.Kind.PASSCODE)
    assert AuthorizationRequest.objects.get().outcome == "locked"


def test_it_says_until_when_it_is_locked_and_still_offers_cancel(client, prompt, alice):
    until = timezone.now() + timedelta(minutes=30)
    ProofLock.objects.create(user=alice, kind=ProofLock.Kind.PASSCODE, locked_until=until)

    page = browser_get(client, prompt).text

    assert "Too many wrong passcodes" in page and f"{timezone.localtime(until):%H:%M}" in page
    assert 'name="passcode"' not in page and ">Cancel</button>" in page


def test_it_sends_the_person_back_denied_on_cancel(client, prompt, code, alice):
    back = returned(browser_post(client, prompt, {"cancel": "1"}))

    assert back["error"] == "access_denied" and back["state"] == STATE
    assert BypassCode.objects.get(user=alice).uses == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.DUO_PROMPT)
    assert (event.subject, event.outcome, event.detail["application"]) == (alice, "cancel", "VPN")


def test_a_second_log_in_goes_back_with_the_same_code_and_counts_no_second_use(
    client, prompt, code, alice
):
    first = returned(browser_post(client, prompt, {"passcode": code}))
    second = returned(browser_post(client, prompt, {"passcode": code}))

    assert first == second
    assert BypassCode.objects.get(user=alice).uses == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DUO_PROMPT).count() == 1


def test_it_is_gone_once_the_answer_is_too_old(client, prompt, code):
    browser_post(client, prompt, {"passcode": code})

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = browser_get(client, prompt)

    assert response.status_code == 404 and "expired or is already finished" in response.text


@pytest.mark.parametrize("deleted", ["application", "person"])
def test_it_is_gone_when_the_application_or_person_is_deleted_while_it_is_read(
    client, prompt, alice, deleted, monkeypatch
):
    # The request is read first, then its application and person: a helpdesk deletion
    # between those reads takes the request with it (a cascade).
    read_request = models.hand_written_first

    def then_deleted(*args):
        found = read_request(*args)
        (Integration.objects.all() if deleted == "application" else User.objects.all()).delete()
        return found

    monkeypatch.setattr(models, "hand_written_first", then_deleted)

    response = browser_get(client, prompt)

    assert response.status_code == 404 and "expired or is already finished" in response.text


def test_it_belongs_to_the_browser_it_was_opened_in(prompt, code):
    other_browser = Client()

    response = browser_post(other_browser, prompt, {"passcode": code})

    assert response.status_code == 404 and "Location" not in response
    assert not AuthorizationRequest.objects.get().answered_at


def test_it_expires_unanswered(client, prompt, code):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = browser_post(client, prompt, {"passcode": code})
    assert response.status_code == 404


def test_it_keeps_the_query_of_the_redirect_uri(client, vpn, alice, code):
    app = universal_client(*vpn, redirect_uri="https://app.example/duo-callback?tenant=7")
    prompt = browser_get(client, app.create_auth_url("alice@example.edu", STATE))["Location"]

    location = browser_post(client, prompt, {"passcode": code})["Location"]

    assert location.startswith("https://app.example/duo-callback?tenant=7&duo_code=")


def test_it_speaks_traditional_chinese(client, prompt):
    page = browser_get(client, prompt, HTTP_ACCEPT_LANGUAGE="zh-Hant").text

    assert "輸入通行碼" in page and ">登入</button>" in page and ">取消</button>" in page
    assert 'lang="zh-Hant"' in page


def test_a_prompt_of_an_application_turned_off_meanwhile_counts_no_use(
    client, prompt, code, alice, webapp
):
    Integration.objects.update(enabled=False)

    shown = client.get(prompt, secure=True, HTTP_HOST=HOST)
    answered = browser_post(client, prompt, {"passcode": code})

    for response in (shown, answered):
        assert "not known to the portal, or is turned off" in response.text
    assert BypassCode.objects.get(user=alice).uses == 0


def test_people_behind_one_campus_nat_are_not_throttled_as_one(client, webapp, settings):
    # Every Log In to every connected application comes through here, from behind one NAT.
    settings.THROTTLE_PER_ADDRESS, settings.THROTTLE_PER_INTEGRATION = "2/m", "1000/m"
    answers = []
    for n in range(4):
        person = User.objects.create_user(f"person{n}@example.edu")
        _, code = BypassCode.objects.issue(person, via="culink")
        browser = Client()
        prompt = browser_get(browser, webapp.create_auth_url(person.username, STATE))["Location"]
        answers.append(browser_post(browser, prompt, {"passcode": code}).status_code)

    assert answers == [302] * 4


def test_a_locked_persons_tries_count_nothing_against_the_application(
    client, prompt, alice, settings
):
    settings.THROTTLE_PER_INTEGRATION = "2/m"
    for _ in range(10):
        BypassCode.objects.redeem(alice, "000000000")

    answers = {
        browser_post(client, prompt, {"passcode": "000000000"}).status_code for _ in range(3)
    }

    assert 429 not in answers


def test_it_refuses_other_methods(client, prompt):
    response = client.put(prompt, secure=True, HTTP_HOST="localhost:8443")
    assert response.status_code == 405


def test_a_log_in_left_by_a_killed_worker_blocks_nobody_for_long(client, prompt, code):
    # A worker killed mid-check never gave its claim back.
    stale = timezone.now() - timedelta(minutes=2)
    AuthorizationRequest.objects.update(checking_since=stale)

    back = returned(browser_post(client, prompt, {"passcode": code}))

    assert back["state"] == STATE and "duo_code" in back


def test_a_log_in_still_being_checked_elsewhere_is_said_and_nothing_counted(
    client, prompt, code, alice, settings
):
    settings.PROOF_BUSY_WAIT = timedelta(milliseconds=200)
    AuthorizationRequest.objects.update(checking_since=timezone.now())

    response = browser_post(client, prompt, {"passcode": "000000000"})

    assert response.status_code == 200
    assert "This one was not counted" in response.text
    assert not ProofLock.objects.filter(user=alice, failures__gt=0).exists()
    assert not AuthorizationRequest.objects.get().answered_at
