"""What a person is told when a proof is refused, in their language."""

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from duoportal.results import Reason


def _until(result):
    return formats.time_format(timezone.localtime(result.locked_until), "H:i")


def _tries(message, result):
    # `message` comes from ngettext at the call site, where makemessages finds it.
    return message % {"count": result.tries_left}


def passcode(result):
    if result.locked_until:
        return _("Too many wrong passcodes. Try again after %(time)s.") % {"time": _until(result)}
    if result.reason == Reason.EXPIRED:
        return _("That bypass code has expired. Generate a new one.")
    if result.reason == Reason.USED_UP:
        return _("That bypass code has been used up. Generate a new one.")
    if result.reason == Reason.REVOKED:
        return _("That bypass code was revoked. Generate a new one.")
    if result.reason == Reason.NO_CODE:
        return _("You have no live bypass code or authenticator app. Get a bypass code first.")
    return _tries(
        ngettext(
            "Wrong passcode. %(count)d try left.",
            "Wrong passcode. %(count)d tries left.",
            result.tries_left,
        ),
        result,
    )


def card(result):
    contact = {"contact": settings.HELPDESK_CONTACT}
    if result.locked_until:
        return _("Too many wrong serial numbers. Try again after %(time)s.") % {
            "time": _until(result)
        }
    if result.reason == Reason.NO_CODE:
        return _("We have no valid CU Link card on record for you. Contact %(contact)s.") % contact
    if result.reason == Reason.REVOKED:
        return (
            _("This CU Link card is reported lost or is no longer valid. Contact %(contact)s.")
            % contact
        )
    if result.reason == Reason.EXPIRED:
        return _("This CU Link card has expired. Contact %(contact)s.") % contact
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
        return _("Too many wrong rescue codes. Try again after %(time)s.") % {
            "time": _until(result)
        }
    if result.reason == Reason.USED_UP:
        return _("That rescue code has already been used. Each rescue code works once.")
    if result.reason == Reason.REVOKED:
        return _("That rescue code was replaced by a newer set. Use a code from your newest set.")
    if result.reason == Reason.NO_CODE:
        return _(
            "You have no unused rescue codes. Use your CU Link card instead, or contact "
            "%(contact)s."
        ) % {"contact": settings.HELPDESK_CONTACT}
    return _tries(
        ngettext(
            "That rescue code is not right. %(count)d try left.",
            "That rescue code is not right. %(count)d tries left.",
            result.tries_left,
        ),
        result,
    )
