"""Every response that shows a secret tells browsers and proxies not to store it.

Each test walks to the page as a person would and also checks that the secret really is
in the response, so a page that moves or stops showing it cannot pass unnoticed.
"""

import re

import pytest

from bypass.models import BypassCode
from duoportal.models import AuthenticatorDevice, CULinkCard
from rescue.models import RescueCode

pytestmark = pytest.mark.django_db

ADD = "/my-account/authenticators/add/"


def assert_not_stored(response):
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


def bypass_code_in(response):
    return re.search(r'data-code="([0-9]{9})"', response.text).group(1)


def test_the_bypass_code_after_get_bypass_code(client, alice):
    CULinkCard.objects.create(user=alice, serial="51002345")
    client.force_login(alice)
    client.post("/bypass-code/card/check/", {"serial": "51002345", "robot": "on"})
    page = client.get("/bypass-code/card/verified/").text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    response = client.post("/bypass-code/card/code/", {"token": token})

    assert_not_stored(response)
    assert BypassCode.objects.redeem(alice, bypass_code_in(response))


def test_the_bypass_code_after_rescue_submit(client, alice):
    codes = RescueCode.objects.generate(alice)
    client.force_login(alice)

    response = client.post("/bypass-code/rescue/code/", {"code": codes[0]})

    assert_not_stored(response)
    assert BypassCode.objects.redeem(alice, bypass_code_in(response))


def test_the_rescue_codes_after_generate(verified, alice, settings):
    response = verified.post("/bypass-code/rescue/new/")

    assert_not_stored(response)
    codes = re.findall(r"<code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</code>", response.text)
    assert len(codes) == settings.RESCUE_CODE_COUNT
    assert RescueCode.objects.redeem(alice, codes[0])


def test_the_authenticator_secret_and_qr_code(verified):
    url = verified.post(ADD, {"name": "Phone"})["Location"]
    secret = AuthenticatorDevice.objects.get().totp.secret

    response = verified.get(url)

    assert_not_stored(response)
    assert f'<code class="secret">{secret}</code>' in response.text
    assert "<svg" in response.text


def test_the_authenticator_secret_after_a_wrong_code(verified):
    url = verified.post(ADD, {"name": "Phone"})["Location"]
    secret = AuthenticatorDevice.objects.get().totp.secret

    response = verified.post(url, {"code": "000000"})

    assert "That code does not match" in response.text
    assert_not_stored(response)
    assert secret in response.text and "<svg" in response.text
