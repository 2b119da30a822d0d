"""The portal's own second factor, kept in the session.

Microsoft 365 sign-in is the first factor. The protected part of the portal
also wants a passcode (an authenticator app's code or a bypass code); the
bypass-code self-service screens do not, because their users have lost the
phone that gives one.
"""

from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "second_factor"
TOUCH_EVERY = timedelta(seconds=30)
CARD_CHECK_KEY = "card_checked_at"


def mark_verified(request, method):
    # A new session key, so a key fixed or seen before the passcode is worthless.
    request.session.cycle_key()
    now = timezone.now().isoformat()
    request.session[SESSION_KEY] = {"method": method, "at": now, "seen": now}


def _state(request):
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    try:
        seen = datetime.fromisoformat(state["seen"])
    except (KeyError, TypeError, ValueError):
        return None
    if timezone.now() - seen > settings.SECOND_FACTOR_IDLE_TIMEOUT:
        return None
    return state


def is_verified(request):
    return _state(request) is not None


def touch(request):
    """Record activity in the protected part; False when the passcode must be asked again."""
    state = _state(request)
    if state is None:
        request.session.pop(SESSION_KEY, None)
        return False
    now = timezone.now()
    # Written at most every TOUCH_EVERY, not on every page: saving the session
    # is a write per request, and the idle timeout is minutes long.
    if now - datetime.fromisoformat(state["seen"]) >= TOUCH_EVERY:
        state["seen"] = now.isoformat()
        request.session.modified = True
    return True


def prompt_url(next_url):
    return f"{reverse('portal:verify')}?{urlencode({'next': next_url})}"


def method(request):
    state = _state(request)
    return state["method"] if state else None


def mark_card_checked(request, card_id):
    """The card `card_id` (the person's active card) passed a check in this session, now."""
    request.session[CARD_CHECK_KEY] = {"at": timezone.now().isoformat(), "card": card_id}


def card_checked(request):
    """A CU Link card was checked in this session lately (set by the card screens), and it
    has not been marked lost or revoked since."""
    # Imported here: the admin site imports this module before the apps are ready.
    from duoportal.models import CULinkCard

    checked = request.session.get(CARD_CHECK_KEY)
    try:
        at, card = datetime.fromisoformat(checked["at"]), int(checked["card"])
    except (TypeError, ValueError, KeyError):
        return False
    if timezone.now() - at > settings.SECOND_FACTOR_IDLE_TIMEOUT:
        return False
    active = CULinkCard.Status.ACTIVE
    return CULinkCard.objects.filter(pk=card, user=request.user, status=active).exists()


def second_factor_required(view):
    """Sign-in, then a passcode; the passcode is asked again after idleness."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not touch(request):
            # After the passcode, back to this page; a button's POST cannot be
            # replayed, so its page (My account) instead.
            back = request.get_full_path() if request.method == "GET" else reverse("portal:account")
            return redirect(prompt_url(back))
        return view(request, *args, **kwargs)

    return wrapper
