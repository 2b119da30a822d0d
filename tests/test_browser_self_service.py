"""The user guide, word by word, in headless Chromium on a phone: both paths, both languages.

Every screen is saved as a screenshot (SCREENSHOT_DIR=docs/screenshots keeps them) and
checked with axe-core; no screen may break the Content-Security-Policy.
"""

import io

import pyotp
import pytest
import zxingcpp
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from duoportal.models import CULinkCard, User
from rescue.models import RescueCode
from tests.browser import Screens, screenshot_dir, sign_in, tab_to
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"


@pytest.fixture
def alice_with_card():
    alice = User.objects.create_user(ALICE)
    CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    return alice


def use_code_at_the_prompt(phone, screens, code, enter, log_in):
    """Guide section 3: "Enter a Passcode", the code, "Log In"."""
    phone.get_by_role("link", name=enter).click()
    screens("enter-a-passcode")
    phone.get_by_role("textbox").first.fill(code)
    phone.get_by_role("button", name=log_in).click()


def test_the_card_path_in_english(portal, phone, alice_with_card, tmp_path):
    screens = Screens(phone, screenshot_dir(tmp_path), "card-en")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    screens("home")

    # 2 ii. click BYPASS CODE; iii. read the on-screen information.
    phone.get_by_role("link", name="BYPASS CODE", exact=True).click()
    expect(
        phone.get_by_text("The Bypass Code can only be used for 20 times within 12 hours.")
    ).to_be_visible()
    screens("information")
    # 2.1 i. I HAVE A VALID CU LINK CARD ON HAND, then START.
    phone.get_by_role("link", name="I HAVE A VALID CU LINK CARD ON HAND").click()
    screens("card-instructions")
    phone.get_by_role("link", name="START").click()
    # ii. the CU Link Serial Number, and the checkbox before "I'm not a robot".
    phone.get_by_label("CU Link Serial Number").fill("5100 9999")
    phone.get_by_label("I'm not a robot", exact=False).check()
    phone.get_by_role("button", name="VERIFY").click()
    expect(phone.get_by_text("does not match your CU Link card. 9 tries left.")).to_be_visible()
    screens("card-wrong-serial")
    phone.get_by_label("CU Link Serial Number").fill(PEOPLE[ALICE]["card_serial"])
    phone.get_by_label("I'm not a robot", exact=False).check()
    phone.get_by_role("button", name="VERIFY").click()
    # iv. once the verification is passed, GET BYPASS CODE; v. the code.
    screens("card-verified")
    phone.get_by_role("button", name="GET BYPASS CODE").click()
    expect(phone.get_by_role("heading", name="The Bypass Code is generated.")).to_be_visible()
    code = phone.locator("#bypass-code").get_attribute("data-code")
    screens("bypass-code")

    # 3. Use it at the portal's own prompt.
    phone.goto(portal + "/my-account/")
    screens("choose-method")
    use_code_at_the_prompt(phone, screens, code, "Enter a Passcode", "Log In")
    expect(phone.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    expect(phone.get_by_text("can be used 19 more times")).to_be_visible()
    expect(phone.locator(".uses li")).to_have_count(1)
    expect(phone.locator(".uses li")).to_contain_text("this portal")
    screens("my-account")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())


def test_the_card_path_in_traditional_chinese_with_full_width_digits(
    portal, phone, alice_with_card, tmp_path
):
    # A Chinese input method in its full-width mode types U+FF15 U+FF11... for "51...".
    serial = PEOPLE[ALICE]["card_serial"]
    full_width = serial.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    screens = Screens(phone, screenshot_dir(tmp_path), "card-zh")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.get_by_role("button", name="繁體中文").click()
    phone.get_by_role("link", name="略過碼", exact=True).click()
    phone.get_by_role("link", name="我手上有有效的 CU Link 卡").click()
    phone.get_by_role("link", name="開始").click()
    phone.get_by_label("CU Link 序號").fill(full_width)
    screens("card-full-width-serial")
    phone.get_by_label("我不是機器人", exact=False).check()
    phone.get_by_role("button", name="驗證").click()
    expect(phone.get_by_role("button", name="取得略過碼")).to_be_visible()
    screens("card-verified")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())


def test_the_rescue_path_in_traditional_chinese(portal, phone, alice_with_card, tmp_path):
    codes = RescueCode.objects.generate(alice_with_card)
    screens = Screens(phone, screenshot_dir(tmp_path), "rescue-zh")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.get_by_role("button", name="繁體中文").click()
    screens("home")

    phone.get_by_role("link", name="略過碼", exact=True).click()
    screens("information")
    phone.get_by_role("link", name="我手上有救援碼").click()
    screens("rescue-instructions")
    phone.get_by_role("link", name="開始").click()
    phone.get_by_label("救援碼").fill("ABCD-EFGH-JKLM-NPQR")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_text("救援碼不正確。尚餘 9 次機會。")).to_be_visible()
    screens("rescue-wrong")
    phone.get_by_label("救援碼").fill(codes[0].lower())
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", name="略過碼已產生。")).to_be_visible()
    code = phone.locator("#bypass-code").get_attribute("data-code")
    screens("bypass-code")

    phone.goto(portal + "/my-account/")
    screens("choose-method")
    use_code_at_the_prompt(phone, screens, code, "輸入通行碼", "登入")
    expect(phone.get_by_role("heading", name="我的帳戶")).to_be_visible()
    screens("my-account")
    phone.get_by_role("button", name="產生新的救援碼").click()
    expect(phone.locator("#rescue-codes li")).to_have_count(5)
    screens("rescue-codes")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())


def test_the_card_path_by_keyboard_alone(portal, phone, alice_with_card):
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.goto(portal + "/")

    for name in ["BYPASS CODE", "I HAVE A VALID CU LINK CARD ON HAND", "START"]:
        link = phone.get_by_role("link", name=name, exact=True)
        tab_to(phone, link)
        phone.keyboard.press("Enter")
    serial = phone.get_by_label("CU Link Serial Number")
    tab_to(phone, serial)
    phone.keyboard.type(PEOPLE[ALICE]["card_serial"])
    tab_to(phone, phone.get_by_label("I'm not a robot", exact=False))
    phone.keyboard.press("Space")
    tab_to(phone, phone.get_by_role("button", name="VERIFY"))
    phone.keyboard.press("Enter")
    get_code = phone.get_by_role("button", name="GET BYPASS CODE")
    tab_to(phone, get_code)
    phone.keyboard.press("Enter")

    expect(phone.get_by_role("heading", name="The Bypass Code is generated.")).to_be_visible()


def test_the_rescue_path_and_the_prompt_by_keyboard_alone(portal, phone, alice_with_card):
    codes = RescueCode.objects.generate(alice_with_card)
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.goto(portal + "/")

    for name in ["BYPASS CODE", "I HAVE A RESCUE CODE ON HAND", "START"]:
        tab_to(phone, phone.get_by_role("link", name=name, exact=True))
        phone.keyboard.press("Enter")
    tab_to(phone, phone.get_by_label("Rescue Code"))
    phone.keyboard.type(codes[0])
    tab_to(phone, phone.get_by_role("button", name="SUBMIT"))
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="The Bypass Code is generated.")).to_be_visible()
    code = phone.locator("#bypass-code").get_attribute("data-code")

    phone.goto(portal + "/")
    for name in ["My account", "Enter a Passcode"]:
        tab_to(phone, phone.get_by_role("link", name=name, exact=True))
        phone.keyboard.press("Enter")
    tab_to(phone, phone.get_by_label("Passcode"))
    phone.keyboard.type(code)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="My account", exact=True)).to_be_visible()


def test_a_new_phone_after_the_card_path_in_traditional_chinese(
    portal, phone, alice_with_card, tmp_path
):
    # "Got a new phone?" on the bypass code page: a refused name keeps the page's promise
    # (the code is shown once) and what was typed; then the QR code, the app's code, My account.
    screens = Screens(phone, screenshot_dir(tmp_path), "new-phone-zh")
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.get_by_role("button", name="繁體中文").click()
    phone.get_by_role("link", name="略過碼", exact=True).click()
    phone.get_by_role("link", name="我手上有有效的 CU Link 卡").click()
    phone.get_by_role("link", name="開始").click()
    phone.get_by_label("CU Link 序號").fill(PEOPLE[ALICE]["card_serial"])
    phone.get_by_label("我不是機器人", exact=False).check()
    phone.get_by_role("button", name="驗證").click()
    phone.get_by_role("button", name="取得略過碼").click()
    code = phone.locator("#bypass-code").get_attribute("data-code")
    expect(phone.get_by_role("heading", name="有新手機？")).to_be_visible()

    phone.get_by_label("此驗證器的名稱").fill("   ")
    phone.get_by_role("button", name="新增驗證器應用程式").click()
    expect(phone.get_by_role("alert")).to_have_text("請為驗證器命名。")
    screens("name-refused")
    phone.get_by_label("此驗證器的名稱").fill("工作手機")
    phone.get_by_role("button", name="新增驗證器應用程式").click()
    expect(phone.locator("figure.qr svg")).to_be_visible()
    screens("qr-code")
    secret = phone.locator("code.secret").inner_text()
    # A phone's camera reads the QR code as Chromium draws it: zxing-cpp (the decoder
    # behind many Android scanners) finds the app's key, Alice and the portal in it.
    drawn = Image.open(io.BytesIO(phone.locator("figure.qr svg").screenshot()))
    # QR codes only, as a scanner looking for one: a 1D reader finds digits in any pattern.
    qr = zxingcpp.BarcodeFormat.QRCode
    read = [found.text for found in zxingcpp.read_barcodes(drawn, formats=qr)]
    assert len(read) == 1, read
    totp = pyotp.parse_uri(read[0])
    assert (totp.secret, totp.name, totp.issuer) == (secret, ALICE, settings.TOTP_ISSUER)
    phone.get_by_label("應用程式顯示的代碼").fill(pyotp.TOTP(secret).now())
    phone.get_by_role("button", name="確認").click()

    # A card check enrols a first app; My account still wants a passcode.
    use_code_at_the_prompt(phone, screens, code, "輸入通行碼", "登入")
    expect(phone.get_by_role("heading", name="我的帳戶")).to_be_visible()
    expect(phone.get_by_text("工作手機")).to_be_visible()
    screens("my-account")

    assert not screens.csp_errors
    assert not screens.violations, "\n".join(screens.violations.values())
