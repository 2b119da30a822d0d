from django import forms
from django.utils.translation import gettext_lazy as _

from duoportal.robot import robot_check_field
from duoportal.widgets import TextInput


class CardCheckForm(forms.Form):
    serial = forms.CharField(
        label=_("CU Link Serial Number"),
        max_length=64,
        help_text=_("Printed on the front or at the back of your CU Link card."),
        error_messages={
            "required": _("Enter the serial number of your CU Link card."),
            "max_length": _("That is too long for a CU Link serial number."),
        },
        widget=TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form: the real reCAPTCHA or, in development without keys,
        # the labelled local check.
        self.fields["robot"] = robot_check_field()
