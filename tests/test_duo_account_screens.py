"""The guide's screens in Duo account mode: what a person sees when Duo keeps the codes."""

import pytest

from bypass.models import BypassCode
from rescue.models import RescueCode
from tests.conftest import pass_card_check, pass_prompt

pytestmark = pytest.mark.django_db(transaction=True)

VERIFIED = "/bypass-code/card/verified/"
ISSUE = "/bypass-code/card/code/"
NOT_ANSWERING = "The DUO service is not answering, try again in a few minutes."


@pytest.fixture
def checked(duo_account, client, alice):
    """Alice, signed in, whose card check just passed, in Duo account mode."""
    return pass_card_check(client, alice)


def get_bypass_code(client):
    return client.post(ISSUE, {"token": client.session["card_check_token"]})


def test_get_bypass_code_shows_duos_code_with_its_leading_zero(checked, duo_account):
    duo_account.control(next_code="001234567")

    response = get_bypass_code(checked)

    assert "The Bypass Code is generated." in response.text
    assert '<span class="group">001</span><span class="group">234</span>' in response.text
    assert "<dd>20</dd>" in response.text
    # No authenticator apps of the portal's own in this mode.
    assert "Add an authenticator app" not in response.text


def test_when_duo_does_not_answer_get_bypass_code_can_be_pressed_again(checked, duo_account):
    duo_account.control(fail="500")

    response = get_bypass_code(checked)

    assert response["Location"] == VERIFIED
    page = checked.get(VERIFIED)
    assert NOT_ANSWERING in page.text and "GET BYPASS CODE" in page.text
    assert not BypassCode.objects.exists()
    duo_account.control(fail="")
    assert "The Bypass Code is generated." in get_bypass_code(checked).text


def test_it_says_so_in_traditional_chinese(checked, duo_account):
    duo_account.control(fail="429")
    checked.post("/i18n/setlang/", {"language": "zh-hant", "next": VERIFIED})

    get_bypass_code(checked)

    assert "DUO 服務沒有回應，請於幾分鐘後再試。" in checked.get(VERIFIED).text


def test_a_person_duo_does_not_know_is_sent_to_the_helpdesk(duo_account, client, db):
    from duoportal.models import User

    pass_card_check(client, User.objects.create_user("zoe@example.edu"), serial="51007777")

    get_bypass_code(client)

    text = client.get(VERIFIED).text
    assert "DUO has no account for you" in text and "helpdesk@example.edu" in text


def test_when_duo_does_not_answer_the_rescue_code_still_works(duo_account, client, alice):
    client.force_login(alice)
    [rescue, *_] = RescueCode.objects.generate(alice)
    duo_account.control(fail="500")

    response = client.post("/bypass-code/rescue/code/", {"code": rescue})

    assert NOT_ANSWERING in response.text
    duo_account.control(fail="")
    assert (
        "The Bypass Code is generated."
        in client.post("/bypass-code/rescue/code/", {"code": rescue}).text
    )


def test_enter_a_passcode_asks_duo(duo_account, client, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    client.force_login(alice)

    assert "Duo Mobile" in client.get("/verify/").text
    wrong = client.post("/verify/passcode/", {"passcode": "000000000"})
    assert "Wrong passcode. 9 tries left." in wrong.text
    duo_account.control(fail="500")
    assert NOT_ANSWERING in client.post("/verify/passcode/", {"passcode": plaintext}).text
    duo_account.control(fail="")
    assert client.post("/verify/passcode/", {"passcode": plaintext}).status_code == 302


def test_my_account_shows_what_duo_reports_and_no_authenticator_apps(duo_account, client, alice):
    verified = pass_prompt(client, alice)

    text = verified.get("/my-account/").text

    # pass_prompt's own code, one use spent at the prompt: the stand-in counts down.
    assert "DUO reports its use count as 19." in text
    assert "kept by DUO and works until" in text
    assert "managed in DUO" in text
    assert "Add an authenticator app" not in text
    assert verified.post("/my-account/authenticators/add/", {"name": "phone"}).status_code == 404


def test_revoke_deletes_the_code_in_duo(duo_account, client, alice):
    verified = pass_prompt(client, alice)
    code = BypassCode.objects.get(user=alice)

    page = verified.post("/my-account/bypass-code/revoke/", follow=True)

    assert "Your bypass code was revoked." in page.text
    duo_user_id, _ = code.remote_id.split("/")
    assert list(duo_account.admin().get_user_bypass_codes(duo_user_id)) == []


def test_a_code_deleted_in_duo_is_shown_as_gone(duo_account, client, alice):
    verified = pass_prompt(client, alice)
    code = BypassCode.objects.get(user=alice)
    duo_account.admin().delete_bypass_code_by_id(code.remote_id.split("/")[1])

    text = verified.get("/my-account/").text

    assert "no longer in DUO" in text
    assert "Revoke it" not in text


def test_my_account_says_when_duo_does_not_answer(duo_account, client, alice):
    verified = pass_prompt(client, alice)
    duo_account.control(fail="500")

    assert NOT_ANSWERING in verified.get("/my-account/").text
    assert NOT_ANSWERING in verified.post("/my-account/bypass-code/revoke/", follow=True).text
    assert BypassCode.objects.live_for(alice) is not None


@pytest.mark.parametrize(
    "path", ["/auth/v2/ping", "/auth/v2/check", "/oauth/v1/health_check", "/oauth/v1/authorize"]
)
def test_the_portals_own_duo_endpoints_are_off(duo_account, client, path):
    assert client.get(path).status_code == 404


def test_a_code_from_before_duo_account_mode_is_shown_as_gone(client, alice, settings, request):
    verified = pass_prompt(client, alice)  # a code the portal made itself
    request.getfixturevalue("duo_account")

    text = verified.get("/my-account/").text

    assert "no longer in DUO" in text
    assert verified.post("/my-account/bypass-code/revoke/", follow=True).status_code == 200
