"""What a person is told when a proof is refused, in their language."""

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from duoportal.models import ProofLock
from duoportal.results import Reason

Kind = ProofLock.Kind


def _tries(message, result):
    # `message` comes from ngettext at the call site, where makemessages finds it.
    return message % {"count": result.tries_left}


def _counted(message, result):
    """A refusal that counts towards the lock also says how many tries are left."""
    if result.tries_left is None:
        # Not counted (a disabled person): no countdown to show.
        return message
    tries = _tries(
        ngettext("%(count)d try left.", "%(count)d tries left.", result.tries_left), result
    )
    # Translators: a refusal, then how many tries are left, e.g. "This card has
    # expired. 9 tries left." Languages without spaces between sentences drop the space.
    return _("%(refusal)s %(tries_left)s") % {"refusal": message, "tries_left": tries}


def locked(kind, until):
    """Until when `kind` is locked, in local time."""
    time = {"time": formats.time_format(timezone.localtime(until), "H:i")}
    if kind == Kind.PASSCODE:
        return _("Too many wrong passcodes. Try again after %(time)s.") % time
    if kind == Kind.CARD:
        return _("Too many wrong serial numbers. Try again after %(time)s.") % time
    return _("Too many wrong rescue codes. Try again after %(time)s.") % time


def busy():
    # Nothing was checked or counted, so the same try may simply be repeated.
    return _(
        "The portal is still checking your other tries. This one was not counted: "
        "try again in a moment."
    )


def lock_notice(user, kind, result=None):
    """What a page of `kind` says instead of its form while it is locked, or None.

    After a check, its `result` says whether the lock is on: no second read of it.
    """
    if result is not None:
        until = result.locked_until
    else:
        until = ProofLock.objects.locked_until(user, kind)
    return locked(kind, until) if until else None


def passcode(result):
    if result.locked_until:
        return locked(Kind.PASSCODE, result.locked_until)
    if result.reason == Reason.BUSY:
        return busy()
    if result.reason == Reason.EXPIRED:
        return _counted(_("That bypass code has expired. Generate a new one."), result)
    if result.reason == Reason.USED_UP:
        return _counted(_("That bypass code has been used up. Generate a new one."), result)
    if result.reason == Reason.REVOKED:
        return _counted(_("That bypass code was revoked. Generate a new one."), result)
    if result.reason == Reason.NO_CODE:
        return _counted(
            _("You have no live bypass code or authenticator app. Get a bypass code first."),
            result,
        )
    return _tries(
        ngettext(
            "Wrong passcode. %(count)d try left.",
            "Wrong passcode. %(count)d tries left.",
            result.tries_left,
        ),
        result,
    )


def code_store(error):
    """Duo made, checked or deleted nothing (bypass.stores.CodeStoreError): say what to do."""
    contact = {"contact": settings.HELPDESK_CONTACT}
    why = getattr(error, "why", None)
    if why == "unknown":
        return (
            _(
                "DUO has no account for you, so it cannot make you a bypass code. "
                "Contact %(contact)s."
            )
            % contact
        )
    if why:
        return _("Your DUO account is disabled or locked out. Contact %(contact)s.") % contact
    return _("The DUO service is not answering, try again in a few minutes.")


def code_store_to_helpdesk(error):
    """The same failure told to the helpdesk, who act on Duo's side, not the person's."""
    why = getattr(error, "why", None)
    if why == "unknown":
        return _(
            "DUO has no user by this person's name, so it made or deleted nothing. Check the "
            "person's DUO user (and DUO_USERNAME_FORMAT), then try again."
        )
    if why:
        return _(
            "This person's DUO user is disabled or locked out, so DUO made nothing. Change that "
            "in DUO's Admin Panel first."
        )
    return _("The DUO service is not answering, try again in a few minutes.")


def card(result):
    contact = {"contact": settings.HELPDESK_CONTACT}
    if result.locked_until:
        return locked(Kind.CARD, result.locked_until)
    if result.reason == Reason.BUSY:
        return busy()
    if result.reason == Reason.NO_CODE:
        return _counted(
            _("We have no valid CU Link card on record for you. Contact %(contact)s.") % contact,
            result,
        )
    if result.reason == Reason.REVOKED:
        return _counted(
            _("This CU Link card is reported lost or is no longer valid. Contact %(contact)s.")
            % contact,
            result,
        )
    if result.reason == Reason.EXPIRED:
        return _counted(_("This CU Link card has expired. Contact %(contact)s.") % contact, result)
    return _tries(
        ngettext(
            "That serial number does not match your CU Link card. %(count)d try left.",
            "That serial number does not match your CU Link card. %(count)d tries left.",
            result.tries_left,
        ),
        result,
    )


def rescue(result):
    if result.locked_until:
        return locked(Kind.RESCUE, result.locked_until)
    if result.reason == Reason.BUSY:
        return busy()
    if result.reason == Reason.USED_UP:
        return _counted(
            _("That rescue code has already been used. Each rescue code works once."), result
        )
    if result.reason == Reason.REVOKED:
        return _counted(
            _("That rescue code was replaced by a newer set. Use a code from your newest set."),
            result,
        )
    if result.reason == Reason.NO_CODE:
        return _counted(
            _(
                "You have no unused rescue codes. Use your CU Link card instead, or contact "
                "%(contact)s."
            )
            % {"contact": settings.HELPDESK_CONTACT},
            result,
        )
    return _tries(
        ngettext(
            "That rescue code is not right. %(count)d try left.",
            "That rescue code is not right. %(count)d tries left.",
            result.tries_left,
        ),
        result,
    )
