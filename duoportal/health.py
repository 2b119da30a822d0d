"""GET /healthz: whether this app server can serve, for load balancers and monitoring.

It is the first middleware, so it answers before anything else runs: no
session, no host check (a load balancer may ask by the server's address), no
HTTPS redirect (it may ask over plain HTTP on the inside), no audit event.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse

PATH = "/healthz"
logger = logging.getLogger(__name__)


def database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # A broken connection is not reused: the next request opens a new one.
        connection.close_if_unusable_or_obsolete()
        return "down"
    return "ok"


def cache_state():
    """The cache (Redis in production) holds the throttles' counts and nothing else that matters."""
    try:
        cache.set("healthz", "ok", 10)
        return "ok" if cache.get("healthz") == "ok" else "down"
    except Exception:  # The client library's own errors, whatever they are.
        logger.warning("The cache does not answer", exc_info=True)
        return "down"


def healthz(get_response):
    def middleware(request):
        if request.path != PATH:
            return get_response(request)
        state = {"database": database_state(), "cache": cache_state()}
        # Only the database takes a node out of the load balancer: without the
        # cache the portal still serves (its throttles let requests through),
        # and a Redis outage would otherwise take out every node at once.
        status = 200 if state["database"] == "ok" else 503
        overall = "ok" if status == 200 else "down"
        response = JsonResponse({"status": overall, **state}, status=status)
        response["Cache-Control"] = "no-store"
        return response

    return middleware
