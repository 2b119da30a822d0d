from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bypass.models import BypassCode, BypassCodeUse
from duoportal.admin import PortalModelAdmin


class BypassCodeUseInline(admin.TabularInline):
    """Where the code was accepted: helpdesk only reads it, as the person does in My account."""

    model = BypassCodeUse
    fields = ["at", "application", "ip"]
    readonly_fields = fields
    ordering = ["-at", "-pk"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BypassCode)
class BypassCodeAdmin(PortalModelAdmin):
    # The hash is never displayed, searched or filtered (SECRET_FIELDS in duoportal/admin.py).
    list_display = ["user", "via", "created_at", "expires_at", "uses_shown", "max_uses", "status"]
    list_filter = ["via"]
    search_fields = ["user__username"]
    fields = [
        "user",
        "via",
        # Duo account mode: where Duo keeps the code (its uses are counted there).
        "remote_id",
        "issued_by",
        "created_at",
        "issued_ip",
        "expires_at",
        "uses",
        "max_uses",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "revoked_reason",
    ]
    readonly_fields = fields
    inlines = [BypassCodeUseInline]

    @admin.display(description=_("uses"))
    def uses_shown(self, code):
        # Duo counts the uses of a code it keeps (Duo account mode); the portal never sees them.
        return _("counted by Duo") if code.remote_id else code.uses

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
