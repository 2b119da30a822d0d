"""Headless Debian Chromium, driven by Playwright."""

import os
import shutil
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A phone: the portal is used on a borrowed one.
PHONE = {"width": 360, "height": 740}


def launch(playwright):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make test` installs it."
    return playwright.chromium.launch(executable_path=executable, args=FLAGS)


def screenshot_dir(tmp_path):
    """SCREENSHOT_DIR=docs/screenshots keeps them; otherwise they go to a temporary folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, portal_url, username, password):
    """From the portal's home page through the identity provider and back."""
    page.goto(portal_url + "/")
    page.locator("form[action*='/accounts/microsoft/login/'] button").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("button[type=submit]").click()


def pass_card_check(page, portal_url, username, password, serial):
    """Guide section 2.1 up to step iv: sign in, BYPASS CODE, the card path, VERIFY."""
    sign_in(page, portal_url, username, password)
    page.get_by_role("link", name="BYPASS CODE", exact=True).click()
    page.get_by_role("link", name="I HAVE A VALID CU LINK CARD ON HAND").click()
    page.get_by_role("link", name="START").click()
    page.get_by_label("CU Link Serial Number").fill(serial)
    page.get_by_label("I'm not a robot", exact=False).check()
    page.get_by_role("button", name="VERIFY").click()


def tab_to(page, locator, limit=60):
    """Move focus with the Tab key alone until `locator` has it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def fits_the_screen(page):
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def accessibility_violations(page):
    """axe-core's violations on the current page, with its default rules ("" when none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.generate_report() if results.violations_count else ""


class Screens:
    """Saves a numbered screenshot of each screen, and checks it with axe-core."""

    def __init__(self, page, folder, prefix):
        self.page, self.folder, self.prefix, self.count = page, folder, prefix, 0
        self.violations = {}
        self.csp_errors = []
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(message.text)

    def __call__(self, name):
        self.count += 1
        self.page.wait_for_load_state()
        self.page.screenshot(
            path=self.folder / f"{self.prefix}-{self.count:02d}-{name}.png", full_page=True
        )
        report = accessibility_violations(self.page)
        if report:
            self.violations[name] = report
        assert fits_the_screen(self.page), f"{name} scrolls sideways on a phone"
