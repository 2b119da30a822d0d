"""Argon2id hashing of codes at rest.

Django's password hashers are not used on purpose: test settings often swap
them for fast insecure ones, and codes must be argon2id everywhere.
"""

import re
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings


def _hasher():
    # Built per call so that overridden settings (tests, benchmarks) apply.
    return PasswordHasher(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_COST,
        parallelism=settings.ARGON2_PARALLELISM,
        type=Type.ID,
    )


# Argon2 is memory-hard: more hashes at once than there are cores only evict
# each other's memory from the caches, and every one of them gets slower. So a
# process runs at most ARGON2_CONCURRENCY at a time; the others wait their turn.
_gates = {}
_gates_lock = threading.Lock()


def _gate():
    size = settings.ARGON2_CONCURRENCY
    with _gates_lock:
        return _gates.setdefault(size, threading.BoundedSemaphore(size))


def hash_code(plaintext):
    with _gate():
        return _hasher().hash(plaintext)


def code_matches(stored_hash, plaintext):
    try:
        with _gate():
            return _hasher().verify(stored_hash, plaintext)
    except (VerificationError, InvalidHashError):
        return False


# Spaces of any kind and the dashes a phone keyboard or a pasted document may
# give: hyphen-minus, U+2010 to U+2015 (the user guide itself prints U+2010)
# and the minus sign.
DASHES_AND_SPACES = re.compile("[\\s\\-\u2010-\u2015\u2212]")
# A Chinese or Japanese input method in its full-width mode types U+FF11 U+FF12 U+FF13
# for "123" (U+FF01 to U+FF5E mirror ASCII's "!" to "~"): the same characters
# to the person typing them, so the same code here. Other digits (Arabic-Indic,
# superscripts) stay malformed.
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalize(text, pattern, max_length=64):
    """Fold full-width forms to ASCII, drop spaces and dashes, upper-case, and
    return the text if it fits `pattern`.

    Returns None for anything malformed (not a string, too long, NUL bytes,
    other non-ASCII digits): such input is refused before it reaches the
    database, where PostgreSQL would reject a NUL byte with an exception.
    """
    if not isinstance(text, str) or len(text) > max_length:
        return None
    cleaned = DASHES_AND_SPACES.sub("", text.translate(FULL_WIDTH))
    # Checked before upper-casing, which turns some non-ASCII letters into
    # ASCII ones ("ß" into "SS").
    if not cleaned.isascii():
        return None
    cleaned = cleaned.upper()
    return cleaned if re.fullmatch(pattern, cleaned) else None
