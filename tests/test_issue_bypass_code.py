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
