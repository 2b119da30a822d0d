import pytest

pytestmark = pytest.mark.django_db

URL = "/bypass-code/"


def test_it_shows_the_guides_rules_and_both_ways_in(client, alice):
    client.force_login(alice)
    text = client.get(URL).text
    assert "The Bypass Code can only be used for 20 times within 12 hours." in text
    assert "Once the bypass code is expired, you need to generate another new bypass code." in text
    assert "I HAVE A VALID CU LINK CARD ON HAND" in text
    assert "I HAVE A RESCUE CODE ON HAND" in text


def test_it_takes_the_numbers_from_settings(client, alice, settings):
    settings.BYPASS_CODE_MAX_USES = 5
    settings.BYPASS_CODE_LIFETIME = settings.BYPASS_CODE_LIFETIME / 2
    client.force_login(alice)
    assert "used for 5 times within 6 hours." in client.get(URL).text


def test_it_tells_someone_with_neither_whom_to_call(client, alice, settings):
    settings.HELPDESK_CONTACT = "ITSC, 3943 8845"
    client.force_login(alice)
    assert "ITSC, 3943 8845" in client.get(URL).text


def test_it_needs_no_second_factor_but_a_sign_in(client, alice):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get(URL).status_code == 200


def test_home_has_the_bypass_code_button(client, alice):
    client.force_login(alice)
    assert 'href="/bypass-code/">BYPASS CODE</a>' in client.get("/").text
