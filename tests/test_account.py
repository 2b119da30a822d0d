import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bypass.models import BypassCode
from tests.conftest import asking_from

pytestmark = pytest.mark.django_db


def test_it_shows_the_live_codes_uses_left_but_never_the_code(verified, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    response = verified.get("/my-account/")
    assert "can be used 20 more times" in response.text
    assert plaintext not in response.text


def test_it_asks_for_the_second_factor_first(client, alice):
    client.force_login(alice)
    response = client.get("/my-account/")
    assert response.status_code == 302
    assert response["Location"] == "/verify/?next=%2Fmy-account%2F"


def test_it_asks_again_after_idleness(verified):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert verified.get("/my-account/").status_code == 302


def test_it_keeps_an_active_person_in(verified):
    for minutes in (10, 20, 30):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
            assert verified.get("/my-account/").status_code == 200


def test_a_page_soon_after_the_last_saves_no_session(verified):
    from django.db import connection

    writes = []

    def watch(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "django_session" in sql:
            writes.append(sql)
        return execute(sql, params, many, context)

    verified.get("/my-account/")
    with connection.execute_wrapper(watch):
        verified.get("/my-account/")
        assert writes == []
        with time_machine.travel(timezone.now() + timedelta(seconds=31)):
            verified.get("/my-account/")
    assert len(writes) == 1


def test_it_needs_a_signed_in_person(client):
    response = client.get("/my-account/")
    assert response["Location"].startswith("/accounts/login/")


def test_it_links_home_to_my_account(verified):
    assert 'href="/my-account/"' in verified.get("/").text


def listed_uses(response):
    """The uses of the live code as listed, one text per use, spaces collapsed."""
    listing = re.search(r'<ul class="uses">(.*?)</ul>', response.text, re.S)
    items = re.findall(r"<li>(.*?)</li>", listing.group(1), re.S) if listing else []
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_it_lists_the_live_codes_uses_newest_first(verified, alice):
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    with asking_from("198.51.100.7", "VPN"):
        BypassCode.objects.redeem(alice, plaintext)
    with asking_from("2001:db8:ffff:ffff:ffff:ffff:ffff:1"):
        BypassCode.objects.redeem(alice, plaintext)
    with asking_from(None, "Mail"):
        BypassCode.objects.redeem(alice, plaintext)

    at = [
        f"{timezone.localtime(use.at):%Y-%m-%d %H:%M} HKT"
        for use in BypassCode.objects.uses_of(code)
    ]
    # The use at the prompt that let Alice in was of her previous code: not listed.
    assert listed_uses(verified.get("/my-account/")) == [
        f"{at[0]} Mail address unknown",
        f"{at[1]} this portal from 2001:db8:ffff:ffff:ffff:ffff:ffff:1",
        f"{at[2]} VPN from 198.51.100.7",
    ]


def test_it_lists_the_uses_in_traditional_chinese(verified, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    with asking_from("198.51.100.7"):
        BypassCode.objects.redeem(alice, plaintext)
    verified.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})

    response = verified.get("/my-account/")
    assert "此略過碼的使用紀錄" in response.text
    assert listed_uses(response)[0].endswith("本平台 來自 198.51.100.7")


def test_it_says_when_the_live_code_has_not_been_used(verified, alice):
    BypassCode.objects.issue(alice, via="culink")
    response = verified.get("/my-account/")
    assert listed_uses(response) == []
    assert "It has not been used yet." in response.text


def test_it_lists_no_uses_without_a_live_code(verified, alice):
    BypassCode.objects.revoke(alice, by=alice, reason="lost")
    response = verified.get("/my-account/")
    assert "You have no live bypass code." in response.text
    assert "Uses of this code" not in response.text
