"""The helpdesk's actions on the person's page in admin, each with a reason for the audit trail.

Routed by UserAdmin.get_urls inside admin_view, so only staff past the
second factor get here; each checks that the helpdesk user may change this
person (not a colleague with admin access). The models layer does the work,
audits it with the reason and e-mails the person.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bypass.models import BypassCode
from bypass.stores import CodeStoreError
from duoportal import helpdesk, refusals
from duoportal.models import CULinkCard, ProofLock

ALL_PROOFS = "all"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        help_text=gettext_lazy("A ticket number, or why: it goes into the audit trail."),
    )


class UnlockForm(ReasonForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Unlock"),
        choices=[(ALL_PROOFS, gettext_lazy("every proof")), *ProofLock.Kind.choices],
    )


class ReplaceCardForm(ReasonForm):
    serial = forms.CharField(label=gettext_lazy("New card's serial number"), max_length=32)
    expires_on = forms.DateField(
        label=gettext_lazy("Valid through"),
        required=False,
        help_text=gettext_lazy("YYYY-MM-DD; empty if it does not expire."),
    )


class IssueForm(ReasonForm):
    IDENTITY_CHECKS = [
        ("photo_id_in_person", gettext_lazy("Photo ID seen in person")),
        ("photo_id_video_call", gettext_lazy("Photo ID seen on a video call")),
    ]
    identity_check = forms.ChoiceField(
        label=gettext_lazy("How you checked who they are"),
        choices=IDENTITY_CHECKS,
        widget=forms.RadioSelect,
    )
    confirmed = forms.BooleanField(
        label=gettext_lazy("The photo ID is this person's, and I give the code only to them."),
    )


def _person(model_admin, request, object_id):
    # Admin's own lookup: a malformed id is nobody, as on the person's page.
    person = model_admin.get_object(request, object_id)
    if person is None:
        raise Http404
    if not model_admin.has_change_permission(request, person):
        raise PermissionDenied
    return person


def _page(model_admin, request, person, form, title, explanation, button, hidden=None):
    context = {
        "hidden": hidden or {},
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "person": person,
        "form": form,
        "title": title,
        "explanation": explanation,
        "button": button,
    }
    return TemplateResponse(request, "admin/duoportal/user/helpdesk_action.html", context)


def _back(person):
    return redirect("admin:duoportal_user_change", person.pk)


def _told(request, person, changed, done, nothing):
    """Back to the person's page, saying `done` if anything changed, else `nothing`."""
    if changed:
        messages.success(request, done)
    else:
        messages.info(request, nothing)
    return _back(person)


def revoke_code(model_admin, request, object_id):
    person = _person(model_admin, request, object_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = BypassCode.objects.revoke(
                person, by=request.user, reason=form.cleaned_data["reason"]
            )
        except CodeStoreError as error:
            messages.error(request, refusals.code_store_to_helpdesk(error))
            return _back(person)
        return _told(
            request,
            person,
            revoked,
            _("The bypass code was revoked; the person was told."),
            _("This person has no live bypass code."),
        )
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Revoke the bypass code of %(person)s") % {"person": person},
        _("The live bypass code stops working at once, wherever it is typed."),
        _("Revoke"),
    )


def unlock(model_admin, request, object_id):
    person = _person(model_admin, request, object_id)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        kinds = ProofLock.Kind.values if kind == ALL_PROOFS else [kind]
        reason = form.cleaned_data["reason"]
        changed = [
            k for k in kinds if ProofLock.objects.unlock(person, k, by=request.user, why=reason)
        ]
        return _told(
            request,
            person,
            changed,
            _("Unlocked; the person was told."),
            _("Nothing was locked or counted."),
        )
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Unlock %(person)s") % {"person": person},
        _("Lifts the lock and forgets the failures counted so far."),
        _("Unlock"),
    )


def issue_code(model_admin, request, object_id):
    """The checklist, then the code, shown once to the helpdesk user on a no-store page.

    No-store like every admin page: admin_view adds never_cache.
    """
    person = _person(model_admin, request, object_id)
    if not person.is_active:
        messages.error(request, _("This person is disabled: enable them first."))
        return _back(person)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code, plaintext = BypassCode.objects.issue(
                person,
                via=BypassCode.Via.HELPDESK,
                issued_by=request.user,
                reason=form.cleaned_data["reason"],
                identity_check=form.cleaned_data["identity_check"],
            )
        except CodeStoreError as error:
            form.add_error(None, refusals.code_store_to_helpdesk(error))
        else:
            context = {
                **model_admin.admin_site.each_context(request),
                "opts": model_admin.model._meta,
                "person": person,
                "code": code,
                "plaintext": plaintext,
                "title": _("Bypass code for %(person)s") % {"person": person},
            }
            return TemplateResponse(request, "admin/duoportal/user/helpdesk_code.html", context)
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Issue a bypass code for %(person)s") % {"person": person},
        _(
            "Only for someone whose identity you have checked with a photo ID, in person or on "
            "a video call. Their live code stops working; the new code is shown to you once."
        ),
        _("Issue the code"),
    )


def disabled_but_code_left(error):
    return _(
        "Disabled, and the person was told, but their bypass code could not be deleted in "
        "DUO: %(why)s Use “Revoke the bypass code” once DUO answers."
    ) % {"why": refusals.code_store_to_helpdesk(error)}


def set_active(model_admin, request, object_id):
    """Disable an enabled person (revoking their live code) or enable a disabled one."""
    person = _person(model_admin, request, object_id)
    form = ReasonForm(request.POST or None)
    enable = not person.is_active
    if request.method == "POST" and form.is_valid():
        if request.POST.get("enable") != str(enable):
            # A second click, or a colleague was quicker: the page asked the other way.
            messages.info(request, _("Nothing changed: the person's state changed meanwhile."))
            return _back(person)
        try:
            helpdesk.set_active(person, enable, by=request.user, reason=form.cleaned_data["reason"])
        except CodeStoreError as error:
            # The person is disabled all the same (helpdesk.set_active): only the code is left.
            messages.error(request, disabled_but_code_left(error))
        else:
            messages.success(
                request,
                _("Enabled; the person was told.")
                if enable
                else _("Disabled, and their bypass code revoked; the person was told."),
            )
        return _back(person)
    if enable:
        title, explanation, button = (
            _("Enable %(person)s") % {"person": person},
            _("They can get bypass codes again."),
            _("Enable"),
        )
    else:
        title, explanation, button = (
            _("Disable %(person)s") % {"person": person},
            _("Their live bypass code is revoked, and they get no new one until enabled."),
            _("Disable"),
        )
    return _page(
        model_admin, request, person, form, title, explanation, button, hidden={"enable": enable}
    )


def void_rescue_codes(model_admin, request, object_id):
    person = _person(model_admin, request, object_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        voided = helpdesk.void_rescue_codes(
            person, by=request.user, reason=form.cleaned_data["reason"]
        )
        return _told(
            request,
            person,
            voided,
            _("Rescue codes voided; the person was told."),
            _("This person has no unused rescue codes."),
        )
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Void the rescue codes of %(person)s") % {"person": person},
        _("Their unused rescue codes stop working; they can generate a new set in My account."),
        _("Void"),
    )


def _card(person, card_id):
    return get_object_or_404(CULinkCard, pk=card_id, user=person)


def card_lost(model_admin, request, object_id, card_id):
    person = _person(model_admin, request, object_id)
    card = _card(person, card_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if helpdesk.mark_card_lost(card, by=request.user, reason=form.cleaned_data["reason"]):
            messages.success(request, _("The card is marked lost; the person was told."))
        return _back(person)
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Mark card …%(last4)s lost") % {"last4": card.serial[-4:]},
        _("The card can no longer be used to get a bypass code."),
        _("Mark lost"),
    )


def card_replace(model_admin, request, object_id, card_id):
    person = _person(model_admin, request, object_id)
    card = _card(person, card_id)
    form = ReplaceCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            helpdesk.replace_card(
                card,
                form.cleaned_data["serial"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except helpdesk.SerialTaken:
            form.add_error(
                "serial", _("That is not a card serial number, or it is already registered.")
            )
        except helpdesk.AnotherCardIsActive as error:
            form.add_error(
                None,
                _("This person's active card is …%(last4)s: replace that one instead.")
                % {"last4": error.active.serial[-4:]},
            )
        else:
            messages.success(request, _("The new card is registered and the old one marked lost."))
            return _back(person)
    return _page(
        model_admin,
        request,
        person,
        form,
        _("Replace card …%(last4)s") % {"last4": card.serial[-4:]},
        _("The new card becomes the person's card; the old one is marked lost, both at once."),
        _("Replace"),
    )
