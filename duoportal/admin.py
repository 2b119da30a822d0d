from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from duoportal.models import AuditEvent, CULinkCard, ProofLock, User


class CULinkCardInline(admin.TabularInline):
    model = CULinkCard
    extra = 0
    fields = ["serial", "status", "expires_on"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "email", "cards__serial"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["display_name", "first_name", "last_name", "email"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [CULinkCardInline]


@admin.register(CULinkCard)
class CULinkCardAdmin(admin.ModelAdmin):
    list_display = ["serial", "user", "status", "expires_on", "updated_at"]
    list_filter = ["status"]
    search_fields = ["serial", "user__username", "user__display_name"]
    autocomplete_fields = ["user"]


@admin.register(ProofLock)
class ProofLockAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "failures", "locked_until"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "kind", "failures", "locked_until"]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Unlock the selected proofs"), permissions=["change"])
    def unlock(self, request, queryset):
        unlocked = sum(
            ProofLock.objects.unlock(lock.user, lock.kind, by=request.user, why="helpdesk admin")
            for lock in queryset.select_related("user")
        )
        self.message_user(request, _("%(count)d unlocked.") % {"count": unlocked})


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "outcome", "subject_username", "actor_username", "ip"]
    list_filter = ["action", "outcome"]
    search_fields = ["subject_username", "actor_username", "ip"]
    date_hierarchy = "at"

    # The trail is append-only, for helpdesk and superusers alike.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
