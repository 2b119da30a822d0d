"""The bypass-code self-service screens, as the user guide walks them.

They need Microsoft 365 sign-in but no second factor: their users have lost
the phone that gives one.
"""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from bypass.forms import CardCheckForm
from bypass.models import BypassCode, CardCheck
from bypass.stores import CodeStoreError, duo_account_mode
from duoportal import refusals, secondfactor
from duoportal.forms import AuthenticatorNameForm
from duoportal.models import ProofLock
from duoportal.throttles import per_address, too_many, unless_locked

# The session remembers which card check GET BYPASS CODE may use up.
CHECK_TOKEN_KEY = "card_check_token"  # noqa: S105 (a session key, not a secret)


def guide_numbers():
    """The guide's "20 times within 12 hours", from settings."""
    return {
        "max_uses": settings.BYPASS_CODE_MAX_USES,
        "hours": round(settings.BYPASS_CODE_LIFETIME.total_seconds() / 3600),
    }


@login_required
def info(request):
    return render(request, "bypass/info.html", guide_numbers())


@login_required
def card_start(request):
    return render(request, "bypass/card_start.html")


# The serial typed stays in the form after a refusal: never stored by a browser or proxy.
@never_cache
@login_required
def card(request):
    form, result = CardCheckForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        throttle = partial(per_address, request, "card")
        if seconds := unless_locked(request.user, ProofLock.Kind.CARD, throttle):
            return too_many(request, seconds)
        result, check = CardCheck.objects.verify(request.user, form.cleaned_data["serial"])
        if result:
            request.session[CHECK_TOKEN_KEY] = check.token
            secondfactor.mark_card_checked(request, check.card_id)
            return redirect("bypass:card_verified")
        form.add_error("serial", refusals.card(result))
    locked = refusals.lock_notice(request.user, ProofLock.Kind.CARD, result)
    return render(request, "bypass/card.html", {"form": form, "locked": locked})


def _fresh_token(request):
    token = request.session.get(CHECK_TOKEN_KEY)
    if token and CardCheck.objects.is_fresh(request.user, token):
        return token
    messages.error(request, _("Your card check has expired or was used. Check your card again."))
    return None


# It carries the card check's token: never stored by a browser or proxy.
@never_cache
@login_required
def card_verified(request):
    token = _fresh_token(request)
    if token is None:
        return redirect("bypass:card")
    minutes = round(settings.CARD_CHECK_LIFETIME.total_seconds() / 60)
    return render(request, "bypass/card_verified.html", {"token": token, "minutes": minutes})


@never_cache
@login_required
def card_issue(request):
    token = request.POST.get("token", "")
    issued = None
    # A GET (a reload, a language switch, the back button) never shows a code.
    if request.method == "POST" and token == request.session.get(CHECK_TOKEN_KEY):
        try:
            issued = BypassCode.objects.issue_with_card_check(request.user, token)
        except CodeStoreError as error:
            # The card check was given back: GET BYPASS CODE works again.
            messages.error(request, refusals.code_store(error))
            return redirect("bypass:card_verified")
    if issued is None:
        messages.error(
            request, _("Your card check has expired or was used. Check your card again.")
        )
        return redirect("bypass:card")
    # The used check's token stays in the session: it opens nothing any more, and
    # taking it out would cost the session's write (an eleventh statement).
    # The check just used up was taken only while its card was active: no need to ask again.
    return code_screen(request, *issued, card_checked=True)


def code_screen(request, code, plaintext, *, card_checked=None, **extra):
    """The one response that ever shows the code. Its views are never_cache (no-store).

    `card_checked`: whether a card was checked lately in this session, if the caller
    knows (else it is read, see secondfactor.card_checked).
    """
    if card_checked is None:
        card_checked = secondfactor.card_checked(request)
    return render(
        request,
        "bypass/code.html",
        {
            "code": code,
            "groups": [plaintext[i : i + 3] for i in range(0, len(plaintext), 3)],
            "plaintext": plaintext,
            # A card check also allows a first authenticator app (see the sign-in issue).
            "offer_authenticator": not duo_account_mode()
            and card_checked
            and not request.user.authenticators.filter(confirmed=True).exists(),
            "name_form": AuthenticatorNameForm(),
            **extra,
        },
    )
