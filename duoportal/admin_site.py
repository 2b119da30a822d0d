from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from duoportal import secondfactor


class PortalAdminSite(admin.AdminSite):
    """Django admin for helpdesk staff, behind the same sign-in and second factor.

    There is no password form: staff sign in with Microsoft 365 like everyone,
    then pass "Enter a Passcode".
    """

    site_header = _("DUO Self-Service Portal: helpdesk")
    site_title = _("DUO Self-Service Portal")

    def has_permission(self, request):
        return super().has_permission(request) and secondfactor.touch(request)

    def login(self, request, extra_context=None):
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        if not secondfactor.is_verified(request):
            return redirect(secondfactor.prompt_url(target))
        return redirect(target)

    def index(self, request, extra_context=None):
        # Imported here: the admin site is made before the models are ready.
        from duoportal import helpdesk

        context = {"report": helpdesk.todays_report(), **(extra_context or {})}
        return super().index(request, context)

    def get_urls(self):
        # Log out is the portal's own sign-out, which also ends the Microsoft
        # session. Not wrapped in admin_view: that would send someone whose
        # second factor has gone idle to the index instead of signing out.
        # Nobody has a password, so there is none to change either.
        gone = {"logout", "password_change", "password_change_done"}
        urls = [url for url in super().get_urls() if getattr(url, "name", None) not in gone]
        return [path("logout/", self.logout, name="logout"), *urls]

    def logout(self, request, extra_context=None):
        # Imported here: the admin site is made before the models are ready.
        from duoportal.views import sign_out

        return sign_out(request)


class PortalAdminConfig(AdminConfig):
    default_site = "duoportal.admin_site.PortalAdminSite"
