from django.conf import settings


def portal(request):
    return {
        "DEVELOPMENT_MODE": settings.DEVELOPMENT_MODE,
        "HELPDESK_CONTACT": settings.HELPDESK_CONTACT,
    }
