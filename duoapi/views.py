"""Duo Auth API v2, as duo_client and duo_unix call it.

The views only translate: they read and check the request, ask the models
layer, and answer in Duo's envelope. Every decision about a passcode is made
by BypassCode.objects.check_passcode, as on the portal's own prompt.
"""

import ipaddress
import time
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from bypass.models import BypassCode
from duoapi import signing
from duoapi.models import AuthTransaction, Integration, api_hostname
from duoapi.usernames import MAX_LENGTH, person_for
from duoportal import refusals
from duoportal.middleware import CONTROL_CHARACTERS, RequestContext, request_context
from duoportal.models import AuditEvent, ProofLock
from duoportal.results import Reason
from duoportal.throttles import per_integration


def ok(response):
    return JsonResponse({"stat": "OK", "response": response})


def fail(error):
    return JsonResponse(
        {
            "stat": "FAIL",
            "code": error.code,
            "message": error.message,
            "message_detail": error.detail,
        },
        status=error.status,
    )


# Duo's calls carry a few short parameters. A bigger body is refused unread:
# anyone may post here, and reading, hashing and parsing megabytes (Django
# allows DATA_UPLOAD_MAX_MEMORY_SIZE, raised for the card import) costs the
# server before any signature is checked.
MAX_BODY = 64 * 1024


def duo_api(*methods, signed=True):
    """A Duo API endpoint: its methods, its signature, and Duo's envelope for every refusal."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request):
            if request.method not in methods:
                return fail(signing.SignatureError(40501, 405, "Method not allowed"))
            if body_length(request) > MAX_BODY:
                return fail(signing.bad_parameters("request body too large"))
            # Applications show these messages as they are: always in English.
            with translation.override("en"):
                try:
                    if not signed:
                        return view(request)
                    integration, params = authenticate(request)
                    return view(request, integration, params)
                except signing.SignatureError as error:
                    return fail(error)

        return wrapper

    return decorate


def body_length(request):
    """The body's declared length. One that is not a number is refused as too large:
    Django would raise reading the body (gunicorn refuses it first; runserver does not)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY + 1


def authenticate(request):
    """The integration that signed `request`, and the request's parameters.

    Raises SignatureError with Duo's code for whatever is wrong, in Duo's
    order: credentials, date, integration key, signature, then whether the
    integration is enabled.
    """
    ikey, digest, signed = signing.read_request(request, api_hostname(request))
    integration = Integration.objects.by_ikey(ikey)
    if integration is None:
        raise signing.unknown_integration()
    if not signing.verify(signed, digest, integration.secrets):
        raise signing.bad_signature()
    if not integration.enabled:
        raise signing.SignatureError(40301, 403, "Access forbidden", "integration is disabled")
    return integration, signing.parameters(signed)


def _text(params, name, *, required=True, max_length=MAX_LENGTH):
    value = params.get(name)
    if value is None:
        if required:
            raise signing.bad_parameters(name)
        return None
    if not value or len(value) > max_length or CONTROL_CHARACTERS.search(value):
        raise signing.bad_parameters(name)
    return value


def _person(params):
    """The person named by `username` or `user_id` (exactly one of them), or None."""
    username = _text(params, "username", required=False)
    user_id = _text(params, "user_id", required=False, max_length=64)
    if (username is None) == (user_id is None):
        raise signing.bad_parameters("username")
    return person_for(username=username, user_id=user_id)


def _ipaddr(params):
    value = _text(params, "ipaddr", required=False, max_length=64)
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError as error:
        raise signing.bad_parameters("ipaddr") from error
    if getattr(address, "scope_id", None):
        # "fe80::1%eth0" names an interface of the application's own machine, not a
        # person's address; PostgreSQL's inet would refuse it.
        raise signing.bad_parameters("ipaddr")
    return str(address)


@duo_api("GET", signed=False)
def ping(request):
    return ok({"time": int(time.time())})


@duo_api("GET")
def check(request, integration, params):
    return ok({"time": int(time.time())})


@contextmanager
def calling_as(request, integration, address, **detail):
    """Within: audit events and code uses name the application, the person's address, `detail`."""
    caller = request_context.get()
    token = request_context.set(
        RequestContext(
            ip=address or caller.ip,
            user_agent=caller.user_agent,
            application=integration.name,
            detail=detail,
        )
    )
    try:
        yield
    finally:
        request_context.reset(token)


def _sent(params, ipaddr, **more):
    """What the application said about the person, for the audit trail (never a passcode)."""
    return {"username": params.get("username") or params.get("user_id"), "ipaddr": ipaddr, **more}


def _portal_url(request):
    return settings.PORTAL_URL or request.build_absolute_uri(reverse("portal:home"))


def _prompt(person, username):
    # duo_unix shows `text` and then looks the typed answer up in `factors`;
    # with no factor to choose, whatever is typed is sent back as the passcode.
    name = username or person.username
    return {"text": f"Duo two-factor login for {name}\n\nEnter a Passcode: ", "factors": {}}


@duo_api("POST")
def preauth(request, integration, params):
    person = _person(params)
    ipaddr = _ipaddr(params)
    with calling_as(request, integration, ipaddr, **_sent(params, ipaddr)):
        answer = _preauth_answer(request, person)
        AuditEvent.objects.record(
            AuditEvent.Action.DUO_PREAUTH, subject=person, outcome=answer["result"]
        )
    if params.get("text_prompt") in ("1", "true"):
        if answer["result"] == "auth":
            answer["prompt"] = _prompt(person, params.get("username"))
        else:
            answer["prompt"] = {"text": answer["status_msg"], "factors": {}}
    return ok(answer)


def _preauth_answer(request, person):
    url = _portal_url(request)
    if person is None and settings.DUO_UNKNOWN_USERS == "deny":
        return {
            "result": "deny",
            "status_msg": f"Unknown user. Contact {settings.HELPDESK_CONTACT}.",
        }
    if person is not None and not person.is_active:
        return {
            "result": "deny",
            "status_msg": f"Your account is disabled. Contact {settings.HELPDESK_CONTACT}.",
        }
    if person is not None:
        until = ProofLock.objects.locked_until(person, ProofLock.Kind.PASSCODE)
        if until:
            return {"result": "deny", "status_msg": refusals.locked(ProofLock.Kind.PASSCODE, until)}
        if BypassCode.objects.has_a_passcode(person):
            apps = person.authenticators.filter(confirmed=True).order_by("created_at")
            return {
                "result": "auth",
                "status_msg": "Account is active",
                "devices": [
                    {"device": f"DT{app.pk:018d}", "type": "token", "name": app.name}
                    for app in apps
                ],
            }
    return {
        "result": "enroll",
        "status_msg": f"Get a bypass code at {url} and try again.",
        "enroll_portal_url": url,
    }


# What an application shows a person after `auth`. Reasons other than a wrong
# passcode are only given when what was typed is the person's own code (the
# models layer decides that), so a guesser learns nothing from them.
AUTH_MESSAGES = {
    Reason.ACCEPTED: "Success. Logging you in...",
    Reason.WRONG_CODE: "Incorrect passcode. Please try again.",
    Reason.NO_CODE: "You have no live bypass code. Get one at {url} and try again.",
    Reason.EXPIRED: "This bypass code has expired. Get a new one at {url}.",
    Reason.USED_UP: "This bypass code has been used up. Get a new one at {url}.",
    Reason.REVOKED: "This bypass code was revoked or replaced. Get a new one at {url}.",
    # Ten checks of this person's passcodes were already running: this one was
    # neither checked nor counted.
    Reason.BUSY: "Other passcodes of yours are being checked. Try again in a moment.",
}
PASSCODE_FACTORS = {"passcode": "passcode", "prompt": "prompt"}


@duo_api("POST")
def auth(request, integration, params):
    factor = _text(params, "factor")
    if factor not in PASSCODE_FACTORS:
        # auto, push, phone and sms need a phone; the portal has none to call.
        raise signing.bad_parameters("factor")
    typed = _text(params, PASSCODE_FACTORS[factor], max_length=64)
    asynchronous = _text(params, "async", required=False, max_length=5) or "0"
    if asynchronous not in ("0", "1", "false", "true"):
        raise signing.bad_parameters("async")
    person = _person(params)
    ipaddr = _ipaddr(params)
    # Counted only for a check that will hash: a malformed call or an unknown
    # person costs nothing, so it cannot use up the others' share.
    checks = person is not None and person.is_active
    if checks and (seconds := per_integration(request, "duo_auth", integration)):
        # duo_client waits and retries a 429 by itself.
        response = fail(signing.SignatureError(42901, 429, "Too Many Requests"))
        response["Retry-After"] = str(seconds)
        return response
    with calling_as(request, integration, ipaddr, **_sent(params, ipaddr, factor=factor)):
        answer, reason = _auth_answer(request, person, typed)
        if reason in NOT_CHECKED:
            # A passcode that was checked has its event from the models layer
            # (bypass_use or totp_use), which names the application and says
            # all of the above: one event per check, and one INSERT less.
            AuditEvent.objects.record(
                AuditEvent.Action.DUO_AUTH, subject=person, outcome=answer["result"], reason=reason
            )
    if asynchronous in ("1", "true"):
        return ok({"txid": AuthTransaction.objects.record(integration, **answer)})
    return ok(answer)


# The reasons of _auth_answer for a passcode that the models layer never saw.
UNKNOWN, DISABLED = "unknown user", "disabled"
NOT_CHECKED = (UNKNOWN, DISABLED)


def _auth_answer(request, person, typed):
    """(Duo's answer, the reason) for `typed` as `person`'s passcode."""
    if person is None:
        return _deny(AUTH_MESSAGES[Reason.WRONG_CODE]), UNKNOWN
    if not person.is_active:
        return _deny(f"Your account is disabled. Contact {settings.HELPDESK_CONTACT}."), DISABLED
    result, _method = BypassCode.objects.check_passcode(person, typed)
    if result:
        return {
            "result": "allow",
            "status": "allow",
            "status_msg": AUTH_MESSAGES[Reason.ACCEPTED],
        }, result.reason
    if result.locked_until:
        message = refusals.locked(ProofLock.Kind.PASSCODE, result.locked_until)
        return _deny(message, status="locked_out"), result.reason
    message = AUTH_MESSAGES.get(result.reason, AUTH_MESSAGES[Reason.WRONG_CODE])
    return _deny(message.format(url=_portal_url(request))), result.reason


def _deny(message, status="deny"):
    return {"result": "deny", "status": status, "status_msg": message}


@duo_api("GET")
def auth_status(request, integration, params):
    txid = _text(params, "txid", max_length=64)
    answer = AuthTransaction.objects.answer(integration, txid)
    if answer is None:
        raise signing.bad_parameters("txid")
    return ok({"result": answer.result, "status": answer.status, "status_msg": answer.status_msg})
