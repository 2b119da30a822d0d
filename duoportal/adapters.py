"""How a Microsoft 365 sign-in becomes a person of the portal."""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render

from duoportal.models import AuditEvent


def _refuse(request, reason, status=403):
    AuditEvent.objects.record(AuditEvent.Action.SIGN_IN, outcome=reason)
    raise ImmediateHttpResponse(
        render(request, "account/sign_in_refused.html", {"reason": reason}, status=status)
    )


def principal_name(data):
    """The person's username: the lower-cased user principal name (not the e-mail)."""
    return str(data.get("userPrincipalName") or "").strip().lower()


def profile_fields(data):
    return {
        "display_name": str(data.get("displayName") or "")[:200],
        "first_name": str(data.get("givenName") or "")[:150],
        "last_name": str(data.get("surname") or "")[:150],
        "email": str(data.get("mail") or data.get("userPrincipalName") or "")[:254],
    }


class MicrosoftAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        data = sociallogin.account.extra_data
        username = principal_name(data)
        domain = username.rpartition("@")[2]
        if "@" not in username:
            _refuse(request, "no_username", status=400)
        if settings.MICROSOFT_ALLOWED_DOMAINS and domain not in settings.MICROSOFT_ALLOWED_DOMAINS:
            _refuse(request, "domain")

        User = get_user_model()
        if sociallogin.is_existing:
            person = sociallogin.user
            if not person.is_active:
                _refuse(request, "inactive")
            # The object id is the key; the UPN may have been renamed in Entra.
            if person.username != username:
                if User.objects.filter(username=username).exclude(pk=person.pk).exists():
                    _refuse(request, "taken")
                person.username = username
            for field, value in profile_fields(data).items():
                setattr(person, field, value)
            person.save()
            return

        person = User.objects.filter(username=username).first()
        if person is None:
            return  # A new person: populate_user below fills them in.
        # A person made by seed_demo, import_cards or admin gets their first
        # Microsoft account; one that already has another is never merged.
        if SocialAccount.objects.filter(
            user=person, provider=sociallogin.account.provider
        ).exists():
            _refuse(request, "taken")
        if not person.is_active:
            _refuse(request, "inactive")
        for field, value in profile_fields(data).items():
            setattr(person, field, value)
        person.save()
        sociallogin.connect(request, person)

    def populate_user(self, request, sociallogin, data):
        person = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data
        person.username = principal_name(extra)
        for field, value in profile_fields(extra).items():
            setattr(person, field, value)
        return person

    def is_auto_signup_allowed(self, request, sociallogin):
        # The identity provider is the only way in: never show a sign-up form.
        return True
