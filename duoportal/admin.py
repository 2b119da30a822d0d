"""Django admin for helpdesk: people, CU Link cards, proof locks and the audit trail.

Every admin of the site, ours and those of Django and allauth, is a
PortalModelAdmin: it never answers a question about a secret, filters only by
what it offers, and answers a malformed filter with a 400, never a 500.
"""

import csv
import ipaddress
import json
import re
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import partial

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin.filters import DateFieldListFilter, SimpleListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import (
    BadRequest,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import F, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from bypass.models import BypassCode
from bypass.stores import CodeStoreError
from duoportal import card_import_views, helpdesk, helpdesk_views
from duoportal.middleware import CONTROL_CHARACTERS
from duoportal.models import (
    ONE_ACTIVE_CARD,
    AuditEvent,
    CULinkCard,
    ProofLock,
    User,
    normalize_serial,
    outcome_words,
)

# Fields that hold a secret or part of one, by model. Admin never shows,
# searches or filters by them, and refuses every lookup that reaches one, also
# through a relation (a lookup answers "does a row match?", which is enough to
# read a hash a few characters at a time). A new secret field goes here.
SECRET_FIELDS = {
    "duoportal.user": ("password",),
    "duoportal.authenticatordevice": ("secret_encrypted",),
    "bypass.bypasscode": ("code_hash",),
    "bypass.cardcheck": ("token",),
    "rescue.rescuecode": ("selector", "code_hash"),
    "duoapi.integration": ("secret_encrypted", "previous_secret_encrypted"),
    "duoapi.authtransaction": ("txid",),
    "duoapi.authorizationrequest": ("key", "code_hash", "state", "nonce"),
    "socialaccount.socialapp": ("secret", "key"),
    "socialaccount.socialtoken": ("token", "token_secret"),
}

# The parameters Django's own list filters send for a field (see
# django.contrib.admin.filters).
FILTER_SUFFIXES = ("", "__exact", "__isnull", "__gte", "__lt", "__isempty")


def secret_fields(model):
    return SECRET_FIELDS.get(model._meta.label_lower, ())


def touches_secret(model, lookup):
    """Whether the lookup path `lookup`, read from `model`, reaches a secret field."""
    for part in lookup.split("__"):
        if part in secret_fields(model):
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        model = field.related_model
        if model is None:
            return False
    return False


def refuse_control_characters(*texts):
    if any(CONTROL_CHARACTERS.search(text) for text in texts):
        raise BadRequest("Control characters in the query.")


# Longer than any name, address or serial anyone types; SQLite gives up on a LIKE
# pattern of some 50,000 characters, which would be a 503.
SEARCH_MAX_LENGTH = 200


def refuse_unsearchable(term):
    refuse_control_characters(term)
    if len(term) > SEARCH_MAX_LENGTH:
        raise BadRequest("Search too long.")


class PortalModelAdmin(admin.ModelAdmin):
    """The base of every admin on the site.

    A changelist filters only by the parameters of its own list filters,
    never by a secret field (a 400, as Django answers a lookup
    it does not allow). Query values with control characters, malformed
    filter values and malformed ids are a 400 too: PostgreSQL refuses NUL in
    text, and a filter Django passes straight to the database would be a 500.
    """

    def changelist_view(self, request, extra_context=None):
        for key, values in request.GET.lists():
            refuse_control_characters(key, *values)
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        # Django would redirect to a "database error" page for a filter value
        # of the wrong type or a date that does not exist.
        # A date at the end of the calendar (0001-01-01 in Hong Kong) exists, but not
        # in UTC, where the database keeps it: that shows when the rows are counted.
        try:
            return super().get_changelist_instance(request)
        except (IncorrectLookupParameters, OverflowError) as error:
            raise BadRequest("Malformed filter.") from error

    def get_object(self, request, object_id, from_field=None):
        # An empty ?_to_field= passes Django's check of the field, which skips an empty one,
        # and is then looked up as a field named "": a 500 on every change and delete page.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset):
        # The rows an action is for, as posted by the changelist's checkboxes.
        self._refuse_malformed_ids(self.opts.pk, request.POST.getlist(ACTION_CHECKBOX_NAME))
        return super().response_action(request, queryset)

    def get_changeform_initial_data(self, request):
        # "Add" links may prefill the form, e.g. ?user=12 (autocomplete
        # widgets look those ids up while the page is drawn).
        initial = super().get_changeform_initial_data(request)
        for name, value in initial.items():
            values = value if isinstance(value, list) else [value]
            refuse_control_characters(*values)
            try:
                field = self.opts.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.is_relation:
                self._refuse_malformed_ids(field.target_field, values)
        return initial

    @staticmethod
    def _refuse_malformed_ids(field, values):
        smallest, largest = connection.ops.integer_field_range(field.get_internal_type())
        for value in values:
            try:
                value = field.to_python(value)
            except ValidationError as error:
                raise BadRequest("Malformed id.") from error
            # An integer the database cannot hold (SQLite: "Python int too large").
            if isinstance(value, int) and not (smallest or value) <= value <= (largest or value):
                raise BadRequest("Malformed id.")

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search box and the autocomplete view both come here.
        refuse_unsearchable(search_term)
        return super().get_search_results(request, queryset, search_term)

    def lookup_allowed(self, lookup, value, request=None):
        if touches_secret(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request) and self._offers(
            lookup, value, request
        )

    def _offers(self, lookup, value, request):
        """Whether this admin's own filters or pop-ups send `lookup`."""
        # Raw-id pop-ups filter by the relation's limit_choices_to.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return lookup in self._filter_parameters(request)

    def _filter_parameters(self, request):
        names = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                names.add(item.parameter_name)
                continue
            path = item[0] if isinstance(item, (list, tuple)) else item
            names.update(path + suffix for suffix in FILTER_SUFFIXES)
            field = get_fields_from_path(self.model, path)[-1]
            if field.is_relation:
                names.add(f"{path}__{field.target_field.name}__exact")
        return names


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


def audit_person_deleted(request, person):
    # Before the delete: the event keeps the username once the person is gone.
    AuditEvent.objects.record(
        AuditEvent.Action.ADMIN_CHANGE,
        subject=person,
        actor=request.user,
        outcome="deleted",
        model="person",
    )


def audit_card_change(request, card, *, changed, outcome=None, holder=None):
    # The serial stays out of the trail: it is one of the person's proofs.
    AuditEvent.objects.record(
        AuditEvent.Action.ADMIN_CHANGE,
        subject=holder or card.user,
        actor=request.user,
        outcome=outcome or ("changed" if changed else "added"),
        model="card",
        card_id=card.pk,
        status=card.status,
    )


def _read_only_for(request, person):
    """Whether `person` has admin access that the one asking lacks.

    Helpdesk then only looks: changing a colleague's or a superuser's e-mail,
    account or cards would let it take over their sign-in.
    """
    return (
        person is not None
        and not request.user.is_superuser
        and (person.is_staff or person.is_superuser)
    )


WITHOUT_ADMIN_ACCESS = Q(is_staff=False, is_superuser=False)


class PersonCreationForm(forms.ModelForm):
    """A new person: no password, as everyone signs in with Microsoft 365."""

    class Meta:
        model = User
        fields = ["username", "email", "display_name"]

    def clean_username(self):
        # As the model stores it, so a duplicate in other case is found here.
        return User.normalize_username(self.cleaned_data["username"])

    def save(self, commit=True):
        self.instance.set_unusable_password()
        return super().save(commit)


class CardFormSet(BaseInlineFormSet):
    """A person's cards on their page, checked together before any is saved.

    Each form alone cannot see the others: two new cards with one serial
    ("5100 2345" and "51002345" are one), or a second active card, would
    otherwise reach the database's constraints and fail there.
    """

    def clean(self):
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]
        seen = set()
        for form in kept:
            serial = normalize_serial(form.cleaned_data.get("serial") or "")
            if serial and serial in seen:
                form.add_error("serial", _("This serial number is given twice."))
            seen.add(serial)
        active = [f for f in kept if f.cleaned_data.get("status") == CULinkCard.Status.ACTIVE]
        if len(active) > 1:
            raise ValidationError(ONE_ACTIVE_CARD, code="one_active_card")


class CULinkCardInline(admin.StackedInline):
    model = CULinkCard
    formset = CardFormSet
    extra = 0
    fields = ["serial", "status", "expires_on"]
    # As the helpdesk overview lists them, which reuses this read (cards_shown).
    ordering = helpdesk.CARD_ORDER

    def get_queryset(self, request):
        # Each card's heading names its holder.
        return super().get_queryset(request).select_related("user")

    # `obj` is the person whose page this is.
    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and not _read_only_for(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _read_only_for(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _read_only_for(request, obj)


def serial_or_issue_time(search_term):
    """What else a helpdesk search may be: Q for a card serial (exactly) or a code's issue time.

    A serial matches only whole and normalised ("5100 2345" is 51002345), so
    the search box cannot list cards by a few of their digits. A time is the
    local minute ("2026-11-28 14:32") or day ("2026-11-28") a code was issued.
    """
    term = search_term.strip()
    found = Q(pk__in=[])
    if serial := normalize_serial(term):
        found |= Q(cards__serial=serial)
    for form, span in (("%Y-%m-%d %H:%M", timedelta(minutes=1)), ("%Y-%m-%d", timedelta(days=1))):
        try:
            start = timezone.make_aware(datetime.strptime(term, form))
            end = start + span
            start.astimezone(UTC)  # year 1 in a zone east of UTC is before datetime.min
        except (ValueError, OverflowError):
            continue
        found |= Q(bypass_codes__created_at__gte=start, bypass_codes__created_at__lt=end)
    return found


class LockedNowFilter(SimpleListFilter):
    title = _("locked now")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("yes"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        return queryset.filter(proof_locks__locked_until__gt=timezone.now()).distinct()


class LiveCodeFilter(SimpleListFilter):
    title = _("has a live bypass code")
    parameter_name = "live_code"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        live = BypassCode.objects.live().values("user_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=live)
        return queryset.exclude(pk__in=live)


class IssuedTodayFilter(SimpleListFilter):
    title = _("bypass code issued today via")
    parameter_name = "issued_today"

    def lookups(self, request, model_admin):
        return BypassCode.Via.choices

    def queryset(self, request, queryset):
        if self.value() not in BypassCode.Via.values:
            return queryset
        return queryset.filter(
            bypass_codes__via=self.value(), bypass_codes__created_at__gte=helpdesk.start_of_today()
        ).distinct()


def cards_shown(context):
    """The person's cards as the page's card inline read them, or None without the inline."""
    for inline in context.get("inline_admin_formsets", []):
        if inline.opts.model is CULinkCard:
            # Already read for the inline's forms: no second query.
            return list(inline.formset.get_queryset())
    return None


@admin.register(User)
class UserAdmin(PortalModelAdmin, BaseUserAdmin):
    list_display = ["username", "display_name", "email", "is_active", "is_staff"]
    # Card serials and issue times: serial_or_issue_time, exactly.
    search_fields = ["username", "display_name", "email"]
    list_filter = [LockedNowFilter, LiveCodeFilter, IssuedTodayFilter, "is_active", "is_staff"]
    # No password anywhere: nobody signs in to the portal with one.
    fieldsets = [
        (None, {"fields": ["username"]}),
        (_("Personal info"), {"fields": ["display_name", "first_name", "last_name", "email"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "email", "display_name"]})]
    form = forms.ModelForm
    add_form = PersonCreationForm
    # Django's template for adding a user asks for a password.
    add_form_template = None
    inlines = [CULinkCardInline]

    def user_change_password(self, request, id, form_url=""):
        raise Http404

    def get_urls(self):
        actions = [
            ("revoke-code", helpdesk_views.revoke_code, "revoke_code"),
            ("unlock", helpdesk_views.unlock, "unlock"),
            ("issue-code", helpdesk_views.issue_code, "issue_code"),
            ("set-active", helpdesk_views.set_active, "set_active"),
            ("void-rescue-codes", helpdesk_views.void_rescue_codes, "void_rescue_codes"),
            ("card-lost/<int:card_id>", helpdesk_views.card_lost, "card_lost"),
            ("card-replace/<int:card_id>", helpdesk_views.card_replace, "card_replace"),
        ]
        own = [
            path(
                f"<path:object_id>/{route}/",
                self.admin_site.admin_view(partial(view, self)),
                name=f"duoportal_user_{name}",
            )
            for route, view, name in actions
        ]
        return own + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The helpdesk's one page per person: every fact and what is wrong, above the form.
        if obj is not None:
            # After a refused POST, `obj` holds the form's unsaved values: read it afresh.
            person = obj if request.method == "GET" else self.get_object(request, str(obj.pk))
            context = {
                **context,
                "overview": helpdesk.overview(person, cards=cards_shown(context)),
                "helpdesk_actions": self.has_change_permission(request, person),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inlines(self, request, obj):
        # Cards once the person exists: adding asks only who they are.
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _read_only_for(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _read_only_for(request, obj)

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

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            also = queryset.filter(serial_or_issue_time(search_term)).values("pk")
            found = queryset.filter(Q(pk__in=found.values("pk")) | Q(pk__in=also))
            may_have_duplicates = False
        queryset = found
        # Admin's autocomplete picks the holder of a card: helpdesk is offered
        # only people whose pages it may change.
        if request.resolver_match.url_name == "autocomplete" and not request.user.is_superuser:
            queryset = queryset.filter(WITHOUT_ADMIN_ACCESS)
        return queryset, may_have_duplicates

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return super().get_fieldsets(request, obj)
        # The helpdesk's view of a person: who they are and whether they are
        # enabled, without the rights it may not touch anyway.
        return [
            (None, {"fields": ["username"]}),
            (_("Personal info"), {"fields": ["display_name", "first_name", "last_name", "email"]}),
            (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
        ]

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            # As the Disable and Enable actions do it: disabling revokes the
            # live code, the person is told, and the trail says so.
            wanted, obj.is_active = obj.is_active, form.initial["is_active"]
            super().save_model(request, obj, form, change)
            # After admin's transaction: it holds the person's row, which an issue in flight
            # waits for while holding the turn the revoke waits for (one_change_at_a_time).
            transaction.on_commit(partial(self._set_active, request, obj, wanted))
        else:
            super().save_model(request, obj, form, change)
        audit_admin_change(request, obj, form, change)

    @staticmethod
    def _set_active(request, person, wanted):
        try:
            helpdesk.set_active(person, wanted, by=request.user, reason="on the person's page")
        except CodeStoreError as error:
            messages.error(request, helpdesk_views.disabled_but_code_left(error))

    def delete_model(self, request, obj):
        audit_person_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for person in queryset:
            audit_person_deleted(request, person)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        # Audited before the delete, while the card still has its id.
        for card in [f.instance for f in formset.deleted_forms if f.instance.pk]:
            audit_card_change(request, card, changed=True, outcome="deleted")
        super().save_formset(request, form, formset, change)
        for card in formset.new_objects:
            audit_card_change(request, card, changed=False)
        for card, _fields in formset.changed_objects:
            audit_card_change(request, card, changed=True)


@admin.register(CULinkCard)
class CULinkCardAdmin(PortalModelAdmin):
    list_display = ["last_four", "user", "status", "expires_on", "updated_at"]
    list_filter = ["status"]
    # A serial is found whole (get_search_results), never by a few digits.
    search_fields = ["user__username", "user__display_name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_urls(self):
        view = partial(card_import_views.card_import, self)
        # It protects itself from cross-site posts once its upload handler is set.
        view.csrf_exempt = True
        upload = path(
            "import/", self.admin_site.admin_view(view), name="duoportal_culinkcard_import"
        )
        return [upload, *super().get_urls()]

    @admin.display(description=_("serial number"))
    def last_four(self, card):
        # A serial is a proof: lists show only its end; the card's own page has it whole.
        return f"…{card.serial[-4:]}"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if serial := normalize_serial(search_term.strip()):
            found = found | queryset.filter(serial=serial)
        return found, may_have_duplicates

    def has_change_permission(self, request, obj=None):
        holder = obj.user if obj else None
        return super().has_change_permission(request, obj) and not _read_only_for(request, holder)

    def has_delete_permission(self, request, obj=None):
        holder = obj.user if obj else None
        return super().has_delete_permission(request, obj) and not _read_only_for(request, holder)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Helpdesk cannot add a card for, or move one to, a person with admin access.
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(WITHOUT_ADMIN_ACCESS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_card_change(request, obj, changed=change)
        if change and "user" in form.changed_data:
            # The card left someone: their trail says so too.
            previous = User.objects.filter(pk=form.initial.get("user")).first()
            if previous is not None:
                audit_card_change(request, obj, changed=True, outcome="moved", holder=previous)

    def delete_model(self, request, obj):
        audit_card_change(request, obj, changed=True, outcome="deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The list's "Delete selected" deletes in bulk, without delete_model.
        for card in queryset.select_related("user"):
            audit_card_change(request, card, changed=True, outcome="deleted")
        super().delete_queryset(request, queryset)


@admin.register(ProofLock)
class ProofLockAdmin(PortalModelAdmin):
    list_display = ["user", "kind", "failures", "locked_until"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "kind", "failures", "locked_until"]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        holder = obj.user if obj else None
        return super().has_change_permission(request, obj) and not _read_only_for(request, holder)

    def has_delete_permission(self, request, obj=None):
        # Deleting a lock would unlock it with no event and no e-mail: "unlock" does both.
        return False

    @admin.action(description=_("Unlock the selected proofs"), permissions=["change"])
    def unlock(self, request, queryset):
        locks = list(queryset.select_related("user"))
        # As every helpdesk action: first a reason, for the trail.
        form = helpdesk_views.ReasonForm(request.POST if "unlock" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Unlock the selected proofs"),
                "locks": locks,
                "form": form,
                "checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/duoportal/prooflock/unlock.html", context)
        why = form.cleaned_data["reason"]
        kept = [lock for lock in locks if _read_only_for(request, lock.user)]
        unlocked = sum(
            ProofLock.objects.unlock(lock.user, lock.kind, by=request.user, why=why)
            for lock in locks
            if lock not in kept
        )
        self.message_user(request, _("%(count)d unlocked.") % {"count": unlocked})
        if kept:
            self.message_user(
                request,
                _("%(count)d not unlocked: only a superuser unlocks people with admin access.")
                % {"count": len(kept)},
                messages.WARNING,
            )


def is_an_id(value):
    """ASCII digits that fit a bigint: str.isdigit() also takes "²", which int() refuses."""
    return bool(re.fullmatch(r"[0-9]{1,18}", value))


class Echo:
    """A file for csv.writer that hands each row back instead of keeping it."""

    def write(self, value):
        return value


def _no_formula(cell):
    # A spreadsheet runs a cell starting with = + - @ as a formula: a username
    # or user agent must stay text (OWASP's CSV injection advice).
    text = "" if cell is None else str(cell)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class SubjectFilter(SimpleListFilter):
    """One person's trail (?subject=<id>), as the person's page links to it.

    It lists no choices of its own (there may be a million people), only the
    one chosen, so the changelist says whose trail it shows.
    """

    title = _("person")
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        # Admin applies only a filter that shows a choice: so there is always
        # one while the parameter is given, even for nobody.
        value = self.value()
        if value is None:
            return []
        person = None
        if is_an_id(value):
            person = User.objects.filter(pk=int(value)).first()
        return [(value, person.username if person else _("nobody"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not is_an_id(value):
            return queryset.none()
        return queryset.filter(subject_id=int(value))


class ActorFilter(SimpleListFilter):
    """Who did it: a helpdesk or admin user (few), or the person themselves."""

    title = _("actor")
    parameter_name = "actor"
    THEMSELVES = "self"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).order_by("username")
        return [(self.THEMSELVES, _("the person themselves"))] + [
            (str(person.pk), person.username) for person in staff
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.THEMSELVES:
            return queryset.filter(actor_id=F("subject_id"))
        if not is_an_id(value):
            return queryset.none()
        return queryset.filter(actor_id=int(value))


class OutcomeFilter(SimpleListFilter):
    """The outcomes of the newest events to choose from; any outcome in the URL filters.

    Django's own filter for a plain field lists it with SELECT DISTINCT over
    the whole trail, seconds with millions of events. The newest few thousand
    events, read backwards along the index on `at`, hold every outcome a
    helpdesk looks for.
    """

    title = _("outcome")
    parameter_name = "outcome"
    RECENT = 5000

    def lookups(self, request, model_admin):
        newest = AuditEvent.objects.order_by("-at").values_list("outcome", flat=True)
        outcomes = set(newest[: self.RECENT]) - {""}
        if self.value():
            outcomes.add(self.value())
        return [(outcome, outcome_words(outcome)) for outcome in sorted(outcomes)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(outcome=self.value())


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: the trail's pages stay fast with millions of events.

    Counting the whole trail reads all of it on every page. Past CAP the
    list says "more than" (admin/duoportal/auditevent/pagination.html), and
    its filters narrow it down.
    """

    CAP = 10_000

    @cached_property
    def count(self):
        # Unordered: counting needs no ORDER BY, which would steer the database
        # to read the trail in date order instead of along a filter's index.
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self):
        return self.count > self.CAP


class ApplicationFilter(SimpleListFilter):
    """Through which Duo API integration (the audit event's `application`)."""

    title = _("application")
    parameter_name = "application"

    def lookups(self, request, model_admin):
        # By name, so the people layer needs nothing from duoapi/ but its table.
        if not django_apps.is_installed("duoapi"):
            return []
        integrations = django_apps.get_model("duoapi", "Integration").objects.order_by("name")
        return [(name, name) for name in integrations.values_list("name", flat=True)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(detail__application=self.value())


@admin.register(AuditEvent)
class AuditEventAdmin(PortalModelAdmin):
    list_display = ["at", "action", "outcome_words", "subject_username", "actor_username", "ip"]
    list_filter = [
        "action",
        OutcomeFilter,
        ("at", DateFieldListFilter),
        ActorFilter,
        ApplicationFilter,
        SubjectFilter,
    ]
    # What the search box finds is in get_search_results: along indexes, not
    # a LIKE over every event.
    search_fields = ["subject_username", "actor_username", "ip"]
    search_help_text = _("A person's username, e-mail or name (or part of it), or an IP address.")
    # No date_hierarchy: its list of days is a SELECT DISTINCT over the whole
    # trail. The date filter and any at__gte / at__lt range do its work.
    paginator = CappedCountPaginator
    # A filtered page counts only what the filters match, not the whole trail again.
    show_full_result_count = False
    # The CSV export's columns: what the list shows, and the detail as JSON.
    EXPORT_FIELDS = ["at", "action", "outcome", "subject_username", "actor_username", "ip"]
    # A search names at most this many people: enough for a family name, and
    # their ids still make one short IN list for the indexes.
    SEARCH_PEOPLE = 100

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_words(self, event):
        # In words; the filter and the CSV export keep the trail's short code.
        return event.outcome_words

    def get_search_results(self, request, queryset, search_term):
        """Events about or by the people the term names, or from the address it is.

        Django's search would read every event (LIKE '%term%' on three
        columns): seconds with millions. People are few, so the term is looked
        up among them, and their events are found by the indexed ids; a name
        no longer in the people table is matched whole.
        """
        term = search_term.strip()
        refuse_unsearchable(term)
        if not term:
            return queryset, False
        named = Q(username__icontains=term) | Q(email__icontains=term)
        people = list(
            User.objects.filter(named | Q(display_name__icontains=term)).values_list(
                "pk", flat=True
            )[: self.SEARCH_PEOPLE + 1]
        )
        if len(people) > self.SEARCH_PEOPLE:
            people = people[: self.SEARCH_PEOPLE]
            messages.warning(
                request,
                _(
                    "More than %(count)d people match “%(term)s”: only the events of "
                    "%(count)d of them are listed. Type more of the name."
                )
                % {"count": self.SEARCH_PEOPLE, "term": term},
            )
        found = Q(subject_id__in=people) | Q(actor_id__in=people)
        found |= Q(subject_username=term.lower())
        with suppress(ValueError):  # Not an address: a name only.
            found |= Q(ip=str(ipaddress.ip_address(term)))
        return queryset.filter(found), False

    def get_urls(self):
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="duoportal_auditevent_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request):
        """The events the changelist shows with the same filters and search, all of them, as CSV.

        Streamed from a server-side cursor in chunks: a year of events never
        sits in memory. Read permission is the changelist's.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        # As the changelist itself refuses them (PostgreSQL refuses NUL mid-stream).
        refuse_control_characters(
            *(text for pair in request.GET.lists() for text in [pair[0], *pair[1]])
        )
        events = self.get_changelist_instance(request).get_queryset(request)
        rows = events.values_list(*self.EXPORT_FIELDS, "detail").iterator(chunk_size=2000)
        writer = csv.writer(Echo())

        def lines():
            yield writer.writerow([*self.EXPORT_FIELDS, "detail"])
            for *fields, detail in rows:
                cells = [fields[0].isoformat(), *fields[1:], json.dumps(detail, sort_keys=True)]
                yield writer.writerow([_no_formula(cell) for cell in cells])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response

    # The trail is append-only, for helpdesk and superusers alike.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# allauth's app and token admins would show nothing but secrets: the Microsoft
# app is configured in settings (a second one in the database would break
# sign-in) and no tokens are stored.
admin.site.unregister([SocialApp, SocialToken])
# The admins of Django and allauth that stay get the portal's base class.
for model, model_admin in [
    (Group, GroupAdmin),
    (EmailAddress, EmailAddressAdmin),
    (SocialAccount, SocialAccountAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (PortalModelAdmin, model_admin), {}))
