"""Throttles in front of every check that hashes: per address on the screens, per integration
on the Duo API and the Universal Prompt."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from bypass.models import BypassCode
from duoportal.models import CULinkCard, ProofLock
from rescue.models import RescueCode
from tests.devsite import free_port
from tests.duo import auth_client, refusal

pytestmark = pytest.mark.django_db

SCREENS = {
    "passcode": ("/verify/passcode/", {"passcode": "000000000"}),
    "card": ("/bypass-code/card/check/", {"serial": "00000000", "robot": "on"}),
    "rescue": ("/bypass-code/rescue/code/", {"code": "0000-0000-00"}),
}


@pytest.fixture(autouse=True)
def fresh_counts():
    # Counts from an earlier test would hold this one up (the cache is shared).
    cache.clear()


@pytest.fixture(autouse=True)
def still_clock():
    # A rate's window ends at a second of its own; two requests that straddle it are
    # counted in two windows, and a test expecting a refusal sees none (it happened in CI).
    with time_machine.travel(time.time(), tick=False):
        yield


@pytest.fixture
def alice_everywhere(alice):
    CULinkCard.objects.create(user=alice, serial="51002345")
    BypassCode.objects.issue(alice, via="culink")
    RescueCode.objects.generate(alice)
    return alice


@pytest.mark.parametrize("kind", SCREENS)
def test_a_screen_refuses_a_flood_from_one_address(settings, alice_everywhere, kind, monkeypatch):
    monkeypatch.setattr("django_recaptcha.fields.client.submit", _human)
    settings.THROTTLE_PER_ADDRESS = "3/m"
    url, data = SCREENS[kind]
    browser = Client(REMOTE_ADDR="203.0.113.5")
    browser.force_login(alice_everywhere)

    answers = [browser.post(url, data) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert "Too many tries came from your network" in answers[-1].text
    # The fourth was not checked: only three failures are counted.
    lock_kind = {"passcode": "passcode", "card": "card", "rescue": "rescue"}[kind]
    assert ProofLock.objects.get(user=alice_everywhere, kind=lock_kind).failures == 3
    # Another address, and a look at the page, are not held up.
    other = Client(REMOTE_ADDR="198.51.100.9")
    other.force_login(alice_everywhere)
    assert other.post(url, data).status_code == 200
    assert browser.get(url).status_code == 200


def test_ipv4_clients_of_a_dual_stack_server_are_counted_apart(settings, alice):
    # gunicorn bound to [::] sees ::ffff:a.b.c.d: all in ::/64, were they counted as IPv6.
    settings.THROTTLE_PER_ADDRESS = "1/m"
    flooder = Client(REMOTE_ADDR="::ffff:203.0.113.5")
    flooder.force_login(alice)
    flooder.post("/verify/passcode/", {"passcode": "1"})
    assert flooder.post("/verify/passcode/", {"passcode": "1"}).status_code == 429

    elsewhere = Client(REMOTE_ADDR="::ffff:198.51.100.9")
    elsewhere.force_login(alice)

    assert elsewhere.post("/verify/passcode/", {"passcode": "1"}).status_code == 200


@pytest.mark.parametrize("kind", SCREENS)
def test_a_locked_person_uses_up_none_of_the_addresss_tries(
    settings, alice_everywhere, bob, kind, monkeypatch
):
    # Behind one campus NAT: Alice keeps posting at her locked proof; Bob can still check his.
    monkeypatch.setattr("django_recaptcha.fields.client.submit", _human)
    settings.THROTTLE_PER_ADDRESS = "2/m"
    url, data = SCREENS[kind]
    ProofLock.objects.create(
        user=alice_everywhere,
        kind=kind,
        failures=10,
        locked_until=timezone.now() + timedelta(minutes=30),
    )
    alices, bobs = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.5")
    alices.force_login(alice_everywhere)
    bobs.force_login(bob)

    assert {alices.post(url, data).status_code for _ in range(4)} == {200}
    assert bobs.post(url, data).status_code == 200


def test_it_speaks_the_persons_language(settings, alice):
    settings.THROTTLE_PER_ADDRESS = "1/m"
    browser = Client(REMOTE_ADDR="203.0.113.5", HTTP_ACCEPT_LANGUAGE="zh-hant")
    browser.force_login(alice)
    browser.post("/verify/passcode/", {"passcode": "1"})

    refused = browser.post("/verify/passcode/", {"passcode": "1"})

    assert refused.status_code == 429 and 'lang="zh-Hant"' in refused.text
    assert "Too many tries" not in refused.text


def test_off_is_off(settings, alice):
    settings.THROTTLE_PER_ADDRESS = None
    browser = Client(REMOTE_ADDR="203.0.113.5")
    browser.force_login(alice)

    answers = {browser.post("/verify/passcode/", {"passcode": "1"}).status_code for _ in range(12)}
    assert answers == {200}


def test_a_cache_that_does_not_answer_lets_requests_through_and_says_so(settings, alice, caplog):
    settings.THROTTLE_PER_ADDRESS = "1/m"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    browser = Client(REMOTE_ADDR="203.0.113.5")
    browser.force_login(alice)

    with caplog.at_level(logging.WARNING, logger="duoportal.throttles"):
        answers = [browser.post("/verify/passcode/", {"passcode": "1"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "the cache does not answer" in caplog.text


@pytest.fixture
def impatient_duo(settings, live_server, vpn, alice):
    """The VPN's duo_client under a throttle of 2 calls a minute, and Alice's code."""
    settings.THROTTLE_PER_INTEGRATION = "2/m"
    integration, secret = vpn
    duo = auth_client(live_server.url, integration.ikey, secret)
    # No retries: duo_client otherwise waits out a 429 by itself, for up to 32 s.
    duo._MAX_BACKOFF_WAIT_SECS = 0
    return duo, BypassCode.objects.issue(alice, via="culink")[1]


def test_the_duo_api_refuses_a_flood_from_one_integration_in_duos_envelope(impatient_duo, alice):
    duo, code = impatient_duo

    for _ in range(2):
        assert duo.auth("passcode", username=alice.username, passcode=code)["result"] == "allow"
    status, body = refusal(lambda: duo.auth("passcode", username=alice.username, passcode=code))

    assert status == 429
    assert (body["stat"], body["code"], body["message"]) == ("FAIL", 42901, "Too Many Requests")
    assert BypassCode.objects.live_for(alice).uses == 2
    # Calls that check nothing are not counted.
    assert duo.check()["time"]


def _human(*args, **kwargs):
    from django_recaptcha.client import RecaptchaResponse

    return RecaptchaResponse(is_valid=True, extra_data={"score": 1.0})


def test_the_universal_prompt_refuses_a_flood_from_one_integration(settings, client, webapp, alice):
    from tests.test_universal_prompt import STATE
    from tests.universal import browser_get, browser_post

    settings.THROTTLE_PER_INTEGRATION = "2/m"
    prompts = [
        browser_get(client, webapp.create_auth_url(alice.username, STATE))["Location"]
        for _ in range(3)
    ]

    answers = [browser_post(client, url, {"passcode": "000000000"}) for url in prompts]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Too many people are signing in to this application" in answers[-1].text
    assert answers[-1]["Retry-After"]
    assert ProofLock.objects.get(user=alice, kind="passcode").failures == 2


def test_malformed_posts_use_up_nobodys_tries(settings, alice):
    # Behind one campus NAT, someone posting empty forms must not hold everyone up.
    settings.THROTTLE_PER_ADDRESS = "3/m"
    BypassCode.objects.issue(alice, via="culink")
    browser = Client(REMOTE_ADDR="203.0.113.5")
    browser.force_login(alice)

    junk = [browser.post("/verify/passcode/", {"passcode": ""}) for _ in range(10)]
    checked = browser.post("/verify/passcode/", {"passcode": "000000000"})

    assert {answer.status_code for answer in junk} == {200}
    assert checked.status_code == 200 and "Wrong passcode." in checked.text


def test_an_ipv6_client_is_counted_by_its_64(settings, alice):
    settings.THROTTLE_PER_ADDRESS = "2/m"
    answers = []
    for host in ("2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2::c"):
        browser = Client(REMOTE_ADDR=host)
        browser.force_login(alice)
        answers.append(browser.post("/verify/passcode/", {"passcode": "000000000"}).status_code)

    assert answers == [200, 200, 429]


def test_the_duo_api_counts_no_call_for_an_unknown_person(impatient_duo, alice):
    duo, code = impatient_duo

    for _ in range(5):
        assert duo.auth("passcode", username="nobody@example.edu", passcode="1")["result"] == "deny"

    assert duo.auth("passcode", username=alice.username, passcode=code)["result"] == "allow"
