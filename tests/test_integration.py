"""Integrations: Duo's key shapes, secrets encrypted at rest, rotation."""

import re

import pytest

from duoapi.models import Integration

pytestmark = pytest.mark.django_db


def test_it_makes_keys_in_duos_shapes(vpn):
    integration, secret = vpn

    assert re.fullmatch(r"DI[A-Z0-9]{18}", integration.ikey)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", secret)


def test_it_keeps_the_secret_only_encrypted(vpn):
    integration, secret = vpn
    stored = Integration.objects.filter(pk=integration.pk).values().get()

    assert secret not in str(stored)
    assert integration.secrets == [secret]


def test_it_accepts_old_and_new_secrets_until_the_old_one_is_retired(vpn):
    integration, old = vpn

    new = integration.rotate_secret()

    assert new != old
    assert Integration.objects.get(pk=integration.pk).secrets == [new, old]
    assert integration.retire_previous_secret()
    assert Integration.objects.get(pk=integration.pk).secrets == [new]
    assert not integration.retire_previous_secret()


def test_a_second_rotation_drops_the_oldest_secret(vpn):
    integration, first = vpn

    second = integration.rotate_secret()
    third = integration.rotate_secret()

    assert Integration.objects.get(pk=integration.pk).secrets == [third, second]
    assert first not in integration.secrets


def test_it_makes_a_different_key_pair_each_time():
    one, one_secret = Integration.objects.create_integration("VPN")
    two, two_secret = Integration.objects.create_integration("Wiki")

    assert one.ikey != two.ikey and one_secret != two_secret


def test_it_allows_any_redirect_uri_until_some_are_listed(vpn):
    integration, _ = vpn
    assert integration.allows_redirect_uri("https://anything.example/cb")

    integration.redirect_uris = " https://vpn.example.edu/duo \n\nhttps://vpn.example.edu/other"

    assert integration.allows_redirect_uri("https://vpn.example.edu/duo")
    assert not integration.allows_redirect_uri("https://vpn.example.edu/duo/")
    assert not integration.allows_redirect_uri("https://anything.example/cb")
