"""A locked proof on a phone: said at once, with when it ends and what to do instead."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from duoportal.models import ProofLock, User
from tests.browser import Screens, screenshot_dir, sign_in, tab_to
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"
# The page, what it says, and the link to another way with where it leads.
PAGES = {
    "passcode": ("/verify/passcode/", "Too many wrong passcodes.", "BYPASS CODE", "/bypass-code/"),
    "card": (
        "/bypass-code/card/check/",
        "Too many wrong serial numbers.",
        "I HAVE A RESCUE CODE ON HAND",
        "/bypass-code/rescue/",
    ),
    "rescue": (
        "/bypass-code/rescue/code/",
        "Too many wrong rescue codes.",
        "I HAVE A VALID CU LINK CARD ON HAND",
        "/bypass-code/card/",
    ),
}


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_every_locked_page_passes_axe_and_fits_a_phone(portal, phone, language, tmp_path):
    alice = User.objects.create_user(ALICE)
    for kind in PAGES:
        ProofLock.objects.create(
            user=alice, kind=kind, locked_until=timezone.now() + timedelta(minutes=30)
        )
    phone.context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
    screens = Screens(phone, screenshot_dir(tmp_path), f"locked-{language}")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.wait_for_url(portal + "/")

    for kind, (url, *_) in PAGES.items():
        phone.goto(portal + url)
        expect(phone.get_by_role("alert")).to_be_visible()
        expect(phone.locator("main form")).to_have_count(0)
        screens(kind)  # Also checks axe-core and that nothing scrolls sideways.

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())


@pytest.mark.parametrize("kind", PAGES)
def test_a_locked_page_says_so_and_leads_to_the_other_proof_by_keyboard(portal, phone, kind):
    alice = User.objects.create_user(ALICE)
    until = timezone.now() + timedelta(minutes=30)
    ProofLock.objects.create(user=alice, kind=kind, locked_until=until)
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.wait_for_url(portal + "/")
    url, message, other, target = PAGES[kind]

    phone.goto(portal + url)

    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text(message)
    expect(alert).to_contain_text(f"{timezone.localtime(until):%H:%M}")
    tab_to(phone, phone.get_by_role("link", name=other, exact=True))
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(portal + target)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_too_many_tries_page_fits_a_phone_and_passes_axe(
    portal, phone, language, settings, tmp_path
):
    from django.core.cache import cache

    from bypass.models import BypassCode

    cache.clear()
    settings.THROTTLE_PER_ADDRESS = "1/m"
    alice = User.objects.create_user(ALICE)
    BypassCode.objects.issue(alice, via="culink")
    phone.context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
    screens = Screens(phone, screenshot_dir(tmp_path), f"throttled-{language}")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.wait_for_url(portal + "/")

    # Three tries, not two: a rate's window ends at a second of its own, and two tries
    # that straddle it are both let through; of three, two share a window.
    statuses = []
    for _ in range(3):
        phone.goto(portal + "/verify/passcode/")
        phone.locator("#id_passcode").fill("000000000")
        with phone.expect_response(portal + "/verify/passcode/") as answer:
            phone.locator("main form button[type=submit]").first.click()
        statuses.append(answer.value.status)
        if statuses[-1] == 429:
            break

    assert statuses[-1] == 429 and statuses[0] == 200
    expect(phone.get_by_role("alert")).to_be_visible()
    assert phone.locator("html").get_attribute("lang") == (
        "zh-Hant" if language == "zh-hant" else "en"
    )
    screens("too-many-tries")  # Also checks axe-core and that nothing scrolls sideways.
    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())
    cache.clear()
