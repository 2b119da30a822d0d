import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duoportal.settings")
application = get_asgi_application()

# The app server runs no system checks (manage.py does): a production portal set up to
# sign in with the development identity provider, say, must not start.
from duoportal.checks import refuse_to_serve  # noqa: E402 (needs the settings loaded)

refuse_to_serve()
