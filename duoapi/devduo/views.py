"""Duo's Admin API (users, bypass codes) and Auth API (ping, check, passcode auth).

Every signed request is checked with the portal's own verifier,
duoapi/signing.py, in Duo's order: credentials, date, integration key,
signature. The admin integration signs /admin/v1/*, the auth integration
/auth/v2/*; the other's key is an unknown integration, as at Duo.
"""

import json
import re
import time
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.views.decorators.csrf import csrf_exempt

from duoapi import signing
from duoapi.devduo.models import BypassCode, CodeError, Control, DuoUser, Integration

PAGE_LIMIT, MAX_PAGE_LIMIT = 100, 300
CODE = re.compile(r"\d{9}")


class NotFound(Exception):
    pass


def ok(response, metadata=None):
    body = {"stat": "OK", "response": response}
    if metadata is not None:
        body["metadata"] = metadata
    return JsonResponse(body)


def fail(status, code, message, detail=""):
    body = {"stat": "FAIL", "code": code, "message": message}
    if detail:
        body["message_detail"] = detail
    return JsonResponse(body, status=status)


def misbehave(request):
    """The answer a test asked for instead of the real one (see POST /devduo/control), or None."""
    control = Control.current()
    if not f"{request.method} {request.get_full_path()}".startswith(control.only):
        return None
    if control.fail == Control.Failure.SLOW:
        time.sleep(control.seconds)
    elif control.fail == Control.Failure.ERROR:
        return fail(500, 50000, "Internal server error")
    elif control.fail == Control.Failure.RATE_LIMITED:
        response = fail(429, 42901, "Too Many Requests")
        response["Retry-After"] = str(int(control.seconds))
        return response
    elif control.fail == Control.Failure.MALFORMED:
        if control.body:
            return HttpResponse(control.body, content_type="application/json")
        return ok([None])
    return None


def duo_api(kind, *methods, signed=True):
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, **kwargs):
            if (refusal := misbehave(request)) is not None:
                return refusal
            if request.method not in methods:
                return fail(405, 40501, "Method not allowed")
            try:
                params = authenticate(request, kind) if signed else {}
                return view(request, params, **kwargs)
            except signing.SignatureError as error:
                return fail(error.status, error.code, error.message, error.detail)
            except NotFound:
                return fail(404, 40401, "Resource not found")
            except CodeError as error:
                return fail(400, 40002, "Invalid request parameters", error.detail)

        return wrapper

    return decorate


def authenticate(request, kind):
    """The request's parameters, once `kind`'s integration is shown to have signed it."""
    host = settings.DEVDUO_HOSTNAME or split_domain_port(request.get_host())[0]
    ikey, digest, signed = signing.read_request(request, host)
    integration = Integration.objects.filter(kind=kind, ikey=ikey).first()
    if integration is None:
        raise signing.unknown_integration()
    if not signing.verify(signed, digest, [integration.skey]):
        raise signing.bad_signature()
    return signing.parameters(signed)


def number(params, name, default, *, low=0, high=None):
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        raise signing.bad_parameters(name)
    return int(value)


def flag(params, name):
    # JSON true/false arrive as "true"/"false" (signing.json_params), as under version 2.
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise signing.bad_parameters(name)
    return value == "true"


def paged(params, items):
    """One page of `items` (a queryset) with Duo's metadata; next_offset only while more remain."""
    limit = number(params, "limit", PAGE_LIMIT, low=1, high=MAX_PAGE_LIMIT)
    offset = number(params, "offset", 0)
    total = items.count()
    metadata = {"total_objects": total}
    if offset + limit < total:
        metadata["next_offset"] = offset + limit
    if offset:
        metadata["prev_offset"] = max(offset - limit, 0)
    return ok([item.as_duo() for item in items[offset : offset + limit]], metadata)


def duo_user(user_id):
    user = DuoUser.objects.filter(user_id=user_id).first()
    if user is None:
        raise NotFound
    return user


@duo_api("admin", "GET")
def users(request, params):
    if "username" in params:
        found = DuoUser.objects.filter(username=params["username"].lower()).first()
        return ok([found.as_duo()] if found else [])
    return paged(params, DuoUser.objects.all())


@duo_api("admin", "GET", "DELETE")
def user(request, params, user_id):
    if request.method == "DELETE":
        # "If the user is already deleted, does nothing" (duo_client's delete_user); the
        # user's bypass codes go with it.
        DuoUser.objects.filter(user_id=user_id).delete()
        return ok("")
    return ok(duo_user(user_id).as_duo())


@duo_api("admin", "GET", "POST")
def user_bypass_codes(request, params, user_id):
    user = duo_user(user_id)
    if request.method == "GET":
        return paged(params, BypassCode.objects.filter(user=user).select_related("user"))
    codes = params.get("codes")
    if codes is not None:
        if "count" in params:
            raise signing.bad_parameters("count and codes are mutually exclusive")
        codes = codes.split(",")
        if not all(CODE.fullmatch(code) for code in codes) or len(set(codes)) != len(codes):
            raise signing.bad_parameters("codes")
    return ok(
        BypassCode.objects.issue(
            user,
            count=number(params, "count", 10, low=1, high=10),
            codes=codes,
            reuse_count=number(params, "reuse_count", 1),
            valid_secs=number(params, "valid_secs", 0),
            preserve_existing=flag(params, "preserve_existing"),
        )
    )


@duo_api("admin", "GET")
def bypass_codes(request, params):
    return paged(params, BypassCode.objects.select_related("user"))


@duo_api("admin", "DELETE")
def bypass_code(request, params, bypass_code_id):
    deleted, _ = BypassCode.objects.filter(bypass_code_id=bypass_code_id).delete()
    if not deleted:
        raise NotFound
    return ok("")


@duo_api("auth", "GET", signed=False)
def ping(request, params):
    return ok({"time": int(time.time())})


@duo_api("auth", "GET")
def check(request, params):
    return ok({"time": int(time.time())})


@duo_api("auth", "POST")
def auth(request, params):
    if params.get("factor") != "passcode":
        # The stand-in has no phones: a passcode is all it can check.
        raise signing.bad_parameters("factor")
    passcode = params.get("passcode")
    if not passcode:
        raise signing.bad_parameters("passcode")
    if "username" in params:
        user = DuoUser.objects.filter(username=params["username"].lower()).first()
    else:
        user = DuoUser.objects.filter(user_id=params.get("user_id", "")).first()
    if user is None:
        raise signing.bad_parameters("username")
    if user.status != "active":
        return ok(
            {"result": "deny", "status": "locked_out", "status_msg": "Your account is disabled."}
        )
    if BypassCode.objects.use(user, passcode):
        return ok(
            {"result": "allow", "status": "allow", "status_msg": "Success. Logging you in..."}
        )
    return ok(
        {"result": "deny", "status": "deny", "status_msg": "Incorrect passcode. Please try again."}
    )


@csrf_exempt
def control(request):
    """GET: how the stand-in behaves. POST JSON {"fail": "", "slow", "500", "429" or
    "malformed", "only": "GET /admin/v1/users/", "seconds": N, "clock_offset": N,
    "next_code": "012345678", "body": "{...}"}: change it (fields left out keep their
    value). `only` limits the failure to calls whose "METHOD /path?query" starts with it;
    `next_code` is the next code `count` makes, once; `body` is the JSON of a malformed
    answer ("": a response of [null]).

    Unsigned on purpose: it is for tests on the loopback interface, and the
    stand-in never runs in production.
    """
    state = Control.current()
    if request.method == "POST":
        try:
            changes = json.loads(request.body or b"{}")
            state.fail = Control.Failure(changes.get("fail", state.fail))
            state.only = str(changes.get("only", state.only))[:100]
            state.seconds = float(changes.get("seconds", state.seconds))
            state.clock_offset = int(changes.get("clock_offset", state.clock_offset))
            state.next_code = str(changes.get("next_code", state.next_code))
            state.body = str(changes.get("body", state.body))
            if state.next_code and not re.fullmatch(r"[0-9]{9}", state.next_code):
                raise ValueError("next_code")
        except (ValueError, TypeError, AttributeError):
            return fail(400, 40002, "Invalid request parameters", "control")
        state.save()
    elif request.method != "GET":
        return fail(405, 40501, "Method not allowed")
    return JsonResponse(
        {
            "fail": state.fail,
            "only": state.only,
            "seconds": state.seconds,
            "clock_offset": state.clock_offset,
            "next_code": state.next_code,
            "body": state.body,
        }
    )
