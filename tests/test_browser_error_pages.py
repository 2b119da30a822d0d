"""The 500 and 503 pages on a phone: what happened, what to do, and the helpdesk's reference."""

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from duoportal.models import User
from duoportal.sessions import SessionStore
from tests.browser import Screens, screenshot_dir, sign_in
from tests.idp import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "alice@example.edu"
# What fails behind the page, its status, and the heading in each language.
FAILURES = {
    "database-down": (
        OperationalError("server closed the connection unexpectedly"),
        503,
        {"en": "The portal is busy for a moment", "zh-hant": "平台暫時繁忙"},
    ),
    "server-error": (
        RuntimeError("a bug"),
        500,
        {"en": "Something went wrong", "zh-hant": "發生錯誤"},
    ),
}


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize("failure", FAILURES)
def test_an_error_page_names_the_request_fits_a_phone_and_passes_axe(
    portal, phone, language, failure, monkeypatch, tmp_path
):
    error, status, headings = FAILURES[failure]
    User.objects.create_user(ALICE)
    phone.context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
    sign_in(phone, portal, ALICE, PEOPLE[ALICE]["password"])
    phone.wait_for_url(portal + "/")

    def fail(self):
        raise error

    # Every signed-in page reads its session first: that read fails.
    monkeypatch.setattr(SessionStore, "_get_session_from_db", fail)
    response = phone.goto(portal + "/my-account/")

    assert response.status == status
    expect(phone.get_by_role("heading", level=1)).to_have_text(headings[language])
    reference = response.headers["x-request-id"]
    expect(phone.locator("main")).to_contain_text(reference)
    assert phone.locator("html").get_attribute("lang") == (
        "zh-Hant" if language == "zh-hant" else "en"
    )
    assert "Traceback" not in phone.content() and "a bug" not in phone.content()
    screens = Screens(phone, screenshot_dir(tmp_path), f"error-{language}")
    screens(failure)  # Also checks axe-core and that nothing scrolls sideways.
    assert not screens.violations, "\n".join(screens.violations.values())
