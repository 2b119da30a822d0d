from django.contrib import admin

from bypass.models import BypassCode
from duoportal.admin import PortalModelAdmin


@admin.register(BypassCode)
class BypassCodeAdmin(PortalModelAdmin):
    # The hash is never displayed, searched or filtered (SECRET_FIELDS in duoportal/admin.py).
    list_display = ["user", "via", "created_at", "expires_at", "uses", "max_uses", "status"]
    list_filter = ["via"]
    search_fields = ["user__username"]
    fields = [
        "user",
        "via",
        "issued_by",
        "created_at",
        "expires_at",
        "uses",
        "max_uses",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "revoked_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
