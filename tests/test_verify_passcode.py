from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.models import AuthenticatorDevice, ProofLock

pytestmark = pytest.mark.django_db

URL = "/verify/passcode/"


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def totp_device(person):
    device = AuthenticatorDevice.objects.start(person, "Phone")
    device.confirmed = True
    device.save()
    return device, pyotp.TOTP(device.totp.secret)


def test_it_asks_for_a_passcode_with_the_guides_labels(signed_in):
    response = signed_in.get(URL)
    assert "Enter a Passcode" in response.text
    assert "Log In" in response.text


def test_a_refused_passcode_stays_in_a_page_that_is_never_stored(signed_in, alice):
    BypassCode.objects.issue(alice, via="culink")

    response = signed_in.post(URL, {"passcode": "123456789"})

    assert 'value="123456789"' in response.text and "no-store" in response["Cache-Control"]


def test_it_offers_a_choice_of_methods(signed_in):
    response = signed_in.get("/verify/?next=/my-account/")
    assert "Enter a Passcode" in response.text
    assert "/verify/passcode/?next=%2Fmy-account%2F" in response.text


def test_it_accepts_a_bypass_code_and_counts_a_use(signed_in, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    response = signed_in.post(URL, {"passcode": plaintext, "next": "/my-account/"})

    assert response.status_code == 302
    assert response["Location"] == "/my-account/"
    assert BypassCode.objects.get(user=alice).uses == 1
    assert signed_in.get("/my-account/").status_code == 200


def test_it_rotates_the_session_key(signed_in, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    before = signed_in.session.session_key
    signed_in.post(URL, {"passcode": plaintext})
    assert signed_in.session.session_key != before


def test_it_accepts_a_code_from_an_authenticator_app(signed_in, alice):
    _, totp = totp_device(alice)
    response = signed_in.post(URL, {"passcode": totp.now()})
    assert response.status_code == 302


def test_it_refuses_a_replayed_authenticator_code(signed_in, client, alice):
    _, totp = totp_device(alice)
    code = totp.now()
    signed_in.post(URL, {"passcode": code})
    client.logout()
    client.force_login(alice)

    response = client.post(URL, {"passcode": code})

    assert "Wrong passcode. 9 tries left." in response.text


def test_it_says_wrong_passcode_and_tries_left(signed_in, alice):
    BypassCode.objects.issue(alice, via="culink")
    response = signed_in.post(URL, {"passcode": "123 456 789x"})
    assert response.status_code == 200
    assert "Wrong passcode. 9 tries left." in response.text
    assert signed_in.get("/my-account/").status_code == 302


def test_a_wrong_passcode_stays_within_ten_queries(signed_in, alice, django_assert_max_num_queries):
    BypassCode.objects.issue(alice, via="culink")
    signed_in.post(URL, {"passcode": "000000000"})  # The first makes the lock's row.

    # Issue 12 allows ten; on SQLite a BEGIN comes on top of these (hidden here by the
    # test's own transaction).
    with django_assert_max_num_queries(8):
        response = signed_in.post(URL, {"passcode": "000000000"})

    assert "Wrong passcode. 8 tries left." in response.text


def test_it_says_until_when_it_is_locked(signed_in, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    with time_machine.travel(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        for _ in range(10):
            response = signed_in.post(URL, {"passcode": "000000000"})
        assert "Try again after 10:30." in response.text  # Hong Kong time
        response = signed_in.post(URL, {"passcode": plaintext})
        assert "Try again after 10:30." in response.text
        assert "Try again after 10:30." in signed_in.get(URL).text
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_says_an_expired_code_has_expired(signed_in, alice):
    with time_machine.travel(timezone.now() - timedelta(hours=12)):
        _, plaintext = BypassCode.objects.issue(alice, via="culink")
    response = signed_in.post(URL, {"passcode": plaintext})
    assert "That bypass code has expired. Generate a new one. 9 tries left." in response.text


@pytest.mark.parametrize("typed", ["123456", "123456789", "abc"])
def test_it_tells_someone_without_a_code_to_get_one_and_tries_left(signed_in, typed):
    response = signed_in.post(URL, {"passcode": typed})
    assert "Get a bypass code first. 9 tries left." in response.text


@pytest.mark.parametrize("typed", ["123456", "12345", "abc"])
def test_it_says_wrong_passcode_to_someone_with_only_a_bypass_code(signed_in, alice, typed):
    # Alice has a live bypass code and no app: six digits are just a wrong passcode.
    BypassCode.objects.issue(alice, via="culink")
    response = signed_in.post(URL, {"passcode": typed})
    assert "Wrong passcode. 9 tries left." in response.text
    assert "no live bypass code" not in response.text
    assert alice.proof_locks.get().failures == 1


@pytest.mark.parametrize("typed", ["123456789", "12345", "abc"])
def test_it_says_wrong_passcode_to_someone_with_only_an_app(signed_in, alice, typed):
    totp_device(alice)
    response = signed_in.post(URL, {"passcode": typed})
    assert "Wrong passcode. 9 tries left." in response.text
    assert "no live bypass code" not in response.text


def test_it_says_wrong_passcode_to_someone_with_an_app_and_an_expired_code(signed_in, alice):
    totp_device(alice)
    with time_machine.travel(timezone.now() - timedelta(hours=12)):
        BypassCode.objects.issue(alice, via="culink")
    response = signed_in.post(URL, {"passcode": "123456789"})
    assert "Wrong passcode. 9 tries left." in response.text


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ({"uses": F("max_uses")}, "That bypass code has been used up. Generate a new one."),
        ({"revoked_at": timezone.now()}, "That bypass code was revoked. Generate a new one."),
    ],
    ids=["used up", "revoked"],
)
def test_it_says_tries_left_for_a_used_up_or_revoked_code(signed_in, alice, spoil, message):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.filter(user=alice).update(**spoil)
    response = signed_in.post(URL, {"passcode": plaintext})
    assert message in response.text
    assert "9 tries left." in response.text


def test_it_counts_tries_left_from_the_settings(signed_in, settings):
    settings.PROOF_MAX_FAILURES = 3
    assert "Get a bypass code first. 2 tries left." in signed_in.post(URL, {"passcode": "1"}).text
    assert "Get a bypass code first. 1 try left." in signed_in.post(URL, {"passcode": "1"}).text
    assert "Too many wrong passcodes." in signed_in.post(URL, {"passcode": "1"}).text


def lock(person, at):
    ProofLock.objects.create(user=person, kind="passcode", locked_until=at)


def test_it_shows_the_lock_as_soon_as_the_page_opens(signed_in, alice):
    with time_machine.travel(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        lock(alice, timezone.now() + timedelta(minutes=30))
        response = signed_in.get(URL)
    assert 'role="alert"' in response.text
    assert "Too many wrong passcodes. Try again after 10:30." in response.text  # Hong Kong time
    assert 'href="/bypass-code/"' in response.text
    assert 'name="passcode"' not in response.text


def test_it_shows_the_form_again_once_the_lock_has_ended(signed_in, alice):
    lock(alice, timezone.now() - timedelta(seconds=1))
    response = signed_in.get(URL)
    assert 'name="passcode"' in response.text
    assert "Too many wrong passcodes" not in response.text


@pytest.mark.parametrize("typed", ["", "x" * 65])
def test_it_refuses_empty_or_overlong_input_without_counting(signed_in, alice, typed):
    response = signed_in.post(URL, {"passcode": typed})
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert not alice.proof_locks.exists()


def test_it_ignores_a_next_url_on_another_host(signed_in, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    response = signed_in.post(URL, {"passcode": plaintext, "next": "https://evil.example/"})
    assert response["Location"] == "/my-account/"


def test_it_needs_a_signed_in_person(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_says_busy_and_counts_nothing_when_every_place_is_taken(signed_in, alice, settings):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    settings.PROOF_BUSY_WAIT = timedelta(0)
    ProofLock.objects.create(user=alice, kind="passcode", in_flight=10, reserved_at=timezone.now())

    response = signed_in.post(URL, {"passcode": plaintext})
    assert "still checking your other tries. This one was not counted" in response.text
    signed_in.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    response = signed_in.post(URL, {"passcode": plaintext})
    assert "平台仍在核對你的其他嘗試。這次不計入次數，請稍後再試。" in response.text

    assert alice.proof_locks.get().failures == 0
    assert BypassCode.objects.get(user=alice).uses == 0
    assert signed_in.get("/my-account/").status_code == 302
