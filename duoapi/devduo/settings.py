"""Settings of the development stand-in for Duo's cloud (Admin API and Auth API subset).

A separate Django site with its own SQLite database, run in its own process
like the development identity provider, so the portal's duo_client calls are
real HTTP requests. It is never part of the portal's INSTALLED_APPS and never
runs in production.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("DUOPORTAL_ENV") == "production":
    raise ImproperlyConfigured("The development stand-in for Duo never runs in production.")

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = True
SECRET_KEY = "development-duo-stand-in-key-not-secret"  # noqa: S105 (demo only)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = ["duoapi.devduo"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "duoapi.devduo.urls"
TEMPLATES = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEVDUO_DATABASE_PATH", str(BASE_DIR / "devduo.sqlite3")),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Duo's paths have no trailing slash; never redirect them.
APPEND_SLASH = False

# The host name clients sign for (duo_client signs its `host` without the
# port). Empty: the Host header of each request, without its port.
DEVDUO_HOSTNAME = os.environ.get("DEVDUO_HOSTNAME", "").lower()

# The two integrations, as `devduo_setup` stores them when given no keys.
# Development values only: the stand-in holds no real secret.
DEVDUO_ADMIN_IKEY = os.environ.get("DEVDUO_ADMIN_IKEY", "DIDEVDUOADMIN0000000")
DEVDUO_ADMIN_SKEY = os.environ.get("DEVDUO_ADMIN_SKEY", "devduo-admin-secret-key-0000000000000000")
DEVDUO_AUTH_IKEY = os.environ.get("DEVDUO_AUTH_IKEY", "DIDEVDUOAUTH00000000")
DEVDUO_AUTH_SKEY = os.environ.get("DEVDUO_AUTH_SKEY", "devduo-auth-secret-key-00000000000000000")
# Who the Admin API reports as having made a code (`admin_email`).
DEVDUO_ADMIN_EMAIL = os.environ.get("DEVDUO_ADMIN_EMAIL", "portal@example.edu")

USE_TZ = True
TIME_ZONE = "UTC"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
