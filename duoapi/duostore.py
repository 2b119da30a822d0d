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
import ssl
from datetime import UTC, datetime

import duo_client
from django.conf import settings

from bypass.stores import CodeStoreRefusedPerson, CodeStoreUnavailable, NewCode, RemoteState
from duoapi.usernames import username_for

# Duo's user statuses that can hold no bypass code (Admin API "Retrieve Users").
REFUSED_STATUSES = {"disabled": "disabled", "locked out": "locked_out"}
# Duo answers 404 with this code for a user or bypass code it does not have.
NOT_FOUND = 40401
BAD_PARAMETERS = 40002


def _client(kind, application):
    """A duo_client `kind` (Admin or Auth) for the DUO_<application>_* settings."""
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
    # A person is waiting: cap duo_client's own back-off on 429 (about a minute).
    client._MAX_BACKOFF_WAIT_SECS = settings.DUO_MAX_BACKOFF_SECONDS
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


def _call(call, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except NETWORK_ERRORS as error:
        raise _failure(error, call) from error


def _time(seconds):
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


class DuoStore:
    remote = True

    def _admin(self):
        return _client(duo_client.Admin, "ADMIN")

    def _auth(self):
        return _client(duo_client.Auth, "AUTH")

    def _duo_user(self, admin, person):
        users = _call("get_users_by_name", admin.get_users_by_name, username_for(person))
        if not users:
            raise CodeStoreRefusedPerson("unknown")
        user = users[0]
        refused = REFUSED_STATUSES.get(user.get("status"))
        if refused:
            raise CodeStoreRefusedPerson(refused)
        return user["user_id"]

    def make(self, person, *, uses, lifetime):
        """One code for `person`, clearing every earlier one (made here or by Duo's admins)."""
        admin = self._admin()
        user_id = self._duo_user(admin, person)
        made = _call(
            "add_user_bypass_codes",
            admin.add_user_bypass_codes,
            user_id,
            count=1,
            remaining_uses=uses,
            valid_secs=int(lifetime.total_seconds()),
            preserve_existing=False,
        )
        if not (isinstance(made, list) and len(made) == 1):
            raise CodeStoreUnavailable("add_user_bypass_codes: not one code in the answer")
        [plaintext] = made
        # With preserve_existing false the new code is the user's only one.
        codes = list(_call("get_user_bypass_codes", admin.get_user_bypass_codes, user_id))
        if len(codes) != 1:
            # Someone made another code in between: which is ours cannot be told.
            raise CodeStoreUnavailable(f"get_user_bypass_codes: {len(codes)} codes, expected 1")
        return NewCode(
            plaintext=plaintext,
            remote_id=f"{user_id}/{codes[0]['bypass_code_id']}",
            expires_at=_time(codes[0].get("expiration")),
        )

    def state(self, code):
        """Duo's figures for `code`, or None when Duo no longer has it.

        A code made before the portal ran in Duo account mode was never Duo's.
        """
        if "/" not in code.remote_id:
            return None
        user_id, code_id = code.remote_id.split("/", 1)
        try:
            codes = self._admin().get_user_bypass_codes(user_id)
            for duo_code in codes:
                if duo_code["bypass_code_id"] == code_id:
                    return RemoteState(
                        reuse_count=duo_code.get("reuse_count"),
                        expires_at=_time(duo_code.get("expiration")),
                    )
        except NETWORK_ERRORS as error:
            if _duo_error(error) == NOT_FOUND:
                return None
            raise _failure(error, "get_user_bypass_codes") from error
        return None

    def delete(self, code):
        """Delete `code` in Duo; one Duo no longer has (or never had) is as good as deleted."""
        if "/" not in code.remote_id:
            return
        _, code_id = code.remote_id.split("/", 1)
        try:
            self._admin().delete_bypass_code_by_id(code_id)
        except NETWORK_ERRORS as error:
            if _duo_error(error) != NOT_FOUND:
                raise _failure(error, "delete_bypass_code_by_id") from error

    def check(self, person, passcode):
        """Whether Duo accepts `passcode` for `person`: any Duo passcode, a bypass code included."""
        try:
            answer = self._auth().auth("passcode", username=username_for(person), passcode=passcode)
        except NETWORK_ERRORS as error:
            if _duo_error(error) == BAD_PARAMETERS:
                # The passcode was well formed, so the username is what Duo does not know.
                raise CodeStoreRefusedPerson("unknown", "auth: Duo error 40002") from error
            raise _failure(error, "auth") from error
        return answer.get("result") == "allow"
