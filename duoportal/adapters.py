"""How a Microsoft 365 sign-in becomes a person of the portal."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, _build_apps_from_settings
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render

from duoportal.middleware import client_ip
from duoportal.models import AuditEvent


class PortalAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """The client's address as the rest of the portal reads it, wherever allauth asks.

        allauth's own reading raises ImproperlyConfigured, a 500, for an X-Forwarded-For
        with fewer entries than TRUSTED_PROXY_COUNT: anyone can send one.
        """
        return client_ip(request) or "unknown"


def _refuse(request, reason, status=403, *, holder=None):
    # Whoever is signed in on this browser already, if anyone (a "connect").
    person = request.user if request.user.is_authenticated else None
    # "taken": on the trail of the person who holds the username, where the helpdesk
    # looks: Entra may have given their name to someone else.
    AuditEvent.objects.record(
        AuditEvent.Action.SIGN_IN, subject=holder or person, actor=person, outcome=reason
    )
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


def update_profile(person, data, username):
    """Copy username, names and e-mail from Microsoft 365, and audit what changed.

    Only called for a sign-in with the person's own Entra object id (or their
    first one), so nobody else's identity ever renames them.
    """
    values = {"username": username, **profile_fields(data)}
    changed = sorted(field for field, value in values.items() if getattr(person, field) != value)
    previous = person.username
    for field in changed:
        setattr(person, field, values[field])
    person.save()
    if changed:
        AuditEvent.objects.record(
            AuditEvent.Action.PROFILE_UPDATE,
            subject=person,
            actor=person,
            outcome="renamed" if "username" in changed else "updated",
            fields=changed,
            previous_username=previous,
        )


class MicrosoftAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """The Microsoft 365 application of settings.SOCIALACCOUNT_PROVIDERS, and only it.

        allauth would also read its table of applications, on every sign-in page:
        a third of that page's time, for a table the portal keeps empty (admin
        does not show it). A row put there by hand would be a second application,
        which allauth refuses with a 500.
        """
        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]

    def pre_social_login(self, request, sociallogin):
        # A sign-in only. allauth's "connect" would attach this identity to
        # whoever is signed in on this browser (a phone left behind), and its
        # "redirect" would update people without signing anyone in.
        if sociallogin.state.get("process") != AuthProcess.LOGIN:
            _refuse(request, "connect")
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
            # The object id is the key; the UPN may have been renamed in Entra,
            # but never to the username of another person of the portal.
            holder = User.objects.filter(username=username).exclude(pk=person.pk).first()
            if holder is not None:
                _refuse(request, "taken", holder=holder)
            update_profile(person, data, username)
            return

        person = User.objects.filter(username=username).first()
        if person is None:
            return  # A new person: populate_user below fills them in.
        # A person made by seed_demo, import_cards or admin gets their first
        # Microsoft account; one that already has another is never merged.
        if SocialAccount.objects.filter(
            user=person, provider=sociallogin.account.provider
        ).exists():
            _refuse(request, "taken", holder=person)
        if not person.is_active:
            _refuse(request, "inactive")
        update_profile(person, data, username)
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
