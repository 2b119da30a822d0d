"""Duo's request signatures, checked exactly as Duo checks them.

A client signs a canonical text of its request with HMAC-SHA512, keyed with
the integration's secret key, and sends `Authorization: Basic
base64(ikey:hexdigest)` with the `Date` it signed. Two canonical forms are in
use (duo_client's client.py, duo_unix's https.c):

- version 5, duo_client's default: date, method, host, path, the query's
  parameters (none for POST, PUT and PATCH, which send a JSON body), the
  SHA-512 of the body and the SHA-512 of the X-Duo-* headers;
- version 2: date, method, host, path and the parameters, from the query of a
  GET or DELETE or from the form body of a POST. duo_unix signs this way and
  sends its date as `X-Duo-Date`.

These are pure functions over what arrived (read_request turns a Django request
into one), so the same verifier serves the
Auth API and, later, Admin API calls in Duo account mode.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, quote

from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException

# Duo refuses a request whose date is further than this from its own clock.
DATE_SKEW_SECONDS = 300
BODY_METHODS = {"POST", "PUT", "PATCH"}


class SignatureError(Exception):
    """A request Duo would refuse before looking at it: its code, HTTP status and message."""

    def __init__(self, code, status, message, detail=""):
        super().__init__(message)
        self.code, self.status, self.message, self.detail = code, status, message, detail


def missing_credentials(detail=""):
    return SignatureError(40101, 401, "Missing request credentials", detail)


def unknown_integration():
    return SignatureError(40102, 401, "Invalid integration key in request credentials")


def bad_signature():
    return SignatureError(40103, 401, "Invalid signature in request credentials")


def bad_timestamp():
    return SignatureError(40105, 401, "Bad request timestamp")


def bad_parameters(detail):
    return SignatureError(40002, 400, "Invalid request parameters", detail)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers, as the server received it.

    `params` maps each name to its list of values, decoded: from the query
    for GET and DELETE, from a form body for POST, PUT and PATCH (version 2).
    `body` is the raw body text and `json_body` says it is a version 5 JSON
    body. `duo_headers` maps lower-cased X-Duo-* header names to their values.
    """

    method: str
    host: str
    path: str
    date: str
    params: dict
    body: str = ""
    json_body: bool = False
    duo_headers: dict | None = None

    @property
    def versions(self):
        """The canonical forms this request may be signed in."""
        if self.method.upper() not in BODY_METHODS:
            return (5, 2)
        # A JSON body only as version 5, a form only as version 2: either way
        # the signature covers exactly the parameters the view will read.
        return (5,) if self.json_body else (2,)


def canon_params(params):
    """Parameters re-encoded as the client signed them: RFC 3986 (`%20`, not `+`), sorted."""
    pairs = sorted(
        (quote(key, "~"), sorted(quote(v, "~") for v in values)) for key, values in params.items()
    )
    return "&".join(f"{key}={value}" for key, values in pairs for value in values)


def canon_duo_headers(headers):
    flat = []
    for name in sorted(headers):
        flat += [name, headers[name]]
    return hashlib.sha512("\x00".join(flat).encode()).hexdigest()


def canonical(request, version):
    lines = [request.date, request.method.upper(), request.host.lower(), request.path]
    if version == 2:
        return "\n".join([*lines, canon_params(request.params)])
    # Version 5: a JSON body is signed by its hash, its parameters line is empty.
    params = {} if request.method.upper() in BODY_METHODS else request.params
    return "\n".join(
        [
            *lines,
            canon_params(params),
            hashlib.sha512(request.body.encode()).hexdigest(),
            canon_duo_headers(request.duo_headers or {}),
        ]
    )


def signature(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def read_authorization(header):
    """(ikey, hex signature) from `Basic base64(ikey:signature)`; SignatureError if malformed."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise missing_credentials("Authorization")
    try:
        ikey, sep, digest = (
            base64.b64decode(encoded.strip(), validate=True).decode("ascii").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise missing_credentials("Authorization") from error
    if not sep or not ikey or not digest:
        raise missing_credentials("Authorization")
    return ikey, digest


def check_date(date, now):
    """Refuse a missing date or one further than DATE_SKEW_SECONDS from `now` (a Unix time)."""
    if not date:
        raise missing_credentials("Date")
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, OverflowError) as error:
        raise bad_timestamp() from error
    if sent.tzinfo is None:
        # duo_client's "-0000" is UTC; parsed naively it would be local time.
        sent = sent.replace(tzinfo=UTC)
    if abs(sent.timestamp() - now) > DATE_SKEW_SECONDS:
        raise bad_timestamp()


def verify(request, digest, secrets):
    """Whether `digest` signs `request` under one of `secrets`, as version 5 or version 2.

    Every candidate is computed and compared in constant time, without
    stopping at the first match.
    """
    matched = False
    for secret in secrets:
        for version in request.versions:
            expected = signature(secret, canonical(request, version))
            matched |= hmac.compare_digest(expected, digest.lower())
    return matched


def json_params(body):
    """A version 5 JSON body's parameters, as strings (duo_client sends strings and booleans)."""
    try:
        data = json.loads(body) if body else {}
    except (ValueError, RecursionError) as error:  # Recursion: "[[[[…" thousands deep.
        raise bad_parameters("body is not JSON") from error
    if not isinstance(data, dict):
        raise bad_parameters("body is not a JSON object")
    params = {}
    for key, value in data.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            raise bad_parameters(key)
        if not _utf8(key):
            raise bad_parameters("body is not UTF-8")
        if not _utf8(value):
            raise bad_parameters(key)
        params[key] = [value]
    return params


def _utf8(text):
    # JSON's "\ud800" escape makes a lone surrogate, which no UTF-8 text can hold:
    # the form of a v2 request could not carry it, so neither may a v5 body.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def form_params(text):
    """The parameters of a query string or form body, decoded (`+` is a space)."""
    params = {}
    for key, value in parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=100):
        params.setdefault(key, []).append(value)
    return params


def read_request(request, host):
    """A Django request as Duo checks it: (ikey, hex signature, SignedRequest).

    Credentials and date are checked first, in Duo's order; `host` is the
    name the client must have signed for. The caller looks the integration
    key up and calls verify() with its secrets.
    """
    ikey, digest = read_authorization(request.headers.get("Authorization"))
    # duo_unix signs and sends X-Duo-Date; duo_client sends Date.
    date = request.headers.get("X-Duo-Date") or request.headers.get("Date")
    check_date(date, time.time())
    try:
        body = request.body.decode()
        json_body = request.content_type == "application/json"
        if request.method in BODY_METHODS:
            # A JSON body is signed by its hash: its parameters are read only
            # once the signature holds (parameters()), so an unsigned request
            # gets 401 whatever its body.
            params = {} if json_body else form_params(body)
        else:
            params = form_params(request.META.get("QUERY_STRING", ""))
    except (UnicodeDecodeError, ValueError, RequestDataTooBig, RawPostDataException) as error:
        raise bad_parameters("request could not be read") from error
    signed = SignedRequest(
        method=request.method,
        host=host,
        path=request.path,
        date=date,
        params=params,
        body=body,
        json_body=json_body,
        duo_headers={
            name.lower(): value
            for name, value in request.headers.items()
            if name.lower().startswith("x-duo-")
        },
    )
    return ikey, digest, signed


def parameters(signed):
    """A verified request's parameters, one value each (a parameter given twice is malformed)."""
    if signed.json_body and signed.method.upper() in BODY_METHODS:
        return single_values(json_params(signed.body))
    return single_values(signed.params)


def single_values(params):
    """Each parameter's one value; a parameter given twice is malformed."""
    single = {}
    for name, values in params.items():
        if len(values) != 1:
            raise bad_parameters(name)
        single[name] = values[0]
    return single
