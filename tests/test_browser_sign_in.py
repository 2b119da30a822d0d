"""A person on a phone: Microsoft 365 sign-in, "Enter a Passcode", "Log In", My account."""

import pytest
from playwright.sync_api import expect

from bypass.models import BypassCode
from duoportal.models import User
from tests.browser import screenshot_dir
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_signs_in_and_passes_the_prompt_with_a_bypass_code(portal, phone, tmp_path):
    shots = screenshot_dir(tmp_path)
    phone.goto(portal + "/")
    phone.screenshot(path=shots / "home.png", full_page=True)

    phone.get_by_role("button", name="Sign in with Microsoft 365 (O365)").click()
    phone.get_by_label("Email, phone or Skype").fill("alice@example.edu")
    phone.get_by_label("Password").fill(PEOPLE["alice@example.edu"]["password"])
    phone.screenshot(path=shots / "identity-provider.png", full_page=True)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Hello, Alice Chan")).to_be_visible()
    phone.screenshot(path=shots / "home-signed-in.png", full_page=True)

    phone.get_by_role("link", name="My account").click()
    phone.screenshot(path=shots / "choose-method.png", full_page=True)
    phone.get_by_role("link", name="Enter a Passcode").click()
    alice = User.objects.get(username="alice@example.edu")
    _, plaintext = BypassCode.objects.issue(alice, via="helpdesk")

    phone.get_by_label("Passcode").fill("000000000")
    phone.get_by_role("button", name="Log In").click()
    expect(phone.get_by_text("Wrong passcode. 9 tries left.")).to_be_visible()
    phone.screenshot(path=shots / "enter-a-passcode.png", full_page=True)
    phone.get_by_label("Passcode").fill(f"{plaintext[:3]} {plaintext[3:6]} {plaintext[6:]}")
    phone.get_by_role("button", name="Log In").click()

    expect(phone.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    expect(phone.get_by_text("can be used 19 more times")).to_be_visible()
    phone.screenshot(path=shots / "my-account.png", full_page=True)

    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("button", name="Sign in with Microsoft 365 (O365)")).to_be_visible()
    phone.get_by_role("button", name="Sign in with Microsoft 365 (O365)").click()
    expect(phone.get_by_label("Password")).to_be_visible()
