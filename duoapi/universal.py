"""Duo's Universal Prompt (Web SDK v4), as duo_universal calls it.

health_check and token are the application's back-channel calls; authorize
and the prompt are the person's browser. The wire format is in
duoapi/oauth.py. Whether a passcode is accepted is decided by the helper the
portal's own "Enter a Passcode" uses, so uses, tries left and locks are the
same everywhere.
"""

import hashlib
import logging
import time
from dataclasses import asdict
from functools import partial
from urllib.parse import urljoin

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from duoapi import oauth
from duoapi.models import AuthorizationRequest, Integration, api_hostname
from duoapi.usernames import person_for
from duoapi.views import MAX_BODY, body_length, calling_as
from duoportal.middleware import CONTROL_CHARACTERS
from duoportal.models import AuditEvent, ProofLock
from duoportal.prompt import busy_prompt, passcode_prompt
from duoportal.throttles import per_address, per_integration, too_many, unless_locked

logger = logging.getLogger(__name__)

# The prompts this browser was sent to: only it may answer them.
SESSION_KEY = "duo_prompts"
SESSION_PROMPTS = 10
Outcome = AuthorizationRequest.Outcome

# What the person is told when the prompt cannot be shown.
REFUSALS = {
    "application": _("This application is not known to the portal, or is turned off."),
    "throttled": _(
        "Too many people are signing in to this application at once. Wait a moment, then "
        "go back and press Log In again."
    ),
    "request": _(
        "The application's sign-in request is not valid or has expired. Go back to the "
        "application and sign in again."
    ),
    "redirect_uri": _("The application asked to return to an address it is not allowed to use."),
    "unknown": _(
        "The portal has no account for %(username)s. Sign in to the portal once, get a bypass "
        "code, and try again."
    ),
    "disabled": _("Your account is disabled. Contact %(contact)s."),
    "gone": _(
        "This sign-in has expired or is already finished. Go back to the application and sign "
        "in again."
    ),
}


def _audience(request, name):
    """Whether an `aud` names the endpoint `name` of this portal (see oauth.names_endpoint)."""
    port = split_domain_port(request.get_host())[1]
    path = reverse(name) if name else ""
    return lambda aud: oauth.names_endpoint(
        aud, hostname=api_hostname(request), port=int(port) if port else None, path=path
    )


def _fields(request, names):
    """The named fields, from the query string (duo_universal) or a form body (other SDKs).

    Each is required; one given twice with different values is refused, never guessed at.
    """
    if body_length(request) > MAX_BODY:
        # A few short fields: a bigger body is refused unread (duoapi/views.py).
        raise oauth.invalid_request("The request body is too large.")
    try:
        query, body = request.GET, request.POST
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError) as error:
        raise oauth.invalid_request("The request cannot be read.") from error
    fields = {}
    for name in names:
        values = set(query.getlist(name) + body.getlist(name))
        if len(values) > 1:
            raise oauth.invalid_request(f"`{name}` is given twice.")
        value = values.pop() if values else ""
        if not value:
            raise oauth.invalid_request(f"`{name}` is missing.")
        if CONTROL_CHARACTERS.search(value) or len(value) > 4096:
            raise oauth.invalid_request(f"`{name}` is malformed.")
        fields[name] = value
    return fields


def _client(request, integration, fields, endpoint):
    """Verify the client_assertion of `integration`: its claims, and the key it was signed with."""
    if integration is None:
        raise oauth.invalid_client("Unknown client_id.")
    claims, key = oauth.client_assertion(
        fields["client_assertion"],
        fields["client_id"],
        integration.secrets,
        _audience(request, endpoint),
    )
    if not integration.enabled:
        raise oauth.invalid_client("The integration is disabled.")
    if not _first_use(integration, claims):
        raise oauth.invalid_client("The client assertion was used before: make a new one.")
    return claims, key


def _first_use(integration, claims):
    """Whether this is the first use of the assertion's jti, kept in the cache until it
    expires: a copied assertion is no key to the token endpoint."""
    # surrogatepass: a JSON string may hold a lone surrogate, which is still one jti.
    jti = hashlib.sha256(claims["jti"].encode("utf-8", "surrogatepass")).hexdigest()
    lifetime = max(1, int(claims["exp"] - time.time()) + oauth.LEEWAY)
    added = _cached(lambda: cache.add(f"duo-jti:{integration.pk}:{jti}", 1, timeout=lifetime))
    return added is not False


@csrf_exempt
def health_check(request):
    now = int(time.time())
    try:
        if request.method != "POST":
            raise oauth.OAuthError("invalid_request", "POST only.", status=405)
        fields = _fields(request, ["client_id", "client_assertion"])
        _client(
            request, Integration.objects.by_ikey(fields["client_id"]), fields, "duoapi:health_check"
        )
    except oauth.OAuthError as error:
        # Duo's failure shape; duo_universal reads only `stat`.
        return JsonResponse(
            {
                "stat": "FAIL",
                "code": 40002,
                "message": error.error,
                "message_detail": error.description,
                "timestamp": now,
            },
            status=error.status,
        )
    return JsonResponse({"stat": "OK", "response": {"timestamp": now}})


def _oauth_error(error):
    response = JsonResponse(
        {"error": error.error, "error_description": error.description}, status=error.status
    )
    add_never_cache_headers(response)
    return response


TOKEN_FIELDS = [
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_assertion_type",
    "client_assertion",
]


@csrf_exempt
def token(request):
    if request.method != "POST":
        return _oauth_error(oauth.OAuthError("invalid_request", "POST only.", status=405))
    integration = None
    try:
        fields = _fields(request, TOKEN_FIELDS)
        integration = Integration.objects.by_ikey(fields["client_id"])
        answer, assertion, key = _grant(request, integration, fields)
    except oauth.OAuthError as error:
        if integration is not None and _audited_refusal(request):
            _audit_token(request, integration, None, error.error, reason=error.description)
        return _oauth_error(error)
    _audit_token(request, integration, answer, "ok")
    response = JsonResponse(oauth.token_response(_id_token(answer, assertion, key)))
    add_never_cache_headers(response)
    return response


def _grant(request, integration, fields):
    """The allowed prompt a token request's code is for, used up; and the client's assertion."""
    if fields["client_assertion_type"] != oauth.CLIENT_ASSERTION_TYPE:
        raise oauth.invalid_request(
            f"`client_assertion_type` must be {oauth.CLIENT_ASSERTION_TYPE}."
        )
    assertion, key = _client(request, integration, fields, "duoapi:token")
    if fields["grant_type"] != "authorization_code":
        raise oauth.OAuthError("unsupported_grant_type", "Only authorization_code is supported.")
    answer = AuthorizationRequest.objects.exchange(
        integration, fields["code"], fields["redirect_uri"]
    )
    if answer is None:
        raise oauth.invalid_grant()
    return answer, assertion, key


def _id_token(answer, assertion, key):
    return oauth.id_token(
        key,
        # Exactly the token URL the application called, as it expects the issuer.
        issuer=assertion["aud"],
        client_id=answer.integration.ikey,
        username=answer.username,
        nonce=answer.nonce,
        auth_time=answer.answered_at.timestamp(),
        context={
            "result": "success",
            "reason": "valid_passcode",
            "event_type": "authentication",
            "factor": "passcode",
            # Which kind of passcode: a bypass code, or an authenticator app's code.
            "passcode_kind": "bypass_code" if answer.method == "bypass" else "authenticator_app",
            "timestamp": int(answer.answered_at.timestamp()),
            "application": {"key": answer.integration.ikey, "name": answer.integration.name},
            "user": {"name": answer.username},
        },
    )


def _audit_token(request, integration, answer, outcome, **detail):
    with calling_as(request, integration, None):
        AuditEvent.objects.record(
            AuditEvent.Action.DUO_TOKEN,
            subject=answer.person if answer else None,
            outcome=outcome,
            **detail,
        )


def _audited_refusal(request):
    """Whether to audit a refusal: anyone who knows a client_id (it is in every authorize
    URL) can make one, so only THROTTLE_PER_ADDRESS of them an address; the rest are
    logged."""
    if seconds := per_address(request, "duo_refusal"):
        logger.warning("A refused Universal Prompt call is not audited: too many (%ss)", seconds)
        return False
    return True


def _error_page(request, message, status=400):
    return render(request, "duoapi/prompt_error.html", {"message": message}, status=status)


class Refused(Exception):
    """An authorize request that gets an error page: what the person reads, what is audited."""

    def __init__(self, message, outcome, reason, *, person=None, username="", status=400):
        super().__init__(reason)
        self.message, self.outcome, self.reason = message, outcome, reason
        self.person, self.username, self.status = person, username, status


def _verified(request, integration):
    """The claims of a verified authorize request, and the active person they name."""
    try:
        if request.GET.get("response_type") != "code":
            raise oauth.invalid_request("`response_type` must be code.")
        claims = oauth.authorization_request(
            request.GET.get("request"),
            integration.ikey,
            integration.secrets,
            _audience(request, None),
            query_nonce=request.GET.get("nonce", ""),
        )
    except oauth.OAuthError as error:
        raise Refused(REFUSALS["request"], error.error, error.description) from error
    username = claims.username
    if not integration.allows_redirect_uri(claims.redirect_uri):
        raise Refused(
            REFUSALS["redirect_uri"],
            "invalid_request",
            "redirect_uri not allowed",
            username=username,
        )
    person = person_for(username=username)
    if person is None:
        message = REFUSALS["unknown"] % {"username": username}
        raise Refused(message, "denied", "unknown user", username=username, status=403)
    if not person.is_active:
        message = REFUSALS["disabled"] % {"contact": settings.HELPDESK_CONTACT}
        raise Refused(message, "denied", "disabled", person=person, username=username, status=403)
    return claims, person


@require_GET
def authorize(request):
    """Verify the application's signed request, then send the browser to the prompt.

    Anything wrong is an error page: the browser is never sent to an address
    that was not verified.
    """
    integration = Integration.objects.by_ikey(request.GET.get("client_id", ""))
    if integration is None or not integration.enabled:
        return _error_page(request, REFUSALS["application"])
    with calling_as(request, integration, None):
        try:
            claims, person = _verified(request, integration)
        except Refused as refused:
            if _audited_refusal(request):
                _audit_authorize(
                    refused.person,
                    refused.outcome,
                    reason=refused.reason,
                    username=refused.username,
                )
            return _error_page(request, refused.message, status=refused.status)
        opening = _opening(request, integration)
        earlier = _cached(lambda: cache.get(opening))
        if earlier is not None:
            # The same signed request again: a reload here goes back to its prompt; from
            # another browser (a URL copied from history) it opens nothing.
            if earlier in request.session.get(SESSION_KEY, []):
                return redirect("duoapi:prompt", earlier)
            if _audited_refusal(request):
                _audit_authorize(person, "replayed", username=claims.username)
            return _gone(request)
        answer = AuthorizationRequest.objects.open(integration, person, **asdict(claims))
        _cached(lambda: cache.set(opening, answer.key, timeout=OPENING_KEPT))
        _audit_authorize(person, "prompt", username=claims.username)
    prompts = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*prompts, answer.key][-SESSION_PROMPTS:]
    return redirect("duoapi:prompt", answer.key)


# How long a signed authorize request is remembered: as long as it can be valid.
OPENING_KEPT = oauth.JWT_MAX_LIFETIME + 2 * oauth.LEEWAY


def _opening(request, integration):
    """The cache key of this signed authorize request: it opens one prompt, once."""
    signed = hashlib.sha256(request.GET.get("request", "").encode()).hexdigest()
    return f"duo-authorize:{integration.pk}:{signed}"


def _cached(call):
    """`call()` on the cache; a cache that does not answer is logged and skipped (None),
    as the throttles do."""
    try:
        return call()
    except Exception:  # The cache client's own errors, whatever they are.
        logger.warning("A Universal Prompt call went unchecked for reuse: no cache answers")
        return None


def _audit_authorize(person, outcome, **detail):
    AuditEvent.objects.record(
        AuditEvent.Action.DUO_AUTHORIZE, subject=person, outcome=outcome, **detail
    )


@require_http_methods(["GET", "POST"])
def prompt(request, key):
    if key not in request.session.get(SESSION_KEY, []):
        return _gone(request)
    answer = AuthorizationRequest.objects.for_prompt(key)
    if answer is None or answer.answered_at:
        return _way_back(request, answer)
    if not answer.integration.enabled:
        # Turned off while the person was at the prompt: refused at once, no use counted.
        return _error_page(request, REFUSALS["application"])
    if request.method == "GET":
        return _show(request, answer, passcode_prompt(request, answer.person))
    with calling_as(request, answer.integration, None):
        if "cancel" in request.POST:
            return _answer(request, answer, Outcome.CANCEL)
        # A second Log In (a double click) waits here for the first, then follows its answer.
        answer, claimed = AuthorizationRequest.objects.claim(answer)
        if not claimed:
            if answer is None or answer.answered_at:
                return _way_back(request, answer)
            return _show(request, answer, busy_prompt(request))
        try:
            passcode = passcode_prompt(
                request,
                answer.person,
                # Per application, not per address: every person behind a campus NAT signs
                # in from one. A locked person's tries hash nothing and count nothing.
                lambda: unless_locked(
                    answer.person,
                    ProofLock.Kind.PASSCODE,
                    partial(per_integration, request, "universal_prompt", answer.integration),
                ),
            )
            if passcode.throttled:
                message = REFUSALS["throttled"]
                return too_many(
                    request, passcode.throttled, "duoapi/prompt_error.html", message=message
                )
            if passcode.accepted:
                return _answer(request, answer, Outcome.ALLOW, passcode.method)
            if passcode.refused_by_lock:
                return _answer(request, answer, Outcome.LOCKED)
        finally:
            # After the answer: a Log In waiting for this one finds it answered.
            AuthorizationRequest.objects.release(answer)
    return _show(request, answer, passcode)


def _show(request, answer, passcode):
    response = render(
        request,
        "duoapi/prompt.html",
        {
            **passcode.context,
            "application": answer.integration.name,
            "username": answer.username,
            "bypass_url": _bypass_url(),
        },
    )
    # Log In and Cancel post to the portal, which answers with a redirect to
    # the application; Chromium checks that redirect against form-action too.
    # So this response, and only this one, allows the verified redirect_uri's
    # origin. (django-csp's csp_update decorator sets this same attribute.)
    response._csp_update = {"form-action": [oauth.return_origin(answer.redirect_uri)]}
    add_never_cache_headers(response)
    return response


def _bypass_url():
    """Where to get a bypass code: the portal's public address (PORTAL_URL) when it is set."""
    path = reverse("bypass:info")
    return urljoin(settings.PORTAL_URL, path) if settings.PORTAL_URL else path


def _answer(request, answer, outcome, method=""):
    if not AuthorizationRequest.objects.answer(answer, outcome, method):
        # Answered meanwhile (Cancel in another tab, say): that answer stands.
        return _way_back(request, AuthorizationRequest.objects.for_prompt(answer.key))
    AuditEvent.objects.record(
        AuditEvent.Action.DUO_PROMPT,
        subject=answer.person,
        actor=answer.person,
        outcome=outcome,
        method=method,
        username=answer.username,
    )
    return _way_back(request, answer)


def _way_back(request, answer):
    """Back to the application with the answer, while the application can still use it."""
    if answer is None or not answer.way_back_open:
        return _gone(request)
    if answer.outcome == Outcome.ALLOW:
        code = "duo_code" if answer.use_duo_code_attribute else "code"
        params = {code: answer.code, "state": answer.state}
    else:
        description = (
            "Too many wrong passcodes" if answer.outcome == Outcome.LOCKED else "Cancelled"
        )
        params = {"error": "access_denied", "error_description": description, "state": answer.state}
    return HttpResponseRedirect(oauth.back_to(answer.redirect_uri, **params))


def _gone(request):
    return _error_page(request, REFUSALS["gone"], status=404)
