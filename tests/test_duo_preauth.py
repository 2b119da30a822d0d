"""POST /auth/v2/preauth: how an application should check a person, in each state."""

import pytest
from django.contrib.auth import get_user_model

from bypass.models import BypassCode
from duoportal.models import AuditEvent, AuthenticatorDevice, ProofLock, User
from tests.duo import refusal

pytestmark = pytest.mark.django_db(transaction=True)


def fail_passcodes(person, times=10):
    for _ in range(times):
        BypassCode.objects.check_passcode(person, "000000000")


def test_it_asks_for_a_passcode_when_the_person_has_a_live_code(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    answer = duo.preauth(username="alice@example.edu")

    assert answer["result"] == "auth"
    assert answer["devices"] == []


def test_it_lists_authenticator_apps_as_duo_lists_tokens(duo, alice):
    device = AuthenticatorDevice.objects.start(alice, "Pixel")
    AuthenticatorDevice.objects.filter(pk=device.pk).update(confirmed=True)

    answer = duo.preauth(username="alice@example.edu")

    assert answer["result"] == "auth"
    [listed] = answer["devices"]
    assert (listed["type"], listed["name"]) == ("token", "Pixel")
    assert listed["device"].startswith("DT")


def test_it_sends_a_person_without_a_code_to_the_portal(duo, alice, live_server):
    answer = duo.preauth(username="alice@example.edu")

    assert answer["result"] == "enroll"
    port = live_server.url.rsplit(":", 1)[1]
    assert answer["enroll_portal_url"] == f"http://localhost:{port}/"
    assert answer["enroll_portal_url"] in answer["status_msg"]


def test_it_sends_an_unknown_person_to_the_portal(duo):
    assert duo.preauth(username="nobody@example.edu")["result"] == "enroll"


def test_it_can_deny_unknown_people(duo, settings):
    settings.DUO_UNKNOWN_USERS = "deny"

    assert duo.preauth(username="nobody@example.edu")["result"] == "deny"


def test_it_denies_a_disabled_person(duo, alice):
    BypassCode.objects.issue(alice, via="culink")
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)

    answer = duo.preauth(username="alice@example.edu")

    assert answer["result"] == "deny"
    assert "disabled" in answer["status_msg"]


def test_it_denies_while_the_passcode_is_locked(duo, alice):
    BypassCode.objects.issue(alice, via="culink")
    fail_passcodes(alice)

    answer = duo.preauth(username="alice@example.edu")

    assert answer["result"] == "deny"
    assert "Too many wrong passcodes" in answer["status_msg"]


def test_it_gives_duo_unix_its_text_prompt(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    answer = duo.json_api_call(
        "POST", "/auth/v2/preauth", {"username": "alice@example.edu", "text_prompt": "1"}
    )

    assert "Enter a Passcode" in answer["prompt"]["text"]
    assert answer["prompt"]["factors"] == {}


def test_it_finds_a_person_by_stable_id(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    assert duo.preauth(user_id=str(alice.pk))["result"] == "auth"


def test_it_maps_a_local_name_to_a_person(duo, alice, settings):
    settings.DUO_USERNAME_FORMAT = "{local}"
    settings.DUO_USERNAME_DOMAIN = "example.edu"
    BypassCode.objects.issue(alice, via="culink")

    assert duo.preauth(username="alice")["result"] == "auth"
    assert duo.preauth(username="Alice@Example.edu")["result"] == "auth"


@pytest.mark.parametrize(
    "username", ["\u212aate@example.edu", "kate@example.edu\u00a0", "\u3000kate@example.edu"]
)
def test_a_name_that_only_folds_onto_a_person_is_nobody(duo, settings, username):
    # A Kelvin sign lower-cases to "k", and strip() takes any Unicode space: an application
    # telling these apart from kate@example.edu must not share her passcodes and lock.
    settings.DUO_UNKNOWN_USERS = "deny"
    kate = User.objects.create_user("kate@example.edu")
    BypassCode.objects.issue(kate, via="culink")

    assert duo.preauth(username=username)["result"] == "deny"
    assert duo.preauth(username=" Kate@Example.edu ")["result"] == "auth"


def test_a_local_name_is_nobody_without_a_domain(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    assert duo.preauth(username="alice")["result"] == "enroll"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"username": ""},
        {"username": "alice@example.edu", "user_id": "1"},
        {"username": "a" * 151},
        {"username": "alice\x00@example.edu"},
        {"username": "alice@example.edu", "ipaddr": "not an address"},
        # An interface of the application's machine, 40 characters and more (PostgreSQL's
        # inet refused it: a 500, and the guess neither counted nor recorded).
        {"username": "alice@example.edu", "ipaddr": "1111:2222:3333:4444:5555:6666:7777:8%eth0"},
        {"username": "alice@example.edu", "ipaddr": "fe80::1%1"},
    ],
)
def test_it_refuses_bad_parameters_with_duos_error(duo, params):
    status, error = refusal(lambda: duo.json_api_call("POST", "/auth/v2/preauth", params))

    assert (status, error["code"]) == (400, 40002)


def test_it_records_each_preauth_with_the_application_and_address(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    duo.preauth(username="alice@example.edu", ipaddr="198.51.100.7")

    event = AuditEvent.objects.get(action="duo_preauth")
    assert (event.subject, event.outcome, event.ip) == (alice, "auth", "198.51.100.7")
    assert event.detail["application"] == "VPN"


def test_a_lock_is_only_read_not_counted(duo, alice):
    BypassCode.objects.issue(alice, via="culink")

    for _ in range(12):
        duo.preauth(username="alice@example.edu")

    assert not ProofLock.objects.filter(user=alice, failures__gt=0).exists()
