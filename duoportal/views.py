from functools import partial
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bypass.models import BypassCode
from bypass.stores import CodeStoreError, duo_account_mode, standalone_only
from duoportal import refusals, secondfactor
from duoportal.forms import AuthenticatorCodeForm, AuthenticatorNameForm
from duoportal.models import AuditEvent, AuthenticatorDevice, ProofLock
from duoportal.prompt import passcode_prompt
from duoportal.secondfactor import second_factor_required
from duoportal.throttles import per_address, too_many, unless_locked


def home(request):
    return render(request, "duoportal/home.html")


def _next_url(request, default="portal:account"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _next_context(request):
    target = _next_url(request)
    return {"next": target, "next_query": urlencode({"next": target})}


@login_required
def verify(request):
    """Duo-style choice of second-factor methods."""
    return render(request, "duoportal/verify.html", _next_context(request))


# The passcode typed stays in the form after a refusal (a busy or unanswered check may
# have been a right one): never stored by a browser or proxy.
@never_cache
@login_required
def verify_passcode(request):
    prompt = passcode_prompt(
        request,
        request.user,
        lambda: unless_locked(
            request.user, ProofLock.Kind.PASSCODE, partial(per_address, request, "passcode")
        ),
    )
    if prompt.throttled:
        return too_many(request, prompt.throttled)
    if prompt.accepted:
        secondfactor.mark_verified(request, prompt.method)
        return redirect(_next_url(request))
    return render(
        request,
        "duoportal/verify_passcode.html",
        {**prompt.context, **_next_context(request)},
    )


@second_factor_required
def account(request):
    live_code = BypassCode.objects.live_for(request.user)
    duo = _in_duo(live_code) if duo_account_mode() else None
    if duo and duo["gone"]:
        live_code = None
    rescue_codes_left, rescue_codes_made_at = request.user.rescue_codes.state()
    return render(
        request,
        "duoportal/account.html",
        {
            "live_code": live_code,
            "duo": duo,
            "code_uses": BypassCode.objects.uses_of(live_code) if live_code else [],
            "devices": request.user.authenticators.filter(confirmed=True).order_by("created_at"),
            "name_form": AuthenticatorNameForm(),
            "rescue_codes_left": rescue_codes_left,
            "has_rescue_codes": rescue_codes_made_at is not None,
        },
    )


def _in_duo(code):
    """What Duo reports of the person's live code, for My account in Duo account mode."""
    if code is None:
        return {"gone": False}
    try:
        state = BypassCode.objects.remote_state(code)
    except CodeStoreError as error:
        return {"gone": False, "error": refusals.code_store(error)}
    return {"gone": state is None, "state": state}


@second_factor_required
@require_POST
def bypass_revoke(request):
    try:
        revoked = BypassCode.objects.revoke(
            request.user, by=request.user, reason="revoked by the person"
        )
    except CodeStoreError as error:
        messages.error(request, refusals.code_store(error))
        return redirect("portal:account")
    if revoked:
        messages.success(request, _("Your bypass code was revoked. It no longer works."))
    else:
        messages.info(request, _("You have no live bypass code."))
    return redirect("portal:account")


def _check_enrolment(request):
    """Adding an authenticator needs a second proof in this session.

    A passed passcode prompt counts (for someone without an app, that was a
    bypass code), and so does a CU Link card check for a first app. A stolen
    Microsoft 365 password alone never enrols a device.
    """
    if secondfactor.is_verified(request):
        return None
    first = not request.user.authenticators.filter(confirmed=True).exists()
    if first and secondfactor.card_checked(request):
        return None
    return redirect(secondfactor.prompt_url(reverse("portal:account")))


@standalone_only
@login_required
@require_POST
def authenticator_add(request):
    if refused := _check_enrolment(request):
        return refused
    form = AuthenticatorNameForm(request.POST)
    if not form.is_valid():
        # Its own page, not back to where the form was: the error sits by the field, what was
        # typed stays, and the bypass code page (the other way here) is shown only once.
        return render(request, "duoportal/authenticator_add.html", {"name_form": form})
    device = AuthenticatorDevice.objects.start(request.user, form.cleaned_data["name"])
    return redirect("portal:authenticator_confirm", device.pk)


# The page shows the secret (as text and as a QR code): never stored by a browser or proxy.
@standalone_only
@never_cache
@login_required
def authenticator_confirm(request, pk):
    if refused := _check_enrolment(request):
        return refused
    device = get_object_or_404(request.user.authenticators.confirmable(), pk=pk)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if AuthenticatorDevice.objects.confirm(device, form.cleaned_data["code"]):
            messages.success(
                request,
                _(
                    "Your authenticator app is ready. Now generate rescue codes below, so you can "
                    "still get a bypass code if you lose your phone."
                ),
            )
            return redirect("portal:account")
        form.add_error("code", _("That code does not match. Check the app and try again."))
    return render(
        request,
        "duoportal/authenticator_confirm.html",
        {
            "device": device,
            "form": form,
            "secret": device.totp.secret,
            "qr": segno_svg(device.provisioning_uri()),
        },
    )


def segno_svg(uri):
    # A viewBox, not a width and height: a fixed width was cut off on a phone's screen.
    return segno.make(uri, error="m").svg_inline(
        scale=5, dark="#1b1b1f", title=_("QR code"), omitsize=True
    )


@standalone_only
@second_factor_required
@require_POST
def authenticator_remove(request, pk):
    device = get_object_or_404(request.user.authenticators, pk=pk)
    AuthenticatorDevice.objects.remove(device, by=request.user)
    messages.success(request, _("The authenticator app was removed."))
    return redirect("portal:account")


@require_POST
def sign_out(request):
    """The portal's one sign-out, for every page and Django admin's Log out.

    It signs out here and at Microsoft, so the next person on a borrowed
    phone has to type a password. POST only: a link or an image must not be
    able to sign anyone out, and a redirect would turn the POST into a GET.
    """
    home = request.build_absolute_uri(reverse("portal:home"))
    if not request.user.is_authenticated:
        return redirect(home)
    AuditEvent.objects.record(
        AuditEvent.Action.SIGN_OUT, subject=request.user, actor=request.user, outcome="ok"
    )
    logout(request)
    query = urlencode({"post_logout_redirect_uri": home})
    return redirect(
        f"{settings.MICROSOFT_LOGIN_URL}/{settings.MICROSOFT_TENANT_ID}/oauth2/v2.0/logout?{query}"
    )


def sign_up_closed(request):
    """allauth sends a sign-in it cannot finish by itself here: the portal has no sign-up."""
    return render(request, "account/signup_closed.html", status=403)
