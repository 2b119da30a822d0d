"""System checks that stop a production deployment configured unsafely.

manage.py runs them; gunicorn does not, so duoportal/wsgi.py runs these too
(refuse_to_serve) before a production app server answers anyone.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

# A tenant is its id (a GUID) or one of its domain names.
TENANT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
)
# Microsoft's endpoints for many tenants, and the tenant of personal Microsoft accounts.
NOT_A_TENANT = {"common", "organizations", "consumers", "9188040d-6c67-4c5b-b112-36a304b66dad"}


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
    tenant = settings.MICROSOFT_TENANT_ID.lower()
    if tenant in NOT_A_TENANT or not TENANT.fullmatch(tenant):
        errors.append(
            Error(
                "MICROSOFT_TENANT_ID must be your tenant's id or domain, not a multi-tenant "
                "endpoint or personal accounts: anyone with such a Microsoft account could "
                "sign in.",
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


def refuse_to_serve():
    """Raise ImproperlyConfigured if production_sign_in finds anything: for the app server,
    which runs no system checks of its own."""
    errors = production_sign_in(None)
    if errors:
        raise ImproperlyConfigured("\n".join(f"{error.id}: {error.msg}" for error in errors))
