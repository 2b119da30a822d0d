"""The "I'm not a robot" check: reCAPTCHA v2 in production, a labelled local box in development."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_recaptcha.fields import ReCaptchaField
from django_recaptcha.widgets import ReCaptchaV2Checkbox

from duoportal.widgets import CheckboxInput

ROBOT_ERRORS = {
    "required": _('Tick the box "I\'m not a robot".'),
    "captcha_invalid": _('The "I\'m not a robot" check failed or expired. Tick the box again.'),
    "unavailable": _(
        'The "I\'m not a robot" verification is unavailable just now. Please try again.'
    ),
}


class RobotCheckField(ReCaptchaField):
    default_error_messages = {**ROBOT_ERRORS, "captcha_error": ROBOT_ERRORS["unavailable"]}

    def validate(self, value):
        # django-recaptcha only catches HTTPError: an unreachable Google
        # (URLError, a timeout: OSError) or a garbled answer (ValueError)
        # would otherwise be a 500.
        try:
            super().validate(value)
        except (OSError, ValueError) as error:
            raise ValidationError(self.error_messages["unavailable"], code="unavailable") from error


class LocalRobotCheckField(forms.BooleanField):
    """Development only, without reCAPTCHA keys: says so on its label."""

    def __init__(self, **kwargs):
        super().__init__(
            # Never shown ticked again, like reCAPTCHA: each try needs a new tick.
            widget=CheckboxInput(check_test=lambda value: False),
            label=_("I'm not a robot (local development check, not reCAPTCHA)"),
            error_messages={"required": ROBOT_ERRORS["required"]},
            **kwargs,
        )


def robot_check_field():
    if settings.RECAPTCHA_PUBLIC_KEY or not settings.DEVELOPMENT_MODE:
        language = translation.get_language() or "en"
        return RobotCheckField(
            label=_("I'm not a robot"),
            widget=ReCaptchaV2Checkbox(
                api_params={"hl": "zh-HK" if language == "zh-hant" else "en"}
            ),
        )
    return LocalRobotCheckField()
