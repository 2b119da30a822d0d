from django import forms
from django.utils.translation import gettext_lazy as _

from duoportal.widgets import TextInput


class PasscodeForm(forms.Form):
    passcode = forms.CharField(
        label=_("Passcode"),
        max_length=64,
        help_text=_("6 digits from your authenticator app, or your 9-digit bypass code."),
        error_messages={
            "required": _("Enter the passcode."),
            "max_length": _("That is too long for a passcode."),
        },
        widget=TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class AuthenticatorNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this authenticator"),
        max_length=64,
        initial=_("My phone"),
        help_text=_('So you can tell your devices apart, e.g. "Work phone".'),
        error_messages={"required": _("Give the authenticator a name.")},
        widget=TextInput(),
    )


class AuthenticatorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code shown in the app"),
        max_length=32,
        error_messages={"required": _("Enter the 6-digit code the app shows.")},
        widget=TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
