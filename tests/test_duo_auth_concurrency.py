"""One bypass code, many applications at once: exactly 20 are let in."""

import pytest
from django.db import connection

from bypass.models import BypassCode
from tests.duo import auth_client
from tests.gunicorn import database_url, gunicorn
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hundred_racing_duo_clients_get_exactly_twenty_allows(vpn, alice):
    integration, secret = vpn
    _, code = BypassCode.objects.issue(alice, via="culink")
    # gunicorn, as production serves the API: its 16 threads take the hundred calls in
    # turn. Django's test server would open a database connection for each call at once,
    # more than PostgreSQL's usual hundred allow.
    serving = gunicorn(database_url(connection), threads=8, env={"THROTTLE_PER_INTEGRATION": "off"})

    with serving as url:

        def sign_in():
            client = auth_client(url, integration.ikey, secret)
            return client.auth("passcode", username="alice@example.edu", passcode=code)["result"]

        results = race(100, sign_in)

    assert results.count("allow") == 20
    assert results.count("deny") == 80
    assert BypassCode.objects.get(user=alice).uses == 20
