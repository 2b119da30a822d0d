"""Between the names applications send and the portal's people.

Applications send their own login name: `alice` from duo_unix for a Unix
user, `alice@example.edu` from a web application. People are known by their
lower-cased Microsoft 365 user principal name.
"""

from django.conf import settings
from django.contrib.auth import get_user_model

from duoportal.models import one_by

MAX_LENGTH = 150


def username_for(person):
    """The name the portal gives Duo for `person` (DUO_USERNAME_FORMAT), or None.

    With {local}, only people of DUO_USERNAME_DOMAIN have one: alice@students.example.edu
    and alice@example.edu would both be Duo's "alice", and one would get codes for the
    other's Duo account.
    """
    upn = person.username
    local, _, domain = upn.partition("@")
    if settings.DUO_USERNAME_FORMAT == "{local}" and domain != settings.DUO_USERNAME_DOMAIN:
        return None
    return settings.DUO_USERNAME_FORMAT.format(upn=upn, local=local)


def person_for(username=None, user_id=None):
    """The person an application names, or None.

    A name without a domain gets DUO_USERNAME_DOMAIN added back; `user_id` is
    the person's stable id in the portal (their primary key).
    """
    people = get_user_model()
    if user_id is not None:
        # Digits only, within a bigint: anything else is nobody, never a database error.
        if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 18):
            return None
        return one_by(people, "id", int(user_id))
    # A user principal name is ASCII: anything else (a Kelvin sign for K, a no-break
    # space) would be folded onto someone by lower() and strip(), so it is nobody.
    if not username.isascii():
        return None
    name = username.strip().lower()
    if "@" not in name and settings.DUO_USERNAME_DOMAIN:
        name = f"{name}@{settings.DUO_USERNAME_DOMAIN}"
    return one_by(people, "username", name)
