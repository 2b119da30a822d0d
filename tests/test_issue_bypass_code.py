import pytest
from django.core.management import CommandError, call_command

from bypass.models import BypassCode

pytestmark = pytest.mark.django_db


def test_it_prints_a_code_the_person_can_use(alice, capsys):
    call_command("issue_bypass_code", "Alice@Example.edu", "--reason", "First helpdesk login")
    out, err = capsys.readouterr()

    plaintext = out.strip()
    assert len(plaintext) == 9
    assert "for 20 uses" in err
    assert BypassCode.objects.redeem(alice, plaintext)
    event = alice.audit_events.get(action="bypass_issue")
    assert (event.outcome, event.detail["reason"]) == ("helpdesk", "First helpdesk login")
    assert plaintext not in str(event.detail)


def test_it_refuses_an_unknown_person():
    with pytest.raises(CommandError, match=r"No person with username 'nobody@example\.edu'"):
        call_command("issue_bypass_code", "nobody@example.edu", "--reason", "x")


def test_it_wants_a_reason(alice):
    with pytest.raises(CommandError):
        call_command("issue_bypass_code", "alice@example.edu")


def test_it_refuses_a_disabled_person(alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(CommandError, match="is disabled"):
        call_command("issue_bypass_code", "alice@example.edu", "--reason", "x")
    assert not BypassCode.objects.exists()


def test_in_duo_account_mode_duo_makes_the_code(duo_account, alice, capsys):
    call_command("issue_bypass_code", "alice@example.edu", "--reason", "Phone in the lake")
    plaintext = capsys.readouterr().out.strip()

    code = BypassCode.objects.get(user=alice)
    assert (code.via, code.code_hash) == ("helpdesk", "")
    assert code.remote_id
    assert BypassCode.objects.check_passcode(alice, plaintext)[0]


def test_it_says_when_duo_made_no_code(duo_account, alice):
    duo_account.control(fail="500")

    with pytest.raises(CommandError, match=r"Duo made no code for alice@example\.edu: .*HTTP 500"):
        call_command("issue_bypass_code", "alice@example.edu", "--reason", "x")

    assert not BypassCode.objects.exists()
