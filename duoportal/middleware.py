import ipaddress
import re
from contextvars import ContextVar
from dataclasses import dataclass, field


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


# C0 and C1 control characters and DEL. PostgreSQL refuses NUL in text, and none
# of them belongs in a browser's name or an admin filter.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _client_ip(request):
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_context(get_response):
    def middleware(request):
        token = request_context.set(
            RequestContext(
                ip=_client_ip(request),
                user_agent=CONTROL_CHARACTERS.sub("", request.META.get("HTTP_USER_AGENT", "")),
            )
        )
        try:
            return get_response(request)
        finally:
            request_context.reset(token)

    return middleware
