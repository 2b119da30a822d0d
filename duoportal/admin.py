from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from duoportal.models import AuditEvent, CULinkCard, ProofLock, User


def audit_admin_change(request, person, form, change):
    """Every helpdesk change to a person goes into the audit trail (field names only)."""
    AuditEvent.objects.record(
        AuditEvent.Action.ADMIN_CHANGE,
        subject=person,
        actor=request.user,
        outcome="changed" if change else "added",
        model="person",
        fields=sorted(form.changed_data),
    )


def audit_card_change(request, card, *, changed, outcome=None):
    # The serial stays out of the trail: it is one of the person's proofs.
    AuditEvent.objects.record(
        AuditEvent.Action.ADMIN_CHANGE,
        subject=card.user,
        actor=request.user,
        outcome=outcome or ("changed" if changed else "added"),
        model="card",
        card_id=card.pk,
        status=card.status,
    )


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

    def get_readonly_fields(self, request, obj=None):
        # Helpdesk may disable a person, never hand out staff or superuser rights.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return [
            "username",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # No password form for helpdesk: people sign in with Microsoft 365.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]})
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_admin_change(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for card in formset.new_objects + [card for card, _fields in formset.changed_objects]:
            audit_card_change(request, card, changed=True)


@admin.register(CULinkCard)
class CULinkCardAdmin(admin.ModelAdmin):
    list_display = ["serial", "user", "status", "expires_on", "updated_at"]
    list_filter = ["status"]
    search_fields = ["serial", "user__username", "user__display_name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_card_change(request, obj, changed=change)

    def delete_model(self, request, obj):
        audit_card_change(request, obj, changed=True, outcome="deleted")
        super().delete_model(request, obj)


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
