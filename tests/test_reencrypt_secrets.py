"""manage.py reencrypt_secrets: after it, the old key can go and nothing is lost."""

import io

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from duo_client.client import sign

from duoapi import signing
from duoapi.models import Integration
from duoportal.encryption import encrypt
from duoportal.management.commands.reencrypt_secrets import (
    CHANGED,
    REENCRYPTED,
    reencrypt,
)
from duoportal.models import AuthenticatorDevice

pytestmark = pytest.mark.django_db

OLD, NEW, STRAY = (Fernet.generate_key().decode() for _ in range(3))
DATE = "Sat, 28 Nov 2026 03:29:35 -0000"


def authenticator(person):
    """A confirmed app of `person`, encrypted with the keys of now: (device, its secret)."""
    secret = pyotp.random_base32()
    device = AuthenticatorDevice.objects.create(
        user=person, name="phone", secret_encrypted=encrypt(secret), confirmed=True
    )
    return device, secret


def rotated_integration():
    """The VPN, its key rotated once: (integration, [current secret, previous secret])."""
    integration, previous = Integration.objects.create_integration("VPN")
    current = integration.rotate_secret()
    return integration, [current, previous]


def signed_with(integration, secret):
    """Whether the portal accepts a call of the integration signed with `secret`."""
    params = signing.form_params("username=alice")
    request = signing.SignedRequest("GET", "localhost", "/auth/v2/check", DATE, params)
    authorization = sign(
        integration.ikey, secret, "GET", "localhost", "/auth/v2/check", DATE, 2, params
    )
    digest = signing.read_authorization(authorization)[1]
    return signing.verify(request, digest, Integration.objects.get(pk=integration.pk).secrets)


def ciphertexts():
    devices = AuthenticatorDevice.objects.order_by("pk").values_list("secret_encrypted")
    integrations = Integration.objects.order_by("pk")
    return list(devices) + list(
        integrations.values_list("secret_encrypted", "previous_secret_encrypted")
    )


def reencrypt_secrets():
    out = io.StringIO()
    call_command("reencrypt_secrets", batch=1, stdout=out)
    return out.getvalue()


def test_it_moves_every_secret_to_the_new_key(alice, bob, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    apps = [authenticator(alice), authenticator(bob)]
    vpn, secrets = rotated_integration()
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]

    report = reencrypt_secrets()

    settings.TOTP_ENCRYPTION_KEYS = [NEW]
    for device, secret in apps:
        assert AuthenticatorDevice.objects.verify(device.user, pyotp.TOTP(secret).now())
    assert Integration.objects.get(pk=vpn.pk).secrets == secrets
    assert signed_with(vpn, secrets[0]) and signed_with(vpn, secrets[1])
    assert "        2 authenticator secrets re-encrypted, 0 already current" in report
    assert "        1 previous integration secret keys re-encrypted" in report


def test_it_never_prints_a_secret_or_a_ciphertext(alice, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    _, secret = authenticator(alice)
    _, secrets = rotated_integration()
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    before = ciphertexts()

    report = reencrypt_secrets()

    shown = [secret, *secrets, *sum(before, ()), *sum(ciphertexts(), ())]
    assert not [value for value in shown if value in report]


def test_a_second_run_changes_nothing(alice, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    authenticator(alice)
    rotated_integration()
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    reencrypt_secrets()
    after_first = ciphertexts()

    report = reencrypt_secrets()

    assert ciphertexts() == after_first
    assert "        0 authenticator secrets re-encrypted, 1 already current" in report
    assert "        0 integration secret keys re-encrypted, 1 already current" in report


def test_a_value_no_key_opens_stops_it_with_nothing_changed(alice, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    authenticator(alice)
    vpn, _ = rotated_integration()
    # The previous key, the last value looked at, under a key nobody configured.
    settings.TOTP_ENCRYPTION_KEYS = [STRAY]
    Integration.objects.filter(pk=vpn.pk).update(previous_secret_encrypted=encrypt("lost"))
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    before = ciphertexts()

    with pytest.raises(CommandError) as error:
        reencrypt_secrets()

    assert str(error.value) == (
        f"The previous integration secret key of row {vpn.pk} opens with no key "
        "in TOTP_ENCRYPTION_KEYS: nothing was changed."
    )
    assert ciphertexts() == before


def test_a_secret_rotated_between_read_and_write_keeps_its_new_value(settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    vpn, _ = Integration.objects.create_integration("VPN")
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    read = Integration.objects.get(pk=vpn.pk).secret_encrypted
    rotated = vpn.rotate_secret()

    outcome = reencrypt(Integration, "secret_encrypted", vpn.pk, read)

    assert outcome == CHANGED
    assert Integration.objects.get(pk=vpn.pk).secrets[0] == rotated


def test_a_value_read_unchanged_is_written(settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    vpn, secret = Integration.objects.create_integration("VPN")
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]

    outcome = reencrypt(Integration, "secret_encrypted", vpn.pk, vpn.secret_encrypted)

    settings.TOTP_ENCRYPTION_KEYS = [NEW]
    assert outcome == REENCRYPTED
    assert Integration.objects.get(pk=vpn.pk).secrets == [secret]


def test_it_refuses_to_run_without_keys(alice, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    authenticator(alice)
    settings.TOTP_ENCRYPTION_KEYS = []

    with pytest.raises(CommandError, match="TOTP_ENCRYPTION_KEYS is empty"):
        reencrypt_secrets()
