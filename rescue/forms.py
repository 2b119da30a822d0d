from django import forms
from django.utils.translation import gettext_lazy as _

from duoportal.widgets import TextInput


class RescueCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Rescue Code"),
        max_length=64,
        help_text=_("One of the codes you generated in advance, e.g. ABCD-EFGH-JKLM-NPQR."),
        error_messages={
            "required": _("Enter one of your rescue codes."),
            "max_length": _("That is too long for a rescue code."),
        },
        widget=TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
