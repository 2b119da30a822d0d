"""Settings of the development identity provider, a stand-in for Microsoft 365.

It is a separate Django site with its own database, URLs and cookie names
(cookies on 127.0.0.1 are shared between ports, so the portal's and the
provider's must not collide). It never runs in production.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("DUOPORTAL_ENV") == "production":
    raise ImproperlyConfigured("The development identity provider never runs in production.")

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = True
SECRET_KEY = "development-identity-provider-key-not-secret"  # noqa: S105 (demo only)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "duoportal.devidp",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "duoportal.devidp.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEVIDP_DATABASE_PATH", str(BASE_DIR / "devidp.sqlite3")),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_NAME = "devidp_sessionid"
CSRF_COOKIE_NAME = "devidp_csrftoken"
LOGIN_URL = "/login/"

# Entra's scope for reading the signed-in person's profile from Graph.
OAUTH2_PROVIDER = {
    "SCOPES": {"User.Read": "Sign you in and read your profile"},
    "DEFAULT_SCOPES": ["User.Read"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
}

# The client the portal's development settings use (see duoportal/settings.py).
PORTAL_CLIENT_ID = "duoportal-dev"
PORTAL_CLIENT_SECRET = "duoportal-dev-secret"  # noqa: S105 (demo only)
# django-oauth-toolkit accepts any port for a loopback IP redirect URI.
PORTAL_REDIRECT_URI = "http://127.0.0.1/accounts/microsoft/login/callback/"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
