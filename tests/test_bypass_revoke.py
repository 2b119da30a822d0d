import pytest

from bypass.models import BypassCode

pytestmark = pytest.mark.django_db

URL = "/my-account/bypass-code/revoke/"


def test_it_revokes_the_live_code(verified, alice):
    _, plaintext = BypassCode.objects.issue(alice, via="culink")
    response = verified.post(URL, follow=True)
    assert "Your bypass code was revoked." in response.text
    assert BypassCode.objects.redeem(alice, plaintext).reason == "revoked"
    assert alice.audit_events.filter(action="bypass_revoke", outcome="revoked").exists()


def test_it_says_there_is_nothing_to_revoke(verified, alice):
    BypassCode.objects.revoke(alice, by=alice, reason="test")
    assert "You have no live bypass code." in verified.post(URL, follow=True).text


def test_it_needs_the_second_factor(client, alice):
    BypassCode.objects.issue(alice, via="culink")
    client.force_login(alice)
    client.post(URL)
    assert BypassCode.objects.live_for(alice) is not None


def test_it_refuses_get(verified):
    assert verified.get(URL).status_code == 405
