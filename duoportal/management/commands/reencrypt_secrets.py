"""Re-encrypt every encrypted secret with the first TOTP_ENCRYPTION_KEYS key, while serving.

After a new key is put first (docs/deploy.md, section 5), the values written
before still open only with an old key; this moves them to the first, so the
old key can be dropped. A first pass checks that every value opens with a
configured key and stops, with nothing changed, at one that does not. The
second pass writes each value with an UPDATE conditional on the ciphertext it
read: a value changed meanwhile (a new authenticator, a rotated integration
key) keeps its new value. Values already under the first key are left as
they are, so a second run changes nothing.
"""

import logging
from collections import Counter

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from duoportal.encryption import decrypt, under_first_key

logger = logging.getLogger(__name__)

# Every field encrypted with TOTP_ENCRYPTION_KEYS (duoportal/encryption.py), as
# (what it holds, model, field). A new encrypted field goes here.
ENCRYPTED_FIELDS = [
    ("authenticator secret", "duoportal.AuthenticatorDevice", "secret_encrypted"),
    ("integration secret key", "duoapi.Integration", "secret_encrypted"),
    ("previous integration secret key", "duoapi.Integration", "previous_secret_encrypted"),
]

REENCRYPTED, CURRENT, CHANGED = "re-encrypted", "already current", "changed meanwhile"


def check_keys():
    # The portal makes a key of SECRET_KEY when there is none (development): nothing
    # to move secrets to, nor from.
    if not settings.TOTP_ENCRYPTION_KEYS:
        raise CommandError("TOTP_ENCRYPTION_KEYS is empty: there is no key to re-encrypt with.")
    try:
        decrypt("")  # Makes every key's Fernet first: a malformed key is a ValueError.
    except ValueError as error:
        # The error names no key, and neither does this message.
        raise CommandError(
            "TOTP_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from error


def rows(model, field, batch):
    """(pk, ciphertext) of every row with a value in `field`, read a batch at a time."""
    values = model._base_manager.exclude(**{field: ""}).order_by("pk").values_list("pk", field)
    page = list(values[:batch])
    while page:
        yield from page
        page = list(values.filter(pk__gt=page[-1][0])[:batch])


def reencrypt(model, field, pk, token):
    """Move one value to the first key: REENCRYPTED, CURRENT or CHANGED.

    The UPDATE matches the ciphertext read, so a value written since is newer
    than this one and stays. InvalidToken if no key opens `token`.
    """
    rotated = under_first_key(token)
    if rotated is None:
        return CURRENT
    updated = model._base_manager.filter(pk=pk, **{field: token}).update(**{field: rotated})
    return REENCRYPTED if updated else CHANGED


def unreadable(kind, pk, outcome):
    return CommandError(
        f"The {kind} of row {pk} opens with no key in TOTP_ENCRYPTION_KEYS: {outcome}"
    )


class Command(BaseCommand):
    help = (
        "Re-encrypt authenticator secrets and integration secret keys with the first key of "
        "TOTP_ENCRYPTION_KEYS, so the keys after it can be dropped. Safe while the portal serves."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=1000, help="rows read at a time (default 1000)"
        )

    def handle(self, *args, batch, **options):
        check_keys()
        fields = [(kind, apps.get_model(label), field) for kind, label, field in ENCRYPTED_FIELDS]
        # Everything is checked before anything is written, so a value lost to
        # a dropped key stops the run with every row as it was.
        for kind, model, field in fields:
            for pk, token in rows(model, field, batch):
                if decrypt(token) is None:
                    raise unreadable(kind, pk, "nothing was changed.")
        changed = 0
        for kind, model, field in fields:
            counts = self._reencrypt(kind, model, field, batch)
            changed += counts[CHANGED]
            self._report(kind, counts)
        if changed:
            self.stdout.write(
                "Values changed while this ran were kept; run it again to check them."
            )

    def _reencrypt(self, kind, model, field, batch):
        counts = Counter()
        for pk, token in rows(model, field, batch):
            try:
                counts[reencrypt(model, field, pk, token)] += 1
            except InvalidToken as error:
                # Written since the check by a server with other keys. What was
                # re-encrypted so far opens with the first key: nothing is lost.
                raise unreadable(kind, pk, "stopped, the rows before it re-encrypted.") from error
        return counts

    def _report(self, kind, counts):
        logger.info(
            "reencrypt_secrets %ss: %s re-encrypted, %s already current, %s changed meanwhile",
            kind,
            counts[REENCRYPTED],
            counts[CURRENT],
            counts[CHANGED],
        )
        line = f"{counts[REENCRYPTED]:>9} {kind}s re-encrypted, {counts[CURRENT]} already current"
        if counts[CHANGED]:
            line += f", {counts[CHANGED]} changed meanwhile and kept"
        self.stdout.write(line)
