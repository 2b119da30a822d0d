from django.conf import settings

from bypass.stores import duo_account_mode


def portal(request):
    return {
        "DEVELOPMENT_MODE": settings.DEVELOPMENT_MODE,
        "HELPDESK_CONTACT": settings.HELPDESK_CONTACT,
        # Duo keeps the codes and checks every passcode: no authenticator apps here.
        "duo_account": duo_account_mode(),
        # Shown on error pages, for the helpdesk to find the request's log lines.
        "request_id": getattr(request, "request_id", ""),
    }
