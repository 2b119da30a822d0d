"""Where bypass codes live: the portal's own database, or a Duo account.

BypassCode.objects keeps the rules (one live code per person, its uses and
lifetime, the audit trail) and asks the store chosen by BYPASS_CODE_STORE to
make, check, read and delete the code itself:

- LocalStore, the embedded default: the portal makes the code and keeps its
  argon2id hash; uses are counted in the database.
- duoapi.duostore.DuoStore, Duo account mode: Duo makes the code, counts its
  uses and checks it, through Duo's Admin and Auth APIs. The portal keeps only
  the code's Duo id, expiry and who issued it.

The setting is a dotted path, so this layer never imports duoapi/.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps

from django.conf import settings
from django.http import Http404
from django.utils.module_loading import import_string

from duoportal.hashing import hash_code


class CodeStoreError(Exception):
    """The store could not do what was asked, so nothing changed.

    `detail` says why for the audit trail and the log (Duo's error code and
    HTTP status, or the network error): never a code or a key.
    """

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class CodeStoreUnavailable(CodeStoreError):
    """The store did not answer, or answered with an error: try again later."""


class CodeStoreRefusedPerson(CodeStoreError):
    """The store has no usable account for the person: `why` is "unknown", "disabled"
    or "locked_out". Only the helpdesk can help."""

    def __init__(self, why, detail=""):
        super().__init__(detail or why)
        self.why = why


@dataclass(frozen=True)
class NewCode:
    plaintext: str
    # The argon2id hash, for a code the portal checks itself; empty for Duo's.
    code_hash: str = ""
    # The store's id of the code (Duo's bypass_code_id); empty for the local store.
    remote_id: str = ""
    # When the store says it expires; None: the portal's own lifetime from now.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RemoteState:
    """What the store reports of a code it keeps: None for either means "no limit"."""

    reuse_count: int | None
    expires_at: datetime | None


class LocalStore:
    """The embedded default: codes made here and checked against their hashes here."""

    remote = False

    def make(self, user, *, uses, lifetime):
        plaintext = f"{secrets.randbelow(10**9):09d}"
        return NewCode(plaintext=plaintext, code_hash=hash_code(plaintext))


@cache
def _store(path):
    return import_string(path)()


def code_store():
    """The store BYPASS_CODE_STORE names (one instance per process)."""
    return _store(settings.BYPASS_CODE_STORE)


def duo_account_mode():
    """Whether Duo keeps the codes: the portal then offers no authenticator apps of its
    own and answers no Duo protocol (applications talk to Duo)."""
    return code_store().remote


def standalone_only(view):
    """A view that exists only while the portal keeps the codes itself: 404 in Duo account mode."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if duo_account_mode():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
