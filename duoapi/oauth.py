"""The Universal Prompt's wire format, as duo_universal 2.3.1 speaks it.

Pure functions: a JWT and what it must say in, its claims or an OAuthError
out; and the id_token the application gets back. The views in
duoapi/universal.py read the request, call these and the models layer, and
answer. Every JWT is HS512, keyed with the integration's 40-character secret.
"""

import re
import secrets
import time
import warnings
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt

from duoportal.middleware import CONTROL_CHARACTERS

ALGORITHM = "HS512"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Seconds of clock difference between an application and the portal that are
# forgiven, the same leeway duo_universal gives the portal's id_token.
LEEWAY = 60
ID_TOKEN_LIFETIME = 300
# duo_universal's JWTs expire 300 s after they are made: one that claims to live
# longer (a year, say) is a URL or an assertion someone could keep and replay.
JWT_MAX_LIFETIME = 300
JTI_MAX_LENGTH = 255
STATE_LENGTH = (16, 1024)
REDIRECT_URI_LENGTH = (1, 256)
NONCE_MAX_LENGTH = 1024
USERNAME_MAX_LENGTH = 150
# A host name or an IPv4/IPv6 address, as urlsplit gives it (lower-cased, no
# brackets): nothing that could break out of a Content-Security-Policy source.
HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+")

# Duo fixes the secret at 40 characters, below the 64 bytes PyJWT recommends
# for HS512, so PyJWT warns on every use of it (duo_universal's own calls too).
# The length is Duo's protocol; the warning is noise here.
warnings.filterwarnings(
    "ignore", message=r"The HMAC key is 40 bytes long", category=jwt.InsecureKeyLengthWarning
)


class OAuthError(Exception):
    """A refusal, with OAuth's error name and a description for the application."""

    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def invalid_client(description):
    return OAuthError("invalid_client", description, status=401)


def invalid_request(description):
    return OAuthError("invalid_request", description)


def invalid_grant(description="The provided authorization grant is invalid, expired or used."):
    return OAuthError("invalid_grant", description)


def decode(token, keys, *, required):
    """The claims of `token`, verified HS512 with one of `keys`, and the key that signed it.

    `exp` is checked (a float is fine) with LEEWAY; `aud` is left to the
    caller, who knows which URL it must name.
    """
    if not isinstance(token, str) or not token:
        raise invalid_client("The JWT is missing.")
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                leeway=LEEWAY,
                options={"require": list(required), "verify_aud": False},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError as error:
            raise invalid_client("The JWT has expired.") from error
        except jwt.PyJWTError as error:
            raise invalid_client(f"The JWT is not valid: {error}") from error
        exp = claims["exp"]
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            # PyJWT takes "1767000000" (it calls int()); a number is what the protocol sends.
            raise invalid_client("The JWT's `exp` must be a number.")
        if exp > time.time() + JWT_MAX_LIFETIME + LEEWAY:
            raise invalid_client(f"The JWT must expire within {JWT_MAX_LIFETIME} seconds.")
        return claims, key
    raise invalid_client("The JWT signature is not valid.")


def names_endpoint(url, *, hostname, port, path):
    """Whether `url`, built by an application as https://{api_host}{path}, names this portal.

    duo_universal puts its configured host, with any port, in every `aud`.
    The host name must be the portal's API hostname; the port may be left
    out, 443, or the port the request came in on (gunicorn serving TLS itself).
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        url_port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.hostname == hostname
        and "@" not in parts.netloc
        and url_port in (None, 443, port)
        and parts.path == path
        and not parts.query
        and not parts.fragment
    )


def client_assertion(token, client_id, keys, audience):
    """Verify a client_assertion (health_check, token). Returns (claims, the key it used).

    iss and sub must both be the client id; `audience(aud)` says whether aud
    names the endpoint it was sent to. duo_universal sends no iat, and a jti
    of 36 letters and digits, which the caller keeps so it is used once.
    """
    claims, key = decode(token, keys, required=("exp", "iss", "sub", "aud", "jti"))
    if not isinstance(claims["jti"], str) or not 1 <= len(claims["jti"]) <= JTI_MAX_LENGTH:
        raise invalid_client(f"The `jti` claim must be 1 to {JTI_MAX_LENGTH} characters.")
    if claims["iss"] != client_id or claims["sub"] != client_id:
        raise invalid_client(
            "Invalid Client assertion: the `iss` and `sub` claims must be the client_id."
        )
    if not audience(claims["aud"]):
        raise invalid_client("Invalid Client assertion: the `aud` claim must be this endpoint.")
    return claims, key


@dataclass(frozen=True)
class AuthorizationClaims:
    """What an application's verified authorize `request` asks for."""

    username: str
    redirect_uri: str
    state: str
    nonce: str
    use_duo_code_attribute: bool


def authorization_request(token, client_id, keys, audience, query_nonce=""):
    """Verify the `request` JWT of an authorize URL. Returns AuthorizationClaims.

    duo_universal's request has iss and client_id (the client id), aud
    (https://{api_host}), exp, scope, response_type, state, redirect_uri,
    duo_uname and use_duo_code_attribute; the nonce, if any, comes in the
    query string. Other SDKs put the nonce in the claims: either is taken.
    """
    claims, _ = decode(token, keys, required=("exp", "iss", "aud"))
    if claims["iss"] != client_id or claims.get("client_id") != client_id:
        raise invalid_client("The request's `iss` and `client_id` must be the client id.")
    if not audience(claims["aud"]):
        raise invalid_client("The request's `aud` must be https://{api_host} of this portal.")
    if claims.get("response_type") != "code":
        raise invalid_request("`response_type` must be code.")
    scope = claims.get("scope")
    if not isinstance(scope, str) or "openid" not in scope.split():
        raise invalid_request("`scope` must include openid.")
    state = _text(claims.get("state"), "state", STATE_LENGTH)
    redirect_uri = _text(claims.get("redirect_uri"), "redirect_uri", REDIRECT_URI_LENGTH)
    if return_origin(redirect_uri) is None:
        raise invalid_request("`redirect_uri` must be an absolute http or https URL.")
    username = _text(claims.get("duo_uname"), "duo_uname", (1, USERNAME_MAX_LENGTH))
    return AuthorizationClaims(
        username=username,
        redirect_uri=redirect_uri,
        state=state,
        nonce=_nonce(claims.get("nonce"), query_nonce),
        use_duo_code_attribute=_flag(claims.get("use_duo_code_attribute", True)),
    )


def _text(value, name, length):
    shortest, longest = length
    if not isinstance(value, str) or not shortest <= len(value) <= longest:
        raise invalid_request(f"`{name}` must be {shortest} to {longest} characters.")
    if CONTROL_CHARACTERS.search(value):
        raise invalid_request(f"`{name}` holds a control character or a lone surrogate.")
    return value


def _nonce(claimed, queried):
    claimed, queried = claimed or "", queried or ""
    if claimed and queried and claimed != queried:
        raise invalid_request("The `nonce` in the query and in the request differ.")
    nonce = claimed or queried
    return _text(nonce, "nonce", (1, NONCE_MAX_LENGTH)) if nonce else ""


def _flag(value):
    if not isinstance(value, bool):
        raise invalid_request("`use_duo_code_attribute` must be true or false.")
    return value


def return_origin(uri):
    """The origin (scheme://host[:port]) of a redirect_uri, or None if it is not one.

    Only absolute http and https URLs without user information or a fragment
    are redirect URIs; the origin is what the prompt's form-action allows.
    """
    try:
        parts = urlsplit(uri)
        port = parts.port
    except (TypeError, ValueError):
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or parts.fragment:
        return None
    if not HOST.fullmatch(host):
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def back_to(redirect_uri, **params):
    """`redirect_uri` with `params` added to whatever query it already has."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def id_token(key, *, issuer, client_id, username, nonce, auth_time, context, now=None):
    """The signed id_token of an allowed prompt, shaped as Duo's and checked by duo_universal.

    duo_universal checks alg, aud (the client id, as a string), iss (exactly
    the token URL it called), exp, iat, preferred_username and nonce.
    """
    now = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "sub": username,
        "preferred_username": username,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "auth_time": int(auth_time),
        "auth_result": {"result": "allow", "status": "allow", "status_msg": "Login Successful"},
        "auth_context": context,
    }
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def token_response(token):
    """The token endpoint's answer; access_token is opaque and opens nothing else here."""
    return {
        "id_token": token,
        "access_token": secrets.token_urlsafe(32),
        "expires_in": ID_TOKEN_LIFETIME,
        "token_type": "Bearer",
    }
