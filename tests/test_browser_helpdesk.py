"""The helpdesk at the counter, in headless Chromium: Helen helps Alice, who cannot get a code.

Helen signs in as everyone does (Microsoft 365, then her passcode), finds
Alice by her card serial, reads what is wrong, and fixes it from Alice's page.
"""

import pytest
from playwright.sync_api import expect

from bypass.models import BypassCode
from duoportal.models import CULinkCard, ProofLock, User
from tests.browser import PHONE, Screens, fits_the_screen, screenshot_dir, sign_in
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE, HELEN = "alice@example.edu", "helen@example.edu"
DESK = {"width": 1280, "height": 900}


def pass_the_prompt(page, portal, code):
    page.goto(portal + "/my-account/")
    page.get_by_role("link", name="Enter a Passcode").click()
    page.get_by_role("textbox").first.fill(code)
    page.get_by_role("button", name="Log In").click()


def act(page, link, reason, **fields):
    page.get_by_role("link", name=link, exact=True).click()
    page.get_by_label("Reason").fill(reason)
    for label, value in fields.items():
        page.get_by_label(label).check() if value is True else page.get_by_label(label).fill(value)


def test_helen_finds_alice_by_her_card_and_fixes_her_account(portal, chromium, tmp_path):
    from django.contrib.auth.models import Group

    from duoportal.apps import HELPDESK_GROUP

    helen = User.objects.create_user(HELEN, is_staff=True, display_name="Helen Ho")
    helen.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    alice = User.objects.create_user(ALICE, email=ALICE, display_name="Alice Chan")
    CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    _, old_code = BypassCode.objects.issue(alice, via="culink")
    for _ in range(10):
        BypassCode.objects.check_passcode(alice, "000000000")
    _, helens_code = BypassCode.objects.issue(helen, via="culink")

    desk = chromium.new_context(viewport=DESK).new_page()
    screens = Screens(desk, screenshot_dir(tmp_path), "helpdesk-en")
    sign_in(desk, portal, HELEN, PEOPLE[HELEN]["password"])
    desk.goto(portal + "/admin/")
    desk.get_by_role("link", name="Enter a Passcode").click()
    desk.get_by_role("textbox").first.fill(helens_code)
    desk.get_by_role("button", name="Log In").click()

    # Alice reads her card serial out; Helen types it as she hears it.
    desk.goto(portal + "/admin/duoportal/user/")
    serial = PEOPLE[ALICE]["card_serial"]
    desk.locator("#searchbar").fill(f"{serial[:4]} {serial[4:]}")
    desk.locator("#searchbar").press("Enter")
    desk.get_by_role("link", name=ALICE).click()
    expect(desk.locator(".diagnosis")).to_contain_text("passcode locked until")
    screens("person")

    act(desk, "Revoke the bypass code", "INC-2026-0042 lost phone")
    desk.get_by_role("button", name="Revoke").click()
    expect(desk.get_by_text("The bypass code was revoked")).to_be_visible()

    act(desk, "Unlock", "INC-2026-0042 lost phone")
    desk.get_by_label("Unlock").select_option("passcode")
    desk.get_by_role("button", name="Unlock").click()
    expect(desk.locator(".diagnosis")).to_contain_text("Nothing on record stops")

    act(
        desk,
        "Issue a bypass code",
        "INC-2026-0042 lost phone",
        **{"Photo ID seen in person": True, "The photo ID is this person's": True},
    )
    screens("checklist")
    desk.get_by_role("button", name="Issue the code").click()
    new_code = desk.locator("#bypass-code").get_attribute("data-code")
    screens("code")

    # At the prompt, Alice's old code fails and the new one works.
    phone = chromium.new_context(viewport=PHONE).new_page()
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    pass_the_prompt(phone, portal, old_code)
    expect(phone.get_by_text("Wrong passcode.")).to_be_visible()
    phone.get_by_role("textbox").first.fill(new_code)
    phone.get_by_role("button", name="Log In").click()
    expect(phone.get_by_role("heading", name="My account", exact=True)).to_be_visible()

    # The helpdesk may have only a phone at hand too.
    desk.set_viewport_size(PHONE)
    for page in (f"/admin/duoportal/user/{alice.pk}/change/", "/admin/"):
        desk.goto(portal + page)
        assert fits_the_screen(desk), f"{page} scrolls sideways on a phone"

    actions = [e.action for e in alice.audit_events.filter(actor=helen).order_by("pk")]
    assert actions == ["bypass_revoke", "proof_unlock", "bypass_issue"]
    assert not ProofLock.objects.filter(user=alice, locked_until__isnull=False).exists()
    assert not screens.csp_errors


# The helpdesk's own pages, each reached from Alice's page (set_active is a form on it).
HELPDESK_PAGES = [
    "change/",
    "revoke-code/",
    "unlock/",
    "issue-code/",
    "void-rescue-codes/",
    "card-lost/{card}/",
    "card-replace/{card}/",
]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_every_helpdesk_page_is_in_her_language_and_passes_axe(
    portal, chromium, tmp_path, language
):
    from django.contrib.auth.models import Group

    from duoportal.apps import HELPDESK_GROUP
    from rescue.models import RescueCode

    helen = User.objects.create_user(HELEN, is_staff=True, display_name="Helen Ho")
    helen.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    alice = User.objects.create_user(ALICE, email=ALICE, display_name="Alice Chan")
    card = CULinkCard.objects.create(user=alice, serial=PEOPLE[ALICE]["card_serial"])
    BypassCode.objects.issue(alice, via="culink")
    RescueCode.objects.generate(alice)
    for _ in range(10):
        BypassCode.objects.check_passcode(alice, "000000000")
    _, helens_code = BypassCode.objects.issue(helen, via="culink")

    context = chromium.new_context(viewport=PHONE)
    context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
    desk = context.new_page()
    screens = Screens(desk, screenshot_dir(tmp_path), f"helpdesk-{language}-pages")
    sign_in(desk, portal, HELEN, PEOPLE[HELEN]["password"])
    desk.goto(portal + "/verify/passcode/?next=/admin/")
    desk.locator("#id_passcode").fill(helens_code)
    desk.locator("main form button[type=submit]").first.click()
    desk.wait_for_url(portal + "/admin/")

    pages = {"index": "/admin/", "people": f"/admin/duoportal/user/?q={ALICE}"}
    for route in HELPDESK_PAGES:
        name = "person" if route == "change/" else route.split("/")[0]
        pages[name] = f"/admin/duoportal/user/{alice.pk}/{route.format(card=card.pk)}"
    pages["trail"] = f"/admin/duoportal/auditevent/?subject={alice.pk}"
    pages["card-import"] = "/admin/duoportal/culinkcard/import/"
    for name, url in pages.items():
        desk.goto(portal + url)
        expect(desk.locator("html")).to_have_attribute(
            "lang", "zh-hant" if language == "zh-hant" else "en"
        )
        screens(name)  # Also runs axe-core and checks nothing scrolls sideways.

    # The locks list's bulk Unlock asks for a reason first, as every action does.
    desk.goto(portal + f"/admin/duoportal/prooflock/?kind__exact=passcode&q={ALICE}")
    desk.locator("input.action-select").first.check()
    desk.locator("select[name=action]").select_option("unlock")
    desk.locator("button[name=index]").click()
    expect(desk.locator("#id_reason")).to_be_visible()
    screens("unlock-reason")
    desk.locator("#id_reason").fill("INC-9")
    desk.locator("input[name=unlock]").click()
    expect(desk.locator(".messagelist")).to_be_visible()
    assert ProofLock.objects.locked_until(alice, "passcode") is None

    if language == "zh-hant":
        desk.goto(portal + f"/admin/duoportal/user/{alice.pk}/change/")
        expect(desk.locator(".diagnosis")).not_to_contain_text("passcode locked until")
    assert not screens.csp_errors
    assert not screens.violations, "\n".join(f"{k}:\n{v}" for k, v in screens.violations.items())
