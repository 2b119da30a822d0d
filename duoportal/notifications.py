"""E-mail to a person about changes to how they sign in."""

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

SUBJECTS = {
    "device_added": _("An authenticator app was added to your account"),
    "device_removed": _("An authenticator app was removed from your account"),
}


def notify(person, kind, **context):
    """Send the e-mail `kind` to `person`. Never pass a code in `context`.

    A mail server that is down must not undo what the person just did, so a
    failure is logged, not raised.
    """
    if not person.email:
        return
    with translation.override(translation.get_language() or "en"):
        body = render_to_string(f"emails/{kind}.txt", {"person": person, **context})
        subject = str(SUBJECTS[kind])
    try:
        send_mail(subject, body, None, [person.email])
    except Exception:
        logger.exception("Could not send the %s e-mail to person %s", kind, person.pk)
