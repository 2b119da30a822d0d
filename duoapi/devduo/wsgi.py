"""The stand-in as a WSGI application, for serving it over HTTPS with gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duoapi.devduo.settings")
application = get_wsgi_application()
