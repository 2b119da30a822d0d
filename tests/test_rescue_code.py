import re
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from duoportal import helpdesk
from duoportal.results import Reason
from rescue.models import RescueCode
from tests.threads import race, thread_count

pytestmark = pytest.mark.django_db

FORMAT = re.compile(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}")


def test_it_generates_five_codes_of_eighty_bits(alice):
    codes = RescueCode.objects.generate(alice)
    assert len(codes) == 5 == len(set(codes))
    assert all(FORMAT.fullmatch(code) for code in codes)
    assert RescueCode.objects.unused_count(alice) == 5
    assert all(
        h.startswith("$argon2id$") for h in RescueCode.objects.values_list("code_hash", flat=True)
    )


def test_it_accepts_each_code_once(alice):
    codes = RescueCode.objects.generate(alice)

    result = RescueCode.objects.redeem(alice, codes[0])
    assert result.accepted
    assert result.uses_left == 4
    assert RescueCode.objects.redeem(alice, codes[0]).reason == Reason.USED_UP
    assert RescueCode.objects.redeem(alice, codes[1])


@pytest.mark.parametrize("typed", ["{}", "{lower}", "{bare}", " {spaced} "])
def test_it_accepts_lower_case_spaces_and_missing_dashes(alice, typed):
    code = RescueCode.objects.generate(alice)[0]
    bare = code.replace("-", "")
    text = typed.format(code, lower=code.lower(), bare=bare, spaced=" ".join(code.split("-")))
    assert RescueCode.objects.redeem(alice, text)


def test_it_voids_the_old_set_when_a_new_one_is_made(alice):
    old = RescueCode.objects.generate(alice)
    RescueCode.objects.redeem(alice, old[0])
    new = RescueCode.objects.generate(alice)

    assert RescueCode.objects.unused_count(alice) == 5
    assert RescueCode.objects.redeem(alice, old[1]).reason == Reason.REVOKED
    # A used code stays "used", not "voided".
    assert RescueCode.objects.redeem(alice, old[0]).reason == Reason.USED_UP
    assert RescueCode.objects.redeem(alice, new[0])


@pytest.mark.parametrize("void", ["a new set", "the helpdesk"])
def test_a_code_voided_while_its_bypass_code_was_being_made_stays_void(alice, helen, void):
    # A thief's SUBMIT spends the code; the person (or the helpdesk) voids the set meanwhile;
    # Duo then fails, and the code is given back: it must not work again.
    [stolen, *_] = RescueCode.objects.generate(alice)
    spent = []
    assert RescueCode.objects.redeem(alice, stolen, on_use=spent.append)
    if void == "a new set":
        RescueCode.objects.generate(alice)
    else:
        assert helpdesk.void_rescue_codes(alice, by=helen, reason="stolen wallet") == 4

    RescueCode.objects.give_back(spent[0])

    assert RescueCode.objects.redeem(alice, stolen).reason == Reason.USED_UP


def test_a_code_given_back_with_no_void_meanwhile_works_again(alice):
    [code, *_] = RescueCode.objects.generate(alice)
    spent = []
    RescueCode.objects.redeem(alice, code, on_use=spent.append)

    RescueCode.objects.give_back(spent[0])

    assert RescueCode.objects.redeem(alice, code).accepted


def test_it_refuses_a_wrong_code_with_tries_left(alice):
    RescueCode.objects.generate(alice)
    result = RescueCode.objects.redeem(alice, "ABCD-EFGH-JKLM-NPQR")
    assert result.reason == Reason.WRONG_CODE
    assert result.tries_left == 9


def test_it_refuses_another_persons_code(alice, bob):
    codes = RescueCode.objects.generate(alice)
    RescueCode.objects.generate(bob)
    assert RescueCode.objects.redeem(bob, codes[0]).reason == Reason.WRONG_CODE
    assert RescueCode.objects.redeem(alice, codes[0])


def test_it_says_no_code_when_none_are_left(alice):
    assert RescueCode.objects.redeem(alice, "ABCD-EFGH-JKLM-NPQR").reason == Reason.NO_CODE
    codes = RescueCode.objects.generate(alice)
    for code in codes:
        RescueCode.objects.redeem(alice, code)
    assert RescueCode.objects.redeem(alice, "ABCD-EFGH-JKLM-NPQR").reason == Reason.NO_CODE


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD",
        "ABCD-EFGH-JKLM-NPQR-STUV",
        "0000-1111-IIII-OOOO",
        "ABCD\x00EFGHJKLMNPQR",
        "ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲ",
        "x" * 5000,
        None,
    ],
)
def test_it_refuses_malformed_input_without_raising(alice, typed):
    RescueCode.objects.generate(alice)
    assert RescueCode.objects.redeem(alice, typed).reason == Reason.WRONG_CODE


def test_it_checks_at_most_two_hashes_however_many_codes_are_stored(alice):
    for _ in range(20):
        codes = RescueCode.objects.generate(alice)
    # Stored: 100 codes, 95 of them voided. Make every voided one collide.
    RescueCode.objects.exclude(voided_at=None).update(selector=codes[0][:4])

    with mock.patch("rescue.models.code_matches", return_value=False) as matches:
        RescueCode.objects.redeem(alice, codes[0][:4] + "-2222-3333-4444")
    assert matches.call_count <= 2
    assert RescueCode.objects.redeem(alice, codes[0])


def test_it_stores_no_plaintext_anywhere(alice, capsys):
    codes = RescueCode.objects.generate(alice)
    capsys.readouterr()

    call_command("dumpdata", "--all")
    dump = capsys.readouterr().out
    for code in codes:
        assert code not in dump
        assert code.replace("-", "") not in dump


@pytest.mark.django_db(transaction=True)
def test_it_accepts_one_code_once_when_uses_race(alice):
    code = RescueCode.objects.generate(alice)[0]

    results = race(thread_count(connection), lambda: RescueCode.objects.redeem(alice, code))

    assert sum(result.accepted for result in results) == 1
    assert RescueCode.objects.unused_count(alice) == 4
