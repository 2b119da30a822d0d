"""System checks of Duo account mode's settings (DUO_ADMIN_*, DUO_AUTH_*, DUO_CA_CERTS).

Run by every management command, `check --deploy` included: a mistyped key
would otherwise only show when the first person asks for a bypass code.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register

from bypass.stores import duo_account_mode

# Duo's integration keys; its hosts are names, with a port only for a stand-in.
IKEY = re.compile(r"DI[0-9A-Z]{18}")
HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _error(message, number):
    return Error(message, id=f"duoapi.E{number:03d}")


@register()
def duo_account(app_configs, **kwargs):
    if not duo_account_mode():
        return []
    account = settings.DUO_ACCOUNT
    errors = []
    for kind in ("ADMIN", "AUTH"):
        host = account[f"DUO_{kind}_API_HOST"]
        if not HOST.fullmatch(host):
            errors.append(
                _error(
                    f"DUO_{kind}_API_HOST is {host!r}: give the API hostname from the Duo Admin "
                    "Panel (api-XXXXXXXX.duosecurity.com), without https:// or a path.",
                    1,
                )
            )
        if not IKEY.fullmatch(account[f"DUO_{kind}_IKEY"]):
            errors.append(
                _error(f"DUO_{kind}_IKEY is not an integration key (DI and 18 letters/digits).", 2)
            )
        if len(account[f"DUO_{kind}_SKEY"]) != 40:
            errors.append(_error(f"DUO_{kind}_SKEY is not a secret key (40 characters).", 3))
    ca_certs = settings.DUO_CA_CERTS
    if ca_certs not in (None, "HTTP") and not Path(ca_certs).is_file():
        errors.append(_error(f"DUO_CA_CERTS is {ca_certs!r}, which is not a file.", 4))
    if ca_certs and not settings.DEVELOPMENT_MODE:
        errors.append(
            Warning(
                "DUO_CA_CERTS is set: the portal trusts that file instead of the Duo certificate "
                "authorities duo_client pins. Leave it empty to talk to Duo's cloud.",
                id="duoapi.W001",
            )
        )
    return errors
