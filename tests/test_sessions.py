"""Sessions: the cookie's key, whatever anyone writes in it, and the session it opens."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from duoportal.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "key", ["abc\x00defghij", "abcdefgh\u00e9ij", "abcdefgh-'ij", "a" * 41, "abc", ""]
)
def test_a_key_django_never_makes_is_no_session(client, alice, key):
    client.raise_request_exception = False
    client.cookies["sessionid"] = key

    response = client.get("/my-account/")

    # Sent to sign in, not a 500 (PostgreSQL refuses a NUL byte in a query).
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_opens_the_persons_session(client, alice):
    client.force_login(alice)

    assert client.get("/").context["user"] == alice


def test_an_expired_session_is_none(alice):
    store = SessionStore()
    store["person"] = "alice"
    store.set_expiry(60)
    store.save()

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert SessionStore(store.session_key).load() == {}
    assert SessionStore(store.session_key).load() == {"person": "alice", "_session_expiry": 60}


def test_a_disabled_person_is_signed_out(client, alice):
    client.force_login(alice)
    alice.is_active = False
    alice.save()

    assert not client.get("/").context["user"].is_authenticated
