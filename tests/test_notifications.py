"""The e-mails a person gets: plain text, in their language, never with a code."""

import pytest
from django.core import mail
from django.utils import translation

from bypass.models import BypassCode
from duoportal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    def capture(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, mail.outbox

    return capture


def test_it_writes_names_as_they_are(sent):
    person = User.objects.create_user(
        "tom@example.edu", email="tom@example.edu", display_name="Tom O'Brien & Co"
    )
    (_, plaintext), outbox = sent(lambda: BypassCode.objects.issue(person, via="culink"))
    assert "Hello Tom O'Brien & Co," in outbox[0].body
    assert plaintext not in outbox[0].body
    assert "HKT" in outbox[0].body


def test_it_names_the_helpdesk(sent, alice, settings):
    settings.HELPDESK_CONTACT = "itsc@example.edu, 3943 8845"
    _, outbox = sent(lambda: BypassCode.objects.issue(alice, via="culink"))
    assert "contact the helpdesk at once: itsc@example.edu, 3943 8845." in outbox[0].body


def test_it_says_which_proof_locked(sent, alice):
    def lock():
        for _ in range(10):
            BypassCode.objects.redeem(alice, "000000000")

    _, outbox = sent(lock)
    assert [m.subject for m in outbox] == ["Your account is locked for a while"]
    assert "After too many wrong passcodes, passcodes for your account" in outbox[0].body


def test_it_writes_in_the_persons_language(sent, alice):
    with translation.override("zh-hant"):
        _, outbox = sent(lambda: BypassCode.objects.issue(alice, via="culink"))
    assert outbox[0].subject == "已為你產生略過碼"


def test_it_sends_nothing_to_a_person_without_e_mail(sent):
    person = User.objects.create_user("noemail@example.edu")
    _, outbox = sent(lambda: BypassCode.objects.issue(person, via="culink"))
    assert outbox == []
