"""English and Traditional Chinese, with a switch on every page."""

import gettext
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
GUIDE_LABELS = {
    "/": [("BYPASS CODE", "略過碼")],
    "/bypass-code/": [
        ("I HAVE A VALID CU LINK CARD ON HAND", "我手上有有效的 CU Link 卡"),
        ("I HAVE A RESCUE CODE ON HAND", "我手上有救援碼"),
    ],
    "/bypass-code/card/": [("START", "開始")],
    "/bypass-code/rescue/code/": [("SUBMIT", "提交")],
    "/verify/": [("Enter a Passcode", "輸入通行碼")],
    "/verify/passcode/": [("Log In", "登入")],
}


def switch(client, language, next_url="/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def test_every_page_has_the_switch(client, alice):
    client.force_login(alice)
    for url in ["/", *GUIDE_LABELS]:
        text = client.get(url).text
        assert 'name="language" value="zh-hant"' in text and 'value="en"' in text


def test_it_switches_to_traditional_chinese_and_back(client, alice):
    client.force_login(alice)
    response = switch(client, "zh-hant", "/bypass-code/")
    assert response["Location"] == "/bypass-code/"

    text = client.get("/bypass-code/").text
    assert '<html lang="zh-Hant">' in text
    assert "我手上有有效的 CU Link 卡" in text and "我手上有救援碼" in text
    assert "略過碼只可在 12 小時內使用 20 次。" in text

    switch(client, "en")
    assert "I HAVE A VALID CU LINK CARD ON HAND" in client.get("/bypass-code/").text


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_guides_labels_are_there_in_both_languages(client, alice, language):
    client.force_login(alice)
    switch(client, language)
    for url, labels in GUIDE_LABELS.items():
        response = client.get(url)
        assert response.status_code == 200, url
        for english, chinese in labels:
            shown, absent = (english, chinese) if language == "en" else (chinese, english)
            assert f">{shown}</" in response.text, (url, shown)
            assert f">{absent}</" not in response.text, (url, absent)


def test_refusals_are_in_the_persons_language(client, alice):
    client.force_login(alice)
    switch(client, "zh-hant")
    response = client.post("/verify/passcode/", {"passcode": "123"})
    assert "你沒有有效的略過碼或驗證器應用程式" in response.text


def test_every_message_has_a_translation():
    text = PO.read_text("utf-8")
    entries = text.split("\n\n")[1:]  # The first entry is the header.
    untranslated = [
        e
        for e in entries
        if re.search(r'^msgstr(\[0\])? ""$', e, re.M)
        and not re.search(r'^msgstr(\[0\])? ""\n"', e, re.M)
    ]
    assert not untranslated
    assert "#, fuzzy" not in text


def test_the_compiled_catalogue_is_up_to_date():
    with PO.with_suffix(".mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', PO.read_text("utf-8"), re.M)
    assert len(pairs) > 100
    stale = [
        msgid
        for msgid, msgstr in pairs
        if catalogue.gettext(msgid.replace('\\"', '"')) != msgstr.replace('\\"', '"')
    ]
    assert not stale
