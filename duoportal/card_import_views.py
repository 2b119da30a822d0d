"""The card register's upload in admin: upload, preview, confirm.

The file never touches the disk: it is read by a memory-only upload handler
with a size cap, previewed, and carried to the confirm step inside the page,
with a signed SHA-256 of the previewed text, so what is imported is exactly
what was previewed.
"""

import base64
import binascii
import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from duoportal import cardimport

SALT = "duoportal.card-import"


class CappedMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps an upload in memory only, and only up to CARD_IMPORT_MAX_BYTES."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Activated only under the cap: a larger file is never read at all.
        self.activated = content_length <= settings.CARD_IMPORT_MAX_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The card centre's CSV file"),
        help_text=gettext_lazy("Columns username,serial,status,expires_on; UTF-8."),
    )


def _protected(request):
    if request.user.is_superuser:
        return None
    return lambda person: person.is_staff or person.is_superuser


def _page(model_admin, request, context):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import the card register"),
        **context,
    }
    return TemplateResponse(request, "admin/duoportal/culinkcard/import.html", context)


def _preview(model_admin, request, text):
    plan = cardimport.plan(text, protected=_protected(request))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return _page(
        model_admin,
        request,
        {
            "plan": plan,
            "created": plan.count("created"),
            "updated": plan.count("updated"),
            "unchanged": plan.count("unchanged"),
            "kept": plan.count("kept"),
            "content": base64.b64encode(text.encode()).decode(),
            "digest": signing.dumps(digest, salt=SALT),
        },
    )


def _previewed_text(request):
    """The text the preview showed, or None if the page was changed or is stale."""
    try:
        text = base64.b64decode(request.POST.get("content", ""), validate=True).decode()
        digest = signing.loads(request.POST.get("digest", ""), salt=SALT, max_age=3600)
    except (ValueError, binascii.Error, UnicodeDecodeError, signing.BadSignature):
        return None
    return text if hashlib.sha256(text.encode()).hexdigest() == digest else None


@csrf_exempt
def card_import(model_admin, request):
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    # Before anything reads the body: then protect it from cross-site posts as admin does.
    request.upload_handlers = [CappedMemoryUploadHandler(request)]
    return csrf_protect(_card_import)(request, model_admin)


def _card_import(request, model_admin):
    if request.method == "POST" and "confirm" in request.POST:
        text = _previewed_text(request)
        if text is None:
            messages.error(
                request, _("The preview was changed or is too old: upload the file again.")
            )
            return redirect("admin:duoportal_culinkcard_import")
        plan = cardimport.plan(text, protected=_protected(request))
        if plan.problems:
            # The register changed since the preview: show why, import nothing.
            return _preview(model_admin, request, text)
        counts = cardimport.apply(plan.rows, by=request.user)
        messages.success(
            request,
            _(
                "Imported %(total)s cards: %(created)s new, %(updated)s updated, "
                "%(unchanged)s unchanged, %(kept)s kept lost or revoked."
            )
            % {"total": len(plan.rows), **counts},
        )
        return redirect("admin:duoportal_culinkcard_changelist")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            text = cardimport.decode(form.cleaned_data["file"].read())
        except UnicodeDecodeError as error:
            form.add_error(
                "file", _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": error.start}
            )
        else:
            return _preview(model_admin, request, text)
    elif request.method == "POST" and _too_large(request):
        # The capped handler never read it, so the form only saw no file.
        form.errors["file"] = form.error_class(
            [
                _("The file is larger than %(size)s MB.")
                % {"size": settings.CARD_IMPORT_MAX_BYTES / 2**20}
            ]
        )
    return _page(model_admin, request, {"form": form})


def _too_large(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.CARD_IMPORT_MAX_BYTES
    except ValueError:
        return False
