from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from bypass.models import BypassCode, BypassCodeUse
from duoportal.models import ProofLock
from duoportal.results import Reason
from rescue.models import RescueCode
from tests.conftest import asking_from

pytestmark = pytest.mark.django_db


def test_it_issues_nine_digits_hashed_with_argon2id(alice):
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    assert len(plaintext) == 9 and plaintext.isdigit()
    assert code.code_hash.startswith("$argon2id$")
    assert plaintext not in code.code_hash


def test_it_expires_twelve_hours_after_issue_with_twenty_uses(alice):
    code, _ = BypassCode.objects.issue(alice, via="culink")
    assert code.expires_at - code.created_at == timedelta(hours=12)
    assert code.max_uses == 20


def test_it_accepts_the_twentieth_use_and_refuses_the_twenty_first(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="rescue")
    results = [BypassCode.objects.redeem(alice, plaintext) for _ in range(20)]
    assert all(results)
    assert [r.uses_left for r in results[-3:]] == [2, 1, 0]

    refused = BypassCode.objects.redeem(alice, plaintext)
    assert not refused
    assert refused.reason == Reason.USED_UP
    assert BypassCode.objects.get(user=alice).uses == 20


def test_it_accepts_until_just_before_twelve_hours(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    with time_machine.travel(timezone.now() + timedelta(hours=12, seconds=-1)):
        assert BypassCode.objects.redeem(alice, plaintext)


@pytest.mark.parametrize("later", [timedelta(hours=12), timedelta(hours=13)])
def test_it_refuses_at_and_after_twelve_hours(alice, later):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    with time_machine.travel(timezone.now() + later):
        result = BypassCode.objects.redeem(alice, plaintext)
    assert result.reason == Reason.EXPIRED
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_supersedes_the_live_code(alice):
    with mock.patch("bypass.models.secrets.randbelow", side_effect=[111111111, 222222222]):
        first, old = BypassCode.objects.issue(alice, via="culink")
        second, new = BypassCode.objects.issue(alice, via="rescue")

    assert BypassCode.objects.live_for(alice) == second
    first.refresh_from_db()
    assert first.status == "superseded"
    # The old code is not the person's code any more: no hint that it was.
    assert BypassCode.objects.redeem(alice, old).reason == Reason.WRONG_CODE
    assert BypassCode.objects.redeem(alice, new)


def test_it_revokes_the_live_code_with_a_reason(alice, helen):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")

    assert BypassCode.objects.revoke(alice, by=helen, reason="Phone found")
    code = BypassCode.objects.get(user=alice)
    assert (code.revoked_by, code.revoked_reason) == (helen, "Phone found")
    assert BypassCode.objects.live_for(alice) is None
    assert BypassCode.objects.redeem(alice, plaintext).reason == Reason.REVOKED


def test_it_revokes_nothing_when_there_is_no_live_code(alice):
    assert not BypassCode.objects.revoke(alice, by=alice, reason="Lost it")


def test_it_refuses_a_wrong_code_and_says_tries_left(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    wrong = f"{(int(plaintext) + 1) % 10**9:09d}"

    result = BypassCode.objects.redeem(alice, wrong)
    assert result.reason == Reason.WRONG_CODE
    assert result.tries_left == 9
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_refuses_another_persons_code(alice, bob):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.issue(bob, via="culink")
    assert BypassCode.objects.redeem(bob, plaintext).reason == Reason.WRONG_CODE


def test_it_says_no_code_to_a_person_without_one(alice):
    assert BypassCode.objects.redeem(alice, "123456789").reason == Reason.NO_CODE


def test_it_says_wrong_code_not_expired_for_a_non_matching_guess(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.issue(alice, via="culink")  # a live code exists
    guess = "000000000" if plaintext != "000000000" else "111111111"
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert BypassCode.objects.redeem(alice, guess).reason == Reason.WRONG_CODE


def test_it_keeps_leading_zeros(alice):
    with mock.patch("bypass.models.secrets.randbelow", return_value=42):
        _, plaintext = BypassCode.objects.issue(alice, via="culink")
    assert plaintext == "000000042"
    assert BypassCode.objects.redeem(alice, "42").reason == Reason.WRONG_CODE
    assert BypassCode.objects.redeem(alice, "000000042")


@pytest.mark.parametrize("typed", ["{} {} {}", "{}-{}-{}", " {}‐{}‐{} "])
def test_it_ignores_spaces_and_dashes_inside_a_code(alice, typed):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    assert BypassCode.objects.redeem(
        alice, typed.format(plaintext[:3], plaintext[3:6], plaintext[6:])
    )


def test_it_takes_a_code_typed_in_full_width_digits(alice):
    # As a Chinese input method types it in its full-width mode: full-width
    # digits, a full-width hyphen, an ideographic space.
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    typed = plaintext.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert typed != plaintext
    assert BypassCode.objects.redeem(alice, f"{typed[:3]}－{typed[3:6]}\u3000{typed[6:]}")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "12345678",
        "1234567890",
        "12345678\x00",
        "١٢٣٤٥٦٧٨٩",
        "abcdefghi",
        "1" * 10_000,
        None,
        123456789,
    ],
)
def test_it_refuses_malformed_input_without_raising(alice, typed):
    BypassCode.objects.issue(alice, via="culink")
    result = BypassCode.objects.redeem(alice, typed)
    assert result.reason == Reason.WRONG_CODE
    assert result.tries_left == 9


def test_it_refuses_an_unknown_way_of_issuing(alice):
    with pytest.raises(ValueError):
        BypassCode.objects.issue(alice, via="email")


def test_it_records_who_issued_it(alice, helen):
    code, _ = BypassCode.objects.issue(alice, via="helpdesk", issued_by=helen)
    assert code.issued_by == helen


def test_it_stores_no_plaintext_anywhere(alice, capsys):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, plaintext)
    capsys.readouterr()

    call_command("dumpdata", "--all")
    assert plaintext not in capsys.readouterr().out


def test_it_shows_the_live_code_without_its_plaintext(alice):
    assert BypassCode.objects.live_for(alice) is None
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, plaintext)

    live = BypassCode.objects.live_for(alice)
    assert live == code
    assert (live.uses_left, live.status) == (19, "live")


def test_it_makes_different_codes(alice):
    codes = {BypassCode.objects.issue(alice, via="culink")[1] for _ in range(5)}
    assert len(codes) == 5


def test_it_checks_the_live_code_even_when_an_older_one_looks_newer(alice):
    # Clock skew between app servers, or two issues racing: the live code is
    # not necessarily the one with the latest issue time.
    first, old = BypassCode.objects.issue(alice, via="culink")
    live, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.filter(pk=live.pk).update(created_at=first.created_at - timedelta(hours=1))

    assert BypassCode.objects.redeem(alice, plaintext)
    assert BypassCode.objects.redeem(alice, old).reason == Reason.WRONG_CODE


def test_it_refuses_a_disabled_persons_code(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    alice.is_active = False
    alice.save()
    assert BypassCode.objects.redeem(alice, plaintext).reason == Reason.NO_CODE
    assert BypassCode.objects.get(user=alice).uses == 0


def test_it_records_each_accepted_use_with_application_and_address(alice):
    code, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, plaintext)
    with asking_from("2001:db8::7", "VPN"):
        BypassCode.objects.check_passcode(alice, plaintext)

    uses = list(BypassCode.objects.uses_of(code))
    assert [(u.application, u.ip) for u in uses] == [("VPN", "2001:db8::7"), ("", None)]
    assert uses[0].at == BypassCode.objects.get(pk=code.pk).last_used_at


def test_it_records_no_use_of_a_refused_code(alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    BypassCode.objects.redeem(alice, "000000000")
    BypassCode.objects.revoke(alice, by=alice, reason="lost")
    BypassCode.objects.redeem(alice, plaintext)
    assert not BypassCodeUse.objects.exists()


def test_it_keeps_the_address_a_person_got_their_code_from(alice):
    with asking_from("192.0.2.10"):
        own, _ = BypassCode.objects.issue(alice, via="culink")
        by_helpdesk, _ = BypassCode.objects.issue(alice, via="helpdesk")
    assert own.issued_ip == "192.0.2.10"
    assert by_helpdesk.issued_ip is None


def test_it_gives_a_bypass_code_for_a_rescue_code(alice):
    codes = RescueCode.objects.generate(alice)

    result, (code, plaintext) = BypassCode.objects.issue_with_rescue_code(alice, codes[0])

    assert (result.reason, result.uses_left) == (Reason.ACCEPTED, 4)
    assert code.via == "rescue"
    assert BypassCode.objects.redeem(alice, plaintext)


def test_it_spends_no_rescue_code_without_a_bypass_code(alice):
    codes = RescueCode.objects.generate(alice)

    with (
        mock.patch.object(BypassCode.objects, "issue", side_effect=RuntimeError("no database")),
        pytest.raises(RuntimeError),
    ):
        BypassCode.objects.issue_with_rescue_code(alice, codes[0])

    assert RescueCode.objects.unused_count(alice) == 5
    lock = ProofLock.objects.get(user=alice, kind="rescue")
    assert (lock.failures, lock.in_flight) == (0, 0)
    assert BypassCode.objects.issue_with_rescue_code(alice, codes[0])[1] is not None


def test_it_makes_no_bypass_code_for_a_wrong_rescue_code(alice):
    RescueCode.objects.generate(alice)
    result, issued = BypassCode.objects.issue_with_rescue_code(alice, "ABCD-EFGH-JKLM-NPQR")
    assert (result.reason, result.tries_left, issued) == (Reason.WRONG_CODE, 9, None)
    assert not BypassCode.objects.exists()
