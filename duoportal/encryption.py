"""Encryption of secrets that must be read back (TOTP secrets cannot be hashed)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet():
    keys = settings.TOTP_ENCRYPTION_KEYS
    if not keys:
        # Development only: production settings refuse to start without keys.
        if not settings.DEVELOPMENT_MODE:
            raise ImproperlyConfigured("TOTP_ENCRYPTION_KEYS is empty.")
        digest = hashlib.sha256(f"totp:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text):
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token):
    """The plaintext, or None when no configured key opens the token."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
