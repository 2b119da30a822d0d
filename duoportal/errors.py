"""The 500 handler: a page (or Duo's envelope) that names the request, never a traceback.

A database that does not answer (restarting, failing over) is a 503: the
request can simply be tried again, and load balancers and duo_client know it.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

from duoportal.logs import request_id

# Applications, not people, call these: they get Duo's error envelope.
API_PREFIXES = ("/auth/v2/", "/admin/v1/", "/oauth/v1/token")


def server_error(request):
    unavailable = isinstance(sys.exception(), OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith(API_PREFIXES):
        message = "Service Unavailable" if unavailable else "Internal Server Error"
        response = JsonResponse(
            {
                "stat": "FAIL",
                "code": status * 100 + 1,
                "message": message,
                "message_detail": f"request {request_id.get()}",
            },
            status=status,
        )
    else:
        # No context processors: what they read (the person, the session) may be
        # what failed.
        template = "503.html" if unavailable else "500.html"
        page = loader.render_to_string(template, {"request_id": request_id.get()})
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = "5"
    return response
