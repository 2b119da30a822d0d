"""axe-core (its default rules) on every screen, in English and in Traditional Chinese."""

import pytest

from bypass.models import BypassCode
from duoportal.models import CULinkCard, User
from tests.browser import accessibility_violations, fits_the_screen, sign_in
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_every_screen_passes_axe(portal, phone, language):
    alice = User.objects.create_user(ALICE)
    CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    phone.context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
    violations = {}

    def check(name):
        phone.wait_for_load_state()
        assert phone.locator("html").get_attribute("lang") == (
            "zh-Hant" if language == "zh-hant" else "en"
        )
        report = accessibility_violations(phone)
        if report:
            violations[name] = report
        assert fits_the_screen(phone), f"{name} scrolls sideways on a phone"

    phone.goto(portal + "/")
    check("home, signed out")
    phone.goto(portal + "/accounts/microsoft/login/callback/?state=forged&code=x")
    check("sign-in did not work")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    check("home")
    for url in ["/bypass-code/", "/bypass-code/card/", "/bypass-code/rescue/"]:
        phone.goto(portal + url)
        check(url)

    phone.goto(portal + "/bypass-code/card/check/")
    check("card form")
    phone.locator("#id_serial").fill("00000000")
    phone.locator("main form button[type=submit]").first.click()
    check("card form with errors")
    phone.locator("#id_serial").fill(PEOPLE[ALICE]["card_serial"])
    phone.locator("#id_robot").check()
    phone.locator("main form button[type=submit]").first.click()
    check("card verified")
    phone.locator("main form button[type=submit]").first.click()
    check("bypass code")
    code = phone.locator("#bypass-code").get_attribute("data-code")

    phone.goto(portal + "/bypass-code/rescue/code/")
    phone.locator("main form button[type=submit]").first.click()
    check("rescue form with errors")

    phone.goto(portal + "/verify/?next=/my-account/")
    check("choose a method")
    phone.goto(portal + "/verify/passcode/?next=/my-account/")
    phone.locator("#id_passcode").fill("1")
    phone.locator("main form button[type=submit]").first.click()
    check("enter a passcode with errors")
    phone.locator("#id_passcode").fill(code)
    phone.locator("main form button[type=submit]").first.click()
    check("my account")
    phone.locator("form[action$='/bypass-code/rescue/new/'] button").click()
    check("rescue codes")
    phone.goto(portal + "/my-account/")
    phone.locator("form[action$='/authenticators/add/'] button").click()
    check("add an authenticator")
    BypassCode.objects.revoke(alice, by=alice, reason="test")

    assert not violations, "\n".join(f"{k}:\n{v}" for k, v in violations.items())
