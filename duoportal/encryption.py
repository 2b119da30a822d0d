"""Encryption of secrets that must be read back (TOTP secrets cannot be hashed)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernets():
    """One Fernet per key, the first one first (it encrypts; every one decrypts)."""
    keys = settings.TOTP_ENCRYPTION_KEYS
    if not keys:
        # Development only: production settings refuse to start without keys.
        if not settings.DEVELOPMENT_MODE:
            raise ImproperlyConfigured("TOTP_ENCRYPTION_KEYS is empty.")
        digest = hashlib.sha256(f"totp:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return [Fernet(key) for key in keys]


def _fernet():
    return MultiFernet(_fernets())


def encrypt(text):
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token):
    """The plaintext, or None when no configured key opens the token."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def under_first_key(token):
    """`token` encrypted with the first key, or None when it already is.

    Raises InvalidToken when no configured key opens it (manage.py reencrypt_secrets).
    """
    fernets = _fernets()
    try:
        fernets[0].decrypt(token.encode())
    except InvalidToken:
        return MultiFernet(fernets).rotate(token.encode()).decode()
    return None
