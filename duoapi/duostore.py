"""Duo account mode's code store: Duo makes, counts and checks the bypass codes.

BypassCode.objects calls it (BYPASS_CODE_STORE), with the rules already
applied: one code, BYPASS_CODE_MAX_USES uses, BYPASS_CODE_LIFETIME, replacing
any earlier code. It speaks to Duo only through the real duo_client:

- the Admin API (DUO_ADMIN_*) finds the Duo user, makes the code, reads its
  metadata and deletes it;
- the Auth API (DUO_AUTH_*) checks a passcode typed at the portal's own prompt.

Every failure becomes a CodeStoreError carrying Duo's error code and status,
never a key or a code; the models layer logs and audits it, and the views
say "try again" in the person's language.
"""

import http.client
import random
import re
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import duo_client
from django.conf import settings

from bypass.stores import CodeStoreRefusedPerson, CodeStoreUnavailable, NewCode, RemoteState
from duoapi.usernames import username_for

# Duo's user statuses that can hold no bypass code (Admin API "Retrieve Users").
REFUSED_STATUSES = {"disabled": "disabled", "locked out": "locked_out"}
# The most bypass codes Duo keeps for one user.
CODES_A_USER = 100
# Duo answers 404 with this code for a user or bypass code it does not have.
NOT_FOUND = 40401
BAD_PARAMETERS = 40002


def _client(kind, application):
    """A duo_client `kind` (Admin or Auth) for the DUO_<application>_* settings.

    Its timeout is set before each call (_call), from what is left of the page's time.
    """
    account = settings.DUO_ACCOUNT
    host = account[f"DUO_{application}_API_HOST"]
    # "localhost:8443" is a host and a port to us, but duo_client wants them apart.
    name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    client = kind(
        account[f"DUO_{application}_IKEY"],
        account[f"DUO_{application}_SKEY"],
        name,
        port=int(port) if port else None,
        ca_certs=settings.DUO_CA_CERTS,
        timeout=settings.DUO_TIMEOUT_SECONDS,
    )
    # duo_client's own retry of a 429 sleeps without looking at the clock: _call
    # retries instead, only while the page's Deadline leaves time for it.
    client._MAX_BACKOFF_WAIT_SECS = 0
    return client


def _duo_error(error):
    """Duo's error code in what duo_client raised for a refusal, or None.

    duo_client raises RuntimeError with the HTTP status and the parsed
    envelope ({"stat": "FAIL", "code": 40401, ...}) as `data`; a body that is
    not Duo's envelope (a proxy's error page) stays text.
    """
    data = getattr(error, "data", None)
    return data.get("code") if isinstance(data, dict) else None


def _failure(error, call):
    """A CodeStoreUnavailable for what duo_client raised during `call`."""
    if hasattr(error, "status"):
        return CodeStoreUnavailable(f"{call}: HTTP {error.status}, Duo error {_duo_error(error)}")
    return CodeStoreUnavailable(f"{call}: {type(error).__name__}")


# What duo_client raises when Duo cannot be reached or answers nonsense.
NETWORK_ERRORS = (OSError, ssl.SSLError, http.client.HTTPException, ValueError, RuntimeError)


class Deadline:
    """The time a page may spend on Duo, all its calls together: DUO_TIMEOUT_SECONDS.

    Making a code is three calls, each of which may meet a 429: with a timeout
    per call, a slow Duo could hold a page past the proxy's own timeout, and the
    person would get a gateway error for a code Duo made.
    """

    # The least time worth giving a call to Duo: less, and it is not tried.
    LEAST_FOR_A_CALL = 0.5

    def __init__(self):
        self.ends = time.monotonic() + settings.DUO_TIMEOUT_SECONDS
        # duo_client's back-off: 1 s (plus up to 1 s of jitter), doubled for each retry.
        self.backoff = 1

    def left(self):
        return self.ends - time.monotonic()

    def arm(self, client, call):
        """Give `client` what is left of the time for `call`; none left: Duo is unavailable."""
        left = self.left()
        if left < self.LEAST_FOR_A_CALL:
            raise CodeStoreUnavailable(f"{call}: out of time")
        client.timeout = left

    def wait_to_retry(self):
        """Wait before retrying a call Duo answered 429, as duo_client would; False (no wait)
        when the back-off is past DUO_MAX_BACKOFF_SECONDS or the retry would not fit."""
        wait = self.backoff + random.uniform(0, 1)  # noqa: S311 (jitter, not a secret)
        if self.backoff > settings.DUO_MAX_BACKOFF_SECONDS:
            return False
        if wait + self.LEAST_FOR_A_CALL > self.left():
            return False
        time.sleep(wait)
        self.backoff *= 2
        return True


# What duo_client raises reading an answer of the wrong shape: "response": null for a
# list it pages through, "metadata": [1], an envelope without "stat".
SHAPE_ERRORS = (TypeError, AttributeError, KeyError)
RATE_LIMITED = 429


def _call(deadline, client, call, function, *args, **kwargs):
    """`function(*args, **kwargs)` within `deadline`; any failure is a CodeStoreUnavailable."""
    while True:
        deadline.arm(client, call)
        try:
            return function(*args, **kwargs)
        except NETWORK_ERRORS as error:
            if getattr(error, "status", None) == RATE_LIMITED and deadline.wait_to_retry():
                continue
            raise _failure(error, call) from error
        except SHAPE_ERRORS as error:
            raise _malformed(call) from error


def _malformed(call):
    return CodeStoreUnavailable(f"{call}: malformed answer")


def _gone(failure):
    """Whether Duo refused a call because it has no such user or code (404, 40401)."""
    return _duo_error(failure.__cause__) == NOT_FOUND


def _count(value, call):
    """A non-negative whole number of Duo's answer, or None where Duo sends null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _malformed(call)
    return value


def _time(seconds, call):
    seconds = _count(seconds, call)
    if not seconds:
        return None  # Duo's 0 or null: never expires.
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise _malformed(call) from error


# Duo's ids of users and codes ("DU3RP9I2WOC59VZX672N"): a code's remote_id is the two
# joined by "/", in 80 characters.
DUO_ID = re.compile(r"[A-Za-z0-9]{1,39}")


def _id(value, call):
    if not isinstance(value, str) or not DUO_ID.fullmatch(value):
        raise _malformed(call)
    return value


@dataclass(frozen=True)
class DuoCode:
    """One of Duo's bypass-code records, checked (never the code itself)."""

    id: str
    expires_at: datetime | None
    reuse_count: int | None


def _codes(answer, call="get_user_bypass_codes"):
    """Duo's list of a user's bypass codes, each record checked; anything else is malformed."""
    if not isinstance(answer, list):
        raise _malformed(call)
    codes = []
    for record in answer:
        if not isinstance(record, dict):
            raise _malformed(call)
        codes.append(
            DuoCode(
                id=_id(record.get("bypass_code_id"), call),
                expires_at=_time(record.get("expiration"), call),
                reuse_count=_count(record.get("reuse_count"), call),
            )
        )
    return codes


def _find(codes, code_id):
    """The code `code_id` among a user's `codes`, or None when Duo no longer has it.

    A code made when its id could not be read back (an empty `code_id`) was then
    the user's only code: it is still, or it is gone. With more than one, which
    is ours is not known, and "gone" would be a guess.
    """
    if code_id:
        return next((duo_code for duo_code in codes if duo_code.id == code_id), None)
    if len(codes) > 1:
        raise CodeStoreUnavailable(f"get_user_bypass_codes: {len(codes)} codes, ours unknown")
    return codes[0] if codes else None


# What a Duo bypass code is: nine digits. Anything else is not shown to anyone.
CODE = re.compile(r"[0-9]{9}")


class DuoStore:
    remote = True

    def _admin(self):
        return _client(duo_client.Admin, "ADMIN")

    def _auth(self):
        return _client(duo_client.Auth, "AUTH")

    def _duo_user(self, deadline, admin, person):
        call = "get_users_by_name"
        username = username_for(person)
        if username is None:
            raise CodeStoreRefusedPerson("unknown", "no Duo username outside DUO_USERNAME_DOMAIN")
        users = _call(deadline, admin, call, admin.get_users_by_name, username)
        if not isinstance(users, list) or not all(isinstance(user, dict) for user in users):
            raise _malformed(call)
        if not users:
            raise CodeStoreRefusedPerson("unknown")
        user = users[0]
        status = user.get("status")
        if status is not None and not isinstance(status, str):
            raise _malformed(call)
        refused = REFUSED_STATUSES.get(status)
        if refused:
            raise CodeStoreRefusedPerson(refused)
        return _id(user.get("user_id"), call)

    def _user_codes(self, deadline, admin, user_id):
        # One page of 100 is all of a user's codes (Duo keeps at most 100 a user), in one
        # call: without a limit, duo_client follows `next_offset` for as long as Duo sends it.
        codes = _call(
            deadline,
            admin,
            "get_user_bypass_codes",
            admin.get_user_bypass_codes,
            user_id,
            limit=CODES_A_USER,
        )
        return _codes(codes)

    def make(self, person, *, uses, lifetime):
        """One code for `person`, clearing every earlier one (made here or by Duo's admins)."""
        deadline, admin = Deadline(), self._admin()
        user_id = self._duo_user(deadline, admin, person)
        made = _call(
            deadline,
            admin,
            "add_user_bypass_codes",
            admin.add_user_bypass_codes,
            user_id,
            count=1,
            remaining_uses=uses,
            valid_secs=int(lifetime.total_seconds()),
            preserve_existing=False,
        )
        # One code of nine digits, or nothing is shown to anyone.
        if not (isinstance(made, list) and len(made) == 1):
            raise _malformed("add_user_bypass_codes")
        [plaintext] = made
        if not isinstance(plaintext, str) or not CODE.fullmatch(plaintext):
            raise _malformed("add_user_bypass_codes")
        # From here Duo has made the code and cleared the earlier ones: the person must
        # see it, even if its id cannot be read back. With preserve_existing false it is
        # the user's only code, so an unknown id is found again by being the only one.
        try:
            codes = self._user_codes(deadline, admin, user_id)
        except CodeStoreUnavailable:
            codes = []
        ours = codes[0] if len(codes) == 1 else None
        return NewCode(
            plaintext=plaintext,
            remote_id=f"{user_id}/{ours.id if ours else ''}",
            expires_at=ours.expires_at if ours else None,
        )

    def state(self, code):
        """Duo's figures for `code`, or None when Duo no longer has it.

        A code made before the portal ran in Duo account mode was never Duo's.
        """
        if "/" not in code.remote_id:
            return None
        user_id, code_id = code.remote_id.split("/", 1)
        try:
            codes = self._user_codes(Deadline(), self._admin(), user_id)
        except CodeStoreUnavailable as failure:
            if _gone(failure):
                return None
            raise
        ours = _find(codes, code_id)
        if ours is None:
            return None
        return RemoteState(reuse_count=ours.reuse_count, expires_at=ours.expires_at)

    def delete(self, code):
        """Delete `code` in Duo; one Duo no longer has (or never had) is as good as deleted."""
        if "/" not in code.remote_id:
            return
        user_id, code_id = code.remote_id.split("/", 1)
        deadline, admin = Deadline(), self._admin()
        doomed = [code_id]
        if not code_id:
            # Made when its id could not be read back: it is one of the user's codes, and
            # the portal leaves a person one code in Duo (make clears the others). Which
            # one is not known, so a revoke deletes them all rather than leave it usable.
            try:
                doomed = [duo_code.id for duo_code in self._user_codes(deadline, admin, user_id)]
            except CodeStoreUnavailable as failure:
                if _gone(failure):
                    return
                raise
        call = "delete_bypass_code_by_id"
        for duo_id in doomed:
            try:
                _call(deadline, admin, call, admin.delete_bypass_code_by_id, duo_id)
            except CodeStoreUnavailable as failure:
                if not _gone(failure):
                    raise

    def check(self, person, passcode):
        """Whether Duo accepts `passcode` for `person`: any Duo passcode, a bypass code included."""
        username = username_for(person)
        if username is None:
            raise CodeStoreRefusedPerson("unknown", "no Duo username outside DUO_USERNAME_DOMAIN")
        auth = self._auth()
        try:
            answer = _call(
                Deadline(),
                auth,
                "auth",
                auth.auth,
                "passcode",
                username=username,
                passcode=passcode,
            )
        except CodeStoreUnavailable as failure:
            if _duo_error(failure.__cause__) == BAD_PARAMETERS:
                # The passcode was well formed, so the username is what Duo does not know.
                raise CodeStoreRefusedPerson("unknown", "auth: Duo error 40002") from failure
            raise
        if not isinstance(answer, dict):
            raise _malformed("auth")
        return answer.get("result") == "allow"
