"""The card path in Duo account mode, in headless Chromium on a phone.

Duo (the development stand-in, over HTTPS) makes the code; the portal's own
prompt checks it through Duo's Auth API; a Duo that stops answering loses
the person nothing.
"""

import pytest
from playwright.sync_api import expect

from duoportal.models import CULinkCard, User
from tests.browser import Screens, pass_card_check, screenshot_dir
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


def test_the_card_path_with_duo_making_the_code(portal, duo_account, phone, tmp_path):
    alice = User.objects.create_user(ALICE)
    CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    screens = Screens(phone, screenshot_dir(tmp_path), "duo-account-en")
    pass_card_check(phone, portal, ALICE, PEOPLE[ALICE]["password"], PEOPLE[ALICE]["card_serial"])

    # Duo does not answer: the page says so, and GET BYPASS CODE is still there.
    duo_account.control(fail="500")
    phone.get_by_role("button", name="GET BYPASS CODE").click()
    expect(phone.get_by_text("The DUO service is not answering")).to_be_visible()
    screens("duo-not-answering")
    duo_account.control(fail="")
    phone.get_by_role("button", name="GET BYPASS CODE").click()
    expect(phone.get_by_role("heading", name="The Bypass Code is generated.")).to_be_visible()
    code = phone.locator("#bypass-code").get_attribute("data-code")
    screens("bypass-code")
    admin = duo_account.admin()
    [user] = admin.get_users_by_name(ALICE)
    [made] = list(admin.get_user_bypass_codes(user["user_id"]))
    assert (made["reuse_count"], made["expiration"] - made["created"]) == (20, 12 * 3600)

    # The portal's own prompt asks Duo.
    phone.goto(portal + "/my-account/")
    phone.get_by_role("link", name="Enter a Passcode").click()
    phone.get_by_role("textbox").first.fill(code)
    phone.get_by_role("button", name="Log In").click()
    expect(phone.get_by_text("DUO reports its use count as 19.")).to_be_visible()
    expect(phone.get_by_text("managed in DUO")).to_be_visible()
    screens("my-account")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())
