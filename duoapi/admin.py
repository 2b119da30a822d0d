"""Integrations in admin: superusers only; a secret key is shown once, when it is made."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from duoapi.models import Integration, api_hostname
from duoportal.admin import PortalModelAdmin


def audit(request, integration, outcome, **detail):
    Integration.objects.audit(integration, outcome, by=request.user, **detail)


def show_secret(request, integration, secret, *, rotated):
    """The one page that ever shows a secret key: not cached, not stored."""
    response = TemplateResponse(
        request,
        "admin/duoapi/integration/secret.html",
        {
            **admin.site.each_context(request),
            "title": integration.name,
            "integration": integration,
            "secret": secret,
            "api_hostname": api_hostname(request),
            "rotated": rotated,
            "opts": Integration._meta,
        },
    )
    add_never_cache_headers(response)
    return response


@admin.register(Integration)
class IntegrationAdmin(PortalModelAdmin):
    list_display = ["name", "ikey", "enabled", "created_at", "rotated_at", "has_previous_secret"]
    list_filter = ["enabled"]
    search_fields = ["name", "ikey"]
    readonly_fields = ["ikey", "created_at", "created_by", "rotated_at", "has_previous_secret"]
    actions = ["rotate_secret", "retire_previous_secret"]

    # Integrations let an application vouch for anyone's second factor:
    # superusers only, whatever permissions a group is given.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "redirect_uris"]
        return ["name", "enabled", "redirect_uris", *self.readonly_fields]

    @admin.display(boolean=True, description=_("previous secret key still accepted"))
    def has_previous_secret(self, obj):
        return obj.has_previous_secret

    def save_model(self, request, obj, form, change):
        if change:
            renamed_from = form.initial.get("name")
            super().save_model(request, obj, form, change)
            if "name" in form.changed_data:
                # The trail's application filter goes by name: the old one stays findable.
                audit(request, obj, "renamed", renamed_from=renamed_from)
            if "enabled" in form.changed_data:
                audit(request, obj, "enabled" if obj.enabled else "disabled")
            if "redirect_uris" in form.changed_data:
                audit(request, obj, "redirect URIs changed")
            return
        created, secret = Integration.objects.create_integration(
            form.cleaned_data["name"],
            by=request.user,
            redirect_uris=form.cleaned_data.get("redirect_uris", ""),
        )
        obj.pk, obj.ikey = created.pk, created.ikey
        obj._state.adding = False
        # On the audit trail already, with the person as its actor (create_integration).
        request._new_integration_secret = secret

    def delete_model(self, request, obj):
        audit(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for integration in queryset:
            audit(request, integration, "deleted")
        super().delete_queryset(request, queryset)

    def response_add(self, request, obj, post_url_continue=None):
        return show_secret(request, obj, request._new_integration_secret, rotated=False)

    @admin.action(description=_("Rotate the secret key (the old one works until retired)"))
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Rotate one integration at a time."), messages.WARNING)
            return None
        integration = queryset.get()
        secret = integration.rotate_secret()
        audit(request, integration, "secret rotated")
        return show_secret(request, integration, secret, rotated=True)

    @admin.action(description=_("Retire the previous secret key"))
    def retire_previous_secret(self, request, queryset):
        retired = [i for i in queryset if i.retire_previous_secret()]
        for integration in retired:
            audit(request, integration, "previous secret retired")
        self.message_user(
            request,
            ngettext(
                "%(count)d integration no longer accepts its previous secret key.",
                "%(count)d integrations no longer accept their previous secret keys.",
                len(retired),
            )
            % {"count": len(retired)},
        )
        return None
