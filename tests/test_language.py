"""English and Traditional Chinese, with a switch on every page, and a catalogue that is
complete, compiled and current with the code."""

import gettext
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The Makefile's MESSAGES_IGNORE. Should the two lists part, the catalogue made with one no
# longer matches the texts found with the other, and the test of the code's texts fails.
IGNORE = [".venv/*", "duoportal/devidp/*", "tests/*", "benchmarks/*", "locale/*"]
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


def catalogue_problems(po_path):
    """Each entry a Chinese reader would not see translated, as (problem, msgid)."""
    po = polib.pofile(str(po_path))
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"])[1])
    problems = [("untranslated", e.msgid) for e in po.untranslated_entries()]
    problems += [("fuzzy", e.msgid) for e in po.fuzzy_entries()]
    problems += [("obsolete", e.msgid) for e in po.obsolete_entries()]
    problems += [
        ("plural forms", e.msgid)
        for e in po
        if e.msgid_plural and not e.obsolete and len(e.msgstr_plural) != nplurals
    ]
    if po.metadata_is_fuzzy:
        problems.append(("fuzzy", "(header)"))
    return problems


def compiled(po_path):
    """The .po's entries as msgfmt compiles them, keyed as GNUTranslations stores them."""
    catalogue = {}
    for entry in polib.pofile(str(po_path)).translated_entries():
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            catalogue.update({(msgid, n): text for n, text in entry.msgstr_plural.items()})
        else:
            catalogue[msgid] = entry.msgstr
    return catalogue


def stale_translations(po_path, mo_path):
    """msgids whose compiled translation (any plural form) differs from the .po's, or that
    only one of the two holds."""
    with Path(mo_path).open("rb") as mo:
        # GNUTranslations keeps every compiled entry in _catalog; its public methods answer
        # one lookup at a time and cannot list what only the .mo holds.
        in_mo = {k: v for k, v in gettext.GNUTranslations(mo)._catalog.items() if k != ""}
    in_po = compiled(po_path)
    keys = in_po.keys() | in_mo.keys()
    return sorted(
        {k[0] if isinstance(k, tuple) else k for k in keys if in_po.get(k) != in_mo.get(k)}
    )


def texts(po_path):
    po = polib.pofile(str(po_path))
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if not e.obsolete}


def catalogue_of(source, settings, monkeypatch):
    """makemessages on a copy of the source, written to the copy's own locale folder."""
    settings.LOCALE_PATHS = [source / "locale"]
    (source / "locale").mkdir()
    monkeypatch.chdir(source)
    call_command(
        "makemessages", locale=["zh_Hant"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0
    )
    return source / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def source(tmp_path):
    # A copy, so makemessages (which writes preprocessed templates beside the originals)
    # never touches the working tree, and a test may plant or remove a text in it.
    ignore = shutil.ignore_patterns(
        ".*", "__pycache__", "*.egg-info", "*.sqlite3*", "build", "tmp", "locale", "docs", "static"
    )
    return shutil.copytree(ROOT, tmp_path / "source", ignore=ignore)


@pytest.fixture
def broken_po(tmp_path):
    """A copy of the catalogue, changed by the test and saved with .save()."""
    po = polib.pofile(str(PO))
    po.fpath = str(tmp_path / "django.po")
    return po


MULTILINE = "This CU Link card is reported lost or is no longer valid. Contact %(contact)s."
PLURAL = "That serial number does not match your CU Link card. %(count)d try left."


def test_every_text_has_a_translation():
    assert catalogue_problems(PO) == []
    assert len(polib.pofile(str(PO)).translated_entries()) > 250


def test_it_finds_untranslated_fuzzy_and_obsolete_entries(broken_po):
    broken_po.find(MULTILINE).msgstr = ""
    broken_po.find(PLURAL).msgstr_plural = {0: ""}
    broken_po.find("Rescue codes").flags.append("fuzzy")
    broken_po.find("Log In").obsolete = True
    broken_po.find("You have %(count)s unused rescue code.").msgstr_plural[1] = "多一個"
    broken_po.save()
    assert sorted(catalogue_problems(broken_po.fpath)) == [
        ("fuzzy", "Rescue codes"),
        ("obsolete", "Log In"),
        ("plural forms", "You have %(count)s unused rescue code."),
        ("untranslated", PLURAL),
        ("untranslated", MULTILINE),
    ]


def test_the_compiled_catalogue_is_up_to_date():
    assert len(compiled(PO)) > 250
    assert stale_translations(PO, MO) == []


def test_it_finds_a_stale_compiled_catalogue(broken_po):
    broken_po.find(MULTILINE).msgstr = "此卡不能用。"
    broken_po.find(PLURAL).msgstr_plural = {0: "序號不符。"}
    broken_po.remove(broken_po.find("Log In"))
    broken_po.append(polib.POEntry(msgid="A text only the .po has", msgstr="只在 .po"))
    broken_po.save()
    assert stale_translations(broken_po.fpath, MO) == sorted(
        [MULTILINE, PLURAL, "Log In", "A text only the .po has"]
    )


def test_the_catalogue_holds_every_text_of_the_code(source, settings, monkeypatch):
    fresh = catalogue_of(source, settings, monkeypatch)
    assert len(texts(fresh)) > 250
    assert texts(fresh) - texts(PO) == set(), "new texts: run make messages and translate"
    assert texts(PO) - texts(fresh) == set(), "texts gone from the code: run make messages"


def test_it_finds_a_new_and_a_removed_text(source, settings, monkeypatch):
    (source / "templates" / "new.html").write_text(
        "{% load i18n %}{% blocktranslate trimmed count n=n %}\n"
        "  One new text over two lines.\n{% plural %}\n  {{ n }} new texts.\n"
        "{% endblocktranslate %}"
    )
    (source / "templates" / "rescue" / "codes.html").unlink()
    # The tests are left out of the catalogue, as make messages leaves them out.
    (source / "tests" / "test_planted.py").write_text(
        'from django.utils.translation import gettext\ngettext("Ignored")\n'
    )
    fresh = catalogue_of(source, settings, monkeypatch)
    assert texts(fresh) - texts(PO) == {(None, "One new text over two lines.", "%(n)s new texts.")}
    assert {msgid for _, msgid, _ in texts(PO) - texts(fresh)} == {
        "Your rescue codes",
        "Keep these codes somewhere safe, away from your phone: print them, download them or "
        "copy them now. They will not be shown again. Each code works once to get a bypass code.",
        "Print",
        "Download",
        "DUO Self-Service Portal rescue codes",
    }
