"""One bypass code, many applications at once: exactly 20 are let in."""

import pytest

from bypass.models import BypassCode
from tests.duo import auth_client
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hundred_racing_duo_clients_get_exactly_twenty_allows(live_server, vpn, alice):
    integration, secret = vpn
    _, code = BypassCode.objects.issue(alice, via="culink")

    def sign_in():
        client = auth_client(live_server.url, integration.ikey, secret)
        return client.auth("passcode", username="alice@example.edu", passcode=code)["result"]

    results = race(100, sign_in)

    assert results.count("allow") == 20
    assert results.count("deny") == 80
    assert BypassCode.objects.get(user=alice).uses == 20
