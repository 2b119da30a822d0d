from django.contrib import admin

from duoportal.admin import PortalModelAdmin
from rescue.models import RescueCode


@admin.register(RescueCode)
class RescueCodeAdmin(PortalModelAdmin):
    # Neither the hash nor its selector is displayed, searched or filtered
    # (SECRET_FIELDS in duoportal/admin.py).
    list_display = ["user", "created_at", "status"]
    search_fields = ["user__username"]
    fields = ["user", "created_at", "used_at", "voided_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
