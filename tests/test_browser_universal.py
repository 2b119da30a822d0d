"""The Universal Prompt in headless Chromium on a phone, with the real duo_universal client.

The prompt is served over HTTPS by gunicorn, as duo_universal requires; the
bypass code comes from the self-service screens on the live server, in
another tab of the same browser, as a person without their phone would get
one. The application's redirect_uri is a small local server.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from duoportal.models import CULinkCard, ProofLock, User
from tests.browser import PHONE, Screens, pass_card_check, screenshot_dir
from tests.idp import PEOPLE
from tests.universal import application_callback, universal_client

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


@pytest.fixture
def host(portal_over_https):
    return urlsplit(portal_over_https).netloc


@pytest.fixture
def callback():
    """The application's redirect_uri, and the URLs the browser came back to it with."""
    with application_callback() as (redirect_uri, calls):
        yield redirect_uri, calls


@pytest.fixture
def app(host, certificate, vpn, callback):
    redirect_uri, _ = callback
    return universal_client(
        *vpn, host=host, redirect_uri=redirect_uri, duo_certs=str(certificate[0])
    )


@pytest.fixture
def alice_with_card():
    alice = User.objects.create_user(ALICE)
    CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    return alice


@pytest.fixture
def phone(chromium, host):
    """A phone that trusts the test certificate; closed before gunicorn stops (keep-alive)."""
    context = chromium.new_context(viewport=PHONE, ignore_https_errors=True)
    yield context.new_page()
    context.close()


def returned(callback):
    redirect_uri, calls = callback
    assert calls and calls[-1].startswith(redirect_uri + "?"), calls
    return {name: values[0] for name, values in parse_qs(urlsplit(calls[-1]).query).items()}


def get_a_bypass_code(page, portal):
    """Guide section 2.1 on the portal: sign in, the card path, GET BYPASS CODE."""
    person = PEOPLE[ALICE]
    pass_card_check(page, portal, ALICE, person["password"], person["card_serial"])
    page.get_by_role("button", name="GET BYPASS CODE").click()
    return page.locator("#bypass-code").get_attribute("data-code")


def test_an_application_signs_alice_in_with_a_bypass_code_from_the_card_path(
    portal, phone, app, callback, alice_with_card, tmp_path
):
    prompt = phone
    # For its Content-Security-Policy watch; the prompt's pictures and axe are below.
    screens = Screens(prompt, screenshot_dir(tmp_path), "universal-walk-en")
    assert app.health_check()["stat"] == "OK"
    state = app.generate_state()

    prompt.goto(app.create_auth_url(ALICE, state))
    expect(prompt.get_by_role("heading", name="Enter a Passcode")).to_be_visible()
    expect(prompt.locator(".facts")).to_contain_text("VPN")
    expect(prompt.locator(".facts")).to_contain_text(ALICE)
    # No phone: a bypass code from the self-service screens, in another tab.
    code = get_a_bypass_code(phone.context.new_page(), portal)
    prompt.get_by_label("Passcode").fill(code)
    prompt.get_by_role("button", name="Log In").click()

    expect(prompt).to_have_title("VPN")
    back = returned(callback)
    assert set(back) == {"duo_code", "state"} and back["state"] == state
    token = app.exchange_authorization_code_for_2fa_result(back["duo_code"], ALICE)
    assert token["preferred_username"] == ALICE
    assert token["auth_result"]["result"] == "allow"
    assert not screens.csp_errors


def test_ten_wrong_passcodes_lock_and_send_the_person_back_denied(
    phone, app, callback, alice_with_card
):
    prompt = phone
    state = app.generate_state()
    prompt.goto(app.create_auth_url(ALICE, state))

    for tries_left in range(9, 0, -1):
        prompt.get_by_label("Passcode").fill("000000000")
        prompt.get_by_role("button", name="Log In").click()
        expect(prompt.get_by_role("alert")).to_contain_text(f"{tries_left} tr")
    prompt.get_by_label("Passcode").fill("000000000")
    prompt.get_by_role("button", name="Log In").click()

    expect(prompt).to_have_title("VPN")
    assert returned(callback) == {
        "error": "access_denied",
        "error_description": "Too many wrong passcodes",
        "state": state,
    }
    assert ProofLock.objects.locked_until(alice_with_card, ProofLock.Kind.PASSCODE)


def test_cancel_goes_back_to_the_application(phone, app, callback, alice_with_card):
    prompt = phone
    state = app.generate_state()
    prompt.goto(app.create_auth_url(ALICE, state))

    prompt.get_by_role("button", name="Cancel").click()

    expect(prompt).to_have_title("VPN")
    assert returned(callback)["error"] == "access_denied"


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_prompt_passes_axe_and_fits_a_phone(phone, app, alice_with_card, language, tmp_path):
    prompt = phone
    screens = Screens(prompt, screenshot_dir(tmp_path), f"universal-prompt-{language}")
    url = app.create_auth_url(ALICE, app.generate_state())
    phone.context.add_cookies([{"name": "django_language", "value": language, "url": url}])

    prompt.goto(url)
    heading = "輸入通行碼" if language == "zh-hant" else "Enter a Passcode"
    expect(prompt.get_by_role("heading", name=heading)).to_be_visible()
    screens("prompt")
    prompt.get_by_role("button", name="登入" if language == "zh-hant" else "Log In").click()
    expect(prompt.get_by_role("alert")).to_be_visible()
    screens("prompt-empty")
    ProofLock.objects.create(
        user=alice_with_card,
        kind=ProofLock.Kind.PASSCODE,
        locked_until=timezone.now() + timedelta(minutes=30),
    )
    prompt.reload()
    expect(prompt.locator(".locked")).to_be_visible()
    screens("prompt-locked")
    prompt.goto(url.replace("request=", "request=x"))
    expect(prompt.get_by_role("alert")).to_be_visible()
    screens("refused")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())
