"""Logs: one line per request, and each line of the request's events, with the request's id.

The id is also sent back in the X-Request-ID header and shown on error pages,
so a person can read it to the helpdesk and the helpdesk can find the lines.
Nothing here logs a query string, a form or a header: codes, serials and
secrets travel in those, and must never reach a log.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished

from duoportal.middleware import client_ip

request_id = ContextVar("request_id", default="-")
logger = logging.getLogger("duoportal.requests")

# An id a trusted proxy or load balancer already gave the request: kept, so
# its lines and the portal's match. Anything else is replaced.
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (for the formatter).

    Django's own records (django.request) carry the request, whose text is
    its full path, query string included: only its method and path are kept.
    """

    def filter(self, record):
        record.request_id = request_id.get()
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{request.method} {request.path}"
        return True


def _forget_request_id(**kwargs):
    request_id.set("-")


# Django logs a 4xx or 5xx (django.request) after the middleware has answered:
# the id stays set until the response is finished, then is forgotten.
request_finished.connect(_forget_request_id)


def _id_for(request):
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    trusted = settings.TRUSTED_PROXY_COUNT or settings.TRUSTED_PROXIES
    if trusted and INCOMING_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def requests_logged(get_response):
    def middleware(request):
        request.request_id = _id_for(request)
        request_id.set(request.request_id)
        started = time.perf_counter()
        response = get_response(request)
        response["X-Request-ID"] = request.request_id
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "ip": client_ip(request),
            },
        )
        return response

    return middleware
