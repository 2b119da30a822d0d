"""The e-mails a person gets: plain text, in their language, never with a code."""

import pytest
from django.core import mail
from django.utils import translation

from bypass.models import BypassCode
from duoportal.models import User
from tests.conftest import asking_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    def capture(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, list(mail.outbox)

    return capture


def code_from(person, ip, via="culink"):
    with asking_from(ip):
        return BypassCode.objects.issue(person, via=via)[1]


def use(person, plaintext, ip, application=""):
    with asking_from(ip, application):
        return BypassCode.objects.redeem(person, plaintext)


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


def test_it_sends_nothing_for_a_use_from_the_network_the_code_was_issued_from(sent, alice):
    plaintext = code_from(alice, "192.0.2.10")
    result, outbox = sent(lambda: use(alice, plaintext, "192.0.2.99"))
    assert result
    assert outbox == []


def test_it_tells_the_person_of_a_use_from_another_network(sent, alice, settings):
    settings.HELPDESK_CONTACT = "itsc@example.edu"
    plaintext = code_from(alice, "192.0.2.10")
    _, outbox = sent(lambda: use(alice, plaintext, "198.51.100.7", "VPN"))

    assert [m.subject for m in outbox] == ["Your bypass code was used from a new network"]
    assert outbox[0].to == ["alice@example.edu"]
    body = outbox[0].body
    assert "Your DUO bypass code was used for VPN at " in body
    assert "from the address 198.51.100.7." in body
    assert "revoke it at once under My account" in body and "itsc@example.edu" in body
    assert plaintext not in body


def test_it_names_the_portal_for_a_use_at_its_own_prompt(sent, alice):
    plaintext = code_from(alice, "192.0.2.10")
    _, outbox = sent(lambda: use(alice, plaintext, "198.51.100.7"))
    assert "was used on the DUO Self-Service Portal at " in outbox[0].body


def test_it_tells_of_each_new_network_once(sent, alice):
    plaintext = code_from(alice, "192.0.2.10")

    def uses():
        use(alice, plaintext, "198.51.100.7", "VPN")
        use(alice, plaintext, "198.51.100.200", "Mail")
        use(alice, plaintext, "192.0.2.11")
        use(alice, plaintext, "203.0.113.5", "VPN")

    _, outbox = sent(uses)
    assert ["198.51.100.7" in m.body for m in outbox] == [True, False]
    assert "203.0.113.5" in outbox[1].body


def test_it_takes_a_64_for_one_ipv6_network(sent, alice):
    plaintext = code_from(alice, "2001:db8:1:2::10")
    _, same = sent(lambda: use(alice, plaintext, "2001:db8:1:2:ffff:ffff:ffff:1"))
    _, other = sent(lambda: use(alice, plaintext, "2001:db8:1:3::10"))
    assert same == []
    assert len(other) == 1 and "2001:db8:1:3::10" in other[0].body


def test_it_takes_an_ipv4_mapped_address_for_its_ipv4_network(sent, alice):
    # Every IPv4 client of a dual-stack server is in ::/64.
    plaintext = code_from(alice, "::ffff:192.0.2.10")
    _, same = sent(lambda: use(alice, plaintext, "192.0.2.11"))
    _, other = sent(lambda: use(alice, plaintext, "::ffff:198.51.100.7"))
    assert same == []
    assert len(other) == 1


def test_it_sends_nothing_without_an_address(sent, alice):
    plaintext = code_from(alice, None)
    result, outbox = sent(lambda: use(alice, plaintext, None, "VPN"))
    assert result
    assert outbox == []


def test_it_knows_no_network_for_a_code_the_helpdesk_issued(sent, alice):
    # The address a helpdesk code is issued from is the helpdesk's, not the person's.
    plaintext = code_from(alice, "192.0.2.10", via="helpdesk")
    _, outbox = sent(lambda: use(alice, plaintext, "192.0.2.11"))
    assert len(outbox) == 1


def test_it_sends_nothing_for_a_refused_code(sent, alice):
    code_from(alice, "192.0.2.10")
    result, outbox = sent(lambda: use(alice, "123456789", "198.51.100.7", "VPN"))
    assert not result
    assert outbox == []


def test_it_tells_of_a_new_network_in_the_persons_language(sent, alice):
    plaintext = code_from(alice, "192.0.2.10")
    with translation.override("zh-hant"):
        _, outbox = sent(lambda: use(alice, plaintext, "198.51.100.7", "VPN"))
    assert outbox[0].subject == "你的略過碼已在新的網絡上使用"
    assert "VPN" in outbox[0].body and "198.51.100.7" in outbox[0].body
