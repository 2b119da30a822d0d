import ipaddress
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    """Who is asking: the person's address and browser, and through which application.

    `application` is empty on the portal's own pages. An application that calls
    the portal's Duo API (duoapi/) names itself there, and `ip` is then the
    person's address as the application reports it, and `detail` what else
    it said (the username it sent, the factor), for every audit event recorded
    while it is served.
    """

    ip: str | None = None
    user_agent: str = ""
    application: str = ""
    detail: dict = field(default_factory=dict)


# The request being served, for the audit trail. The models layer reads it so
# that views do not have to pass the IP address and browser to every call.
request_context = ContextVar("request_context", default=RequestContext())  # noqa: B039 (frozen)


# C0 and C1 control characters, DEL, and lone surrogates. PostgreSQL refuses NUL
# in text, and none of the controls belongs in a browser's name or an admin filter.
# A surrogate comes from a JSON escape ("\ud800") and cannot be written as UTF-8:
# not to the database, not to a log.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _address(text):
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # "fe80::1%eth0": an interface of some machine, not a person's address, and PostgreSQL's
    # inet refuses it.
    if getattr(address, "scope_id", None):
        return None
    # An IPv4 client of a server listening on [::] arrives as ::ffff:a.b.c.d: it is
    # a.b.c.d to the trail and the throttles (else every IPv4 client shares ::/64).
    return getattr(address, "ipv4_mapped", None) or address


def client_ip(request):
    """The asking person's address: REMOTE_ADDR, unless trusted proxies say otherwise.

    Anyone can send X-Forwarded-For, so it is read only as far as the
    settings trust it. With TRUSTED_PROXIES (networks), it is read from the
    right while each address is one of those proxies; the first that is not
    is the person's. With TRUSTED_PROXY_COUNT = n, each of n proxies appended
    the address it was called from, so the n-th from the right is the
    person's (as allauth reads it); a request with fewer entries did not come
    through them, and its own REMOTE_ADDR is taken.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    remote = _address(remote_addr)
    networks, count = settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # gunicorn on a unix socket gives no REMOTE_ADDR: the peer is a proxy on the same
    # host (nginx), as trusted as one on the loopback address would be.
    local_proxy = remote_addr == ""
    if not forwarded or not (networks or count) or not (remote or local_proxy):
        return str(remote) if remote else None
    hops = [_address(hop) for hop in forwarded.split(",")]
    if networks:
        for address in reversed(hops if local_proxy else [*hops, remote]):
            if address is None or not any(address in network for network in networks):
                return str(address) if address else None
        return str(hops[0])
    if len(hops) < count:
        return str(remote) if remote else None
    address = hops[-count]
    return str(address) if address else None


def audit_context(get_response):
    def middleware(request):
        token = request_context.set(
            RequestContext(
                ip=client_ip(request),
                user_agent=CONTROL_CHARACTERS.sub("", request.META.get("HTTP_USER_AGENT", "")),
            )
        )
        try:
            return get_response(request)
        finally:
            request_context.reset(token)

    return middleware
