"""E-mail to a person about changes to how they sign in."""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

SUBJECTS = {
    "bypass_issued": _("A bypass code was generated for you"),
    "bypass_new_network": _("Your bypass code was used from a new network"),
    "rescue_generated": _("New rescue codes were generated for you"),
    "locked": _("Your account is locked for a while"),
    "unlocked": _("The helpdesk unlocked your account"),
    "bypass_revoked": _("Your bypass code was revoked"),
    "disabled": _("Your account on the DUO Self-Service Portal was disabled"),
    "enabled": _("Your account on the DUO Self-Service Portal was enabled"),
    "rescue_voided": _("Your rescue codes were voided"),
    "card_lost": _("Your CU Link card was marked lost"),
    "card_replaced": _("A new CU Link card was registered for you"),
    "device_added": _("An authenticator app was added to your account"),
    "device_removed": _("An authenticator app was removed from your account"),
}


def notify(person, subject_kind, **context):
    """E-mail `person` about `kind`, once the current transaction commits.

    `subject_kind` names the template and subject. Never pass a code in
    `context`. Sent after the commit, so a slow mail
    server holds no database lock and a rolled-back change sends nothing.
    """
    if not person.email:
        return
    with translation.override(translation.get_language() or "en"):
        body = render_to_string(
            f"emails/{subject_kind}.txt",
            {"person": person, "HELPDESK_CONTACT": settings.HELPDESK_CONTACT, **context},
        )
        subject = str(SUBJECTS[subject_kind])
    transaction.on_commit(partial(_send, subject_kind, person.pk, subject, body, person.email))


def _send(kind, person_id, subject, body, address):
    # A mail server that is down must not undo what the person just did.
    try:
        send_mail(subject, body, None, [address])
    except Exception:
        logger.exception("Could not send the %s e-mail to person %s", kind, person_id)
