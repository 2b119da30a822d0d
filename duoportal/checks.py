"""System checks that stop a production deployment configured unsafely."""

import ipaddress
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


def _is_loopback(url):
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register()
def production_sign_in(app_configs, **kwargs):
    if settings.DEVELOPMENT_MODE:
        return []
    errors = []
    for name in ("MICROSOFT_LOGIN_URL", "MICROSOFT_GRAPH_URL"):
        url = getattr(settings, name)
        if _is_loopback(url) or not url.startswith("https://"):
            errors.append(
                Error(
                    f"{name} is {url!r}: production must sign in with Microsoft over HTTPS, "
                    "not the development identity provider.",
                    id="duoportal.E001",
                )
            )
    if settings.MICROSOFT_TENANT_ID.lower() in ("common", "organizations", "consumers"):
        errors.append(
            Error(
                "MICROSOFT_TENANT_ID must be your tenant's id, not a multi-tenant endpoint: "
                "anyone with any Microsoft account could sign in.",
                id="duoportal.E002",
            )
        )
    if not (settings.RECAPTCHA_PUBLIC_KEY and settings.RECAPTCHA_PRIVATE_KEY):
        errors.append(
            Error(
                "RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY must be set in production: "
                'without them the card path has no "I\'m not a robot" check.',
                id="duoportal.E004",
            )
        )
    for key in settings.TOTP_ENCRYPTION_KEYS:
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    "TOTP_ENCRYPTION_KEYS holds a key that is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="duoportal.E003",
                )
            )
    return errors
