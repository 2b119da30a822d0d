"""Settings for duoportal: one file, read from the environment.

With no environment variable set, this is the embedded development default
(DEBUG on, SQLite in the repository, console e-mail, local-memory cache, no
reCAPTCHA keys). Production is chosen explicitly with DUOPORTAL_ENV=production;
only then is every production setting required, and a missing one stops the
process at start-up instead of running half-configured.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DUOPORTAL_ENV = env.str("DUOPORTAL_ENV", default="development")
if DUOPORTAL_ENV not in ("development", "production"):
    raise ImproperlyConfigured("DUOPORTAL_ENV must be 'development' or 'production'.")
PRODUCTION = DUOPORTAL_ENV == "production"


def required(kind, name, default):
    """A setting that production must give and development may default.

    `kind` names the django-environ reader ("str", "list", "db_url"...);
    without a default it raises ImproperlyConfigured naming the variable.
    """
    read = getattr(env, kind)
    return read(name) if PRODUCTION else read(name, default=default)


def refuse(name, why):
    raise ImproperlyConfigured(f"{name}: {why}")


DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    # Debug pages show settings, SQL and tracebacks to whoever causes an error.
    refuse("DEBUG", "must be off in production.")
# Shown as a banner on every page, so nobody mistakes a demo for the real portal.
DEVELOPMENT_MODE = not PRODUCTION

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = required("str", "SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (
    SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    # It signs sessions' second factor, the card import's confirm step and the Universal
    # Prompt's codes: this repository's key, or one short enough to guess, signs for anyone.
    refuse("SECRET_KEY", "must be 50 or more random characters of your own in production.")
# Earlier keys while rotating SECRET_KEY: what they signed (sessions, the card
# import's confirm) stays valid until it expires.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = required("list", "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    # Any Host header would be believed, and it builds absolute URLs (sign-out).
    refuse("ALLOWED_HOSTS", "name the portal's host names in production, not '*'.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "duoportal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.microsoft",
    "django_recaptcha",
    "duoportal",
    "bypass",
    "rescue",
    "duoapi",
]

MIDDLEWARE = [
    # First: load balancers ask it before any host check, redirect or session.
    "duoportal.health.healthz",
    # Every other request: its id, and one log line when it is answered.
    "duoportal.logs.requests_logged",
    "django.middleware.security.SecurityMiddleware",
    # Static files, compressed and with hashed names, from each app server itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    "duoportal.middleware.audit_context",
]

ROOT_URLCONF = "duoportal.urls"
WSGI_APPLICATION = "duoportal.wsgi.application"
AUTH_USER_MODEL = "duoportal.User"
# Everyone, helpdesk included, signs in with Microsoft 365 through allauth;
# nobody has a password (see duoportal/backends.py).
AUTHENTICATION_BACKENDS = ["duoportal.backends.MicrosoftSignInBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duoportal.context_processors.portal",
            ],
        },
    },
]

# Widget templates from templates/ too (the reCAPTCHA widget is overridden there).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: SQLite in the repository unless DATABASE_URL says otherwise.
DATABASES = {
    "default": required("db_url", "DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if not DATABASES["default"].get("ENGINE"):
    # An empty or misspelt DATABASE_URL would otherwise surface as a KeyError.
    refuse("DATABASE_URL", "not a database URL (sqlite:///path or postgres://user@host:port/name).")
# Persistent connections, checked before reuse, unless DATABASE_URL says
# otherwise (?conn_max_age=0 closes each at the end of its request): a new
# PostgreSQL connection costs more than a whole bypass-code check.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
# django-environ leaves "?conn_health_checks=false" a string, which is true.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.parse_value(
    str(DATABASES["default"].get("CONN_HEALTH_CHECKS", True)), bool
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so concurrent
    # writers queue (for up to `timeout` seconds) instead of failing with
    # "database is locked" halfway through a transaction. WAL lets reads go on
    # while one writes and makes each commit cheaper: a check is a few short
    # transactions (see ProofLockManager.attempt), and every Duo API call
    # writes an audit event. With synchronous=NORMAL a commit waits for no
    # fsync (a power cut may lose the last commits, never corrupt the file).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not Django's shared in-memory database: threads in the
    # concurrency tests need real SQLite locking, which shared cache lacks.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis in production (CACHE_URL=redis://...), local memory in development.
# It holds the throttles' counts only: sessions are in the database.
CACHES = {"default": required("cache_url", "CACHE_URL", "locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that does not answer costs a request at most this long, then the
    # throttles let it through (duoportal/throttles.py).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )


def throttle_rate(name, default):
    """A rate such as "30/m" or "50/s" (django-ratelimit's), or None for "off"."""
    rate = env.str(name, default=default).strip().lower()
    if rate == "off":
        return None
    if not re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]", rate):
        refuse(name, 'give a rate such as "30/m" or "50/s", or "off".')
    return rate


# Every check that hashes is throttled: the screens and the portal's prompt
# per client address (campus NAT puts many people behind one, so generous),
# the Duo API and the Universal Prompt per integration.
THROTTLE_PER_ADDRESS = throttle_rate("THROTTLE_PER_ADDRESS", "30/m")
THROTTLE_PER_INTEGRATION = throttle_rate("THROTTLE_PER_INTEGRATION", "50/s")
# django-ratelimit: a count the cache could not give (a key that expired between
# its add and its increment) lets the request through rather than refusing it.
RATELIMIT_FAIL_OPEN = True

# Sign-in with Microsoft 365 (Entra ID) through allauth's microsoft provider.
# In development it talks to the local identity provider (duoportal/devidp),
# which `make run` starts on IDP_PORT; production talks to Microsoft.
IDP_PORT = env.int("IDP_PORT", default=env.int("PORT", default=8000) + 1)
DEV_IDP_URL = f"http://127.0.0.1:{IDP_PORT}"
MICROSOFT_TENANT_ID = required("str", "MICROSOFT_TENANT_ID", "devtenant")
MICROSOFT_LOGIN_URL = env.str(
    "MICROSOFT_LOGIN_URL",
    default="https://login.microsoftonline.com" if PRODUCTION else DEV_IDP_URL,
)
MICROSOFT_GRAPH_URL = env.str(
    "MICROSOFT_GRAPH_URL",
    default="https://graph.microsoft.com" if PRODUCTION else DEV_IDP_URL,
)
# Only people whose user principal name ends in one of these domains may sign
# in (empty: anyone the tenant lets through).
MICROSOFT_ALLOWED_DOMAINS = [
    d.lower().lstrip("@") for d in env.list("MICROSOFT_ALLOWED_DOMAINS", default=[])
]
SOCIALACCOUNT_PROVIDERS = {
    "microsoft": {
        "APPS": [
            {
                "client_id": required("str", "MICROSOFT_CLIENT_ID", "duoportal-dev"),
                "secret": required("str", "MICROSOFT_CLIENT_SECRET", "duoportal-dev-secret"),
                "settings": {
                    "tenant": MICROSOFT_TENANT_ID,
                    "login_url": MICROSOFT_LOGIN_URL,
                    "graph_url": MICROSOFT_GRAPH_URL,
                },
            }
        ],
        "SCOPE": ["User.Read"],
        "OAUTH_PKCE_ENABLED": True,
    }
}
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_ADAPTER = "duoportal.adapters.MicrosoftAccountAdapter"
# allauth reads the client's address as the portal does (middleware.client_ip).
ACCOUNT_ADAPTER = "duoportal.adapters.PortalAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
# Never link accounts by e-mail address (CVE-2023-36871): people are keyed on
# the Entra object id, and the adapter attaches a first sign-in by username.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# allauth's rate limits guard password, e-mail and sign-up forms the portal does not
# have (SOCIALACCOUNT_ONLY), and they read the cache without letting a request through
# when Redis is down: a 500. The portal's own throttles guard every check that hashes.
ACCOUNT_RATE_LIMITS = False

# Sessions: gone when the browser closes (a borrowed phone), at most 8 hours. In
# the database, as Django's own backend keeps them (duoportal/sessions.py).
SESSION_ENGINE = "duoportal.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 8 * 60 * 60
# The protected part asks for the second factor again after this much idleness.
SECOND_FACTOR_IDLE_TIMEOUT = timedelta(minutes=env.float("SECOND_FACTOR_IDLE_MINUTES", default=15))

# TOTP secrets cannot be hashed, so they are encrypted (Fernet). Several keys,
# comma-separated, allow rotation: the first encrypts, all decrypt.
TOTP_ENCRYPTION_KEYS = required("list", "TOTP_ENCRYPTION_KEYS", [])
if PRODUCTION and not [key for key in TOTP_ENCRYPTION_KEYS if key.strip()]:
    # Development derives a key from SECRET_KEY; production must have its own.
    refuse("TOTP_ENCRYPTION_KEYS", "give at least one Fernet key in production.")
# The name an authenticator app shows beside the person's codes.
TOTP_ISSUER = env.str("TOTP_ISSUER", default="DUO Self-Service Portal")
# Where a person with neither card nor rescue code, or a refused sign-in, turns.
HELPDESK_CONTACT = env.str("HELPDESK_CONTACT", default="helpdesk@example.edu, +852 0000 0000")

# Content-Security-Policy: no inline script or style anywhere in the portal;
# only reCAPTCHA's script and frame come from another host. Forms may also
# lead to Microsoft (sign-in and sign-out POSTs redirect there). Django admin
# keeps its own inline styles, so it is left out.
RECAPTCHA_SOURCES = ["https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"]
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *RECAPTCHA_SOURCES],
        "frame-src": ["https://www.google.com/recaptcha/", "https://recaptcha.google.com/"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", MICROSOFT_LOGIN_URL],
    },
}

# E-mail: printed to the console in development, SMTP (EMAIL_URL) in production.
if PRODUCTION:
    vars().update(env.email_url("EMAIL_URL"))
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="duoportal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Notices are sent while a person waits for the page: a mail server that does not
# answer costs them at most this long (Django's default is to wait for ever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# reCAPTCHA v2 checkbox. Production must have real keys; development without
# keys uses a clearly labelled local check, so Google's test-key warning is
# silenced in development only.
RECAPTCHA_PUBLIC_KEY = required("str", "RECAPTCHA_PUBLIC_KEY", "")
RECAPTCHA_PRIVATE_KEY = required("str", "RECAPTCHA_PRIVATE_KEY", "")
SILENCED_SYSTEM_CHECKS = [] if PRODUCTION else ["django_recaptcha.recaptcha_test_key_error"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Hong_Kong")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes; development serves the source folders and needs none.
STATIC_ROOT = env.str("STATIC_ROOT", default="") or (
    str(BASE_DIR / "staticfiles") if PRODUCTION else None
)
# Production serves what `manage.py collectstatic` wrote to STATIC_ROOT: names
# carry a hash of the content (cached for a year) and gzip/brotli copies sit
# beside them. Development and the tests serve the source folders as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Behind a reverse proxy or load balancer: how far X-Forwarded-For and
# X-Forwarded-Proto are believed (duoportal/middleware.py, client_ip). Either
# the number of proxies in front of the app servers, each appending to
# X-Forwarded-For, or their networks. Without either, the client's address is
# REMOTE_ADDR and the scheme is gunicorn's own, whatever headers say.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def _ipv4_if_mapped(network):
    # The portal reads ::ffff:10.0.0.5 as 10.0.0.5 (middleware._address), so a proxy
    # network written the mapped way, ::ffff:10.0.0.0/104, is 10.0.0.0/8.
    if network.version == 6 and network.subnet_of(MAPPED):
        return ipaddress.ip_network(
            (network.network_address.ipv4_mapped, network.prefixlen - 96), strict=False
        )
    return network


try:
    TRUSTED_PROXIES = [
        _ipv4_if_mapped(ipaddress.ip_network(network.strip(), strict=False))
        for network in env.list("TRUSTED_PROXIES", default=[])
        if network.strip()
    ]
except ValueError as error:
    refuse("TRUSTED_PROXIES", f"{error}; give networks such as 10.0.0.0/8 or 192.0.2.10.")
if TRUSTED_PROXY_COUNT < 0:
    refuse("TRUSTED_PROXY_COUNT", "must be 0 or more.")
if TRUSTED_PROXY_COUNT or TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Subdomains of the portal's own host name (not its siblings): there are none to spare.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)

# Argon2id cost for codes at rest. The default is OWASP's minimum for
# argon2id (19 MiB, 2 passes, 1 lane): a verification stays in the tens of
# milliseconds, so the verify API keeps up under load, while the lockout
# below is what stops online guessing.
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_MEMORY_COST = env.int("ARGON2_MEMORY_COST", default=19456)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)
# Hashes one process computes at once (see duoportal/hashing.py): the number of
# cores, divided by the number of worker processes on the machine.
ARGON2_CONCURRENCY = env.int("ARGON2_CONCURRENCY", default=os.cpu_count() or 1)

# The rules of the user guide: 20 uses within 12 hours.
BYPASS_CODE_MAX_USES = env.int("BYPASS_CODE_MAX_USES", default=20)
BYPASS_CODE_LIFETIME = timedelta(hours=env.float("BYPASS_CODE_LIFETIME_HOURS", default=12))
# A code the helpdesk issues on someone's behalf may be shorter-lived or have
# fewer uses than the guide's (by default the same).
HELPDESK_CODE_LIFETIME = timedelta(
    minutes=env.float(
        "HELPDESK_CODE_LIFETIME_MINUTES", default=BYPASS_CODE_LIFETIME.total_seconds() / 60
    )
)
HELPDESK_CODE_MAX_USES = env.int("HELPDESK_CODE_MAX_USES", default=BYPASS_CODE_MAX_USES)
# The card register uploaded in admin is kept in memory only, up to this size.
# Its confirm step posts it back base64-encoded (4/3 of the size) as a form
# field, which DATA_UPLOAD_MAX_MEMORY_SIZE caps: raised to fit when this is.
CARD_IMPORT_MAX_BYTES = env.int("CARD_IMPORT_MAX_BYTES", default=10 * 2**20)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, CARD_IMPORT_MAX_BYTES * 4 // 3 + 2**16)
RESCUE_CODE_COUNT = env.int("RESCUE_CODE_COUNT", default=5)
# What manage.py purge deletes: bypass codes (with where they were used) this
# long after they expired, audit events this long after they happened (0:
# never).
BYPASS_CODE_RETENTION = timedelta(days=env.int("BYPASS_CODE_RETENTION_DAYS", default=90))
AUDIT_RETENTION = timedelta(days=env.int("AUDIT_RETENTION_DAYS", default=400))
for name, kept in (
    ("BYPASS_CODE_RETENTION_DAYS", BYPASS_CODE_RETENTION),
    ("AUDIT_RETENTION_DAYS", AUDIT_RETENTION),
):
    if kept < timedelta(0):
        # A negative age would purge what is live, or the whole trail.
        refuse(name, "must be 0 or more days.")
# A passed card check is good for one code within this time (GET BYPASS CODE).
CARD_CHECK_LIFETIME = timedelta(minutes=env.float("CARD_CHECK_LIFETIME_MINUTES", default=5))
# People read these as "within 12 hours" and "within 5 minutes": whole numbers, or a
# 1.5-hour code would be shown as good for 2 hours.
for name, lifetime, unit in (
    ("BYPASS_CODE_LIFETIME_HOURS", BYPASS_CODE_LIFETIME, timedelta(hours=1)),
    ("CARD_CHECK_LIFETIME_MINUTES", CARD_CHECK_LIFETIME, timedelta(minutes=1)),
):
    if lifetime < unit or lifetime % unit:
        refuse(name, "must be a whole number, 1 or more.")
# Brute force: 10 consecutive failures lock that kind of proof for 30 minutes,
# as Duo does by default.
PROOF_MAX_FAILURES = env.int("PROOF_MAX_FAILURES", default=10)
PROOF_LOCKOUT = timedelta(minutes=env.float("PROOF_LOCKOUT_MINUTES", default=30))
# Numbers that make the rules: 0 or a negative would switch a protection off. (The
# benchmarks set PROOF_MAX_FAILURES huge on purpose: their load is no guessing.)
for name, value, least, most in (
    ("BYPASS_CODE_MAX_USES", BYPASS_CODE_MAX_USES, 1, None),
    ("HELPDESK_CODE_MAX_USES", HELPDESK_CODE_MAX_USES, 1, None),
    ("RESCUE_CODE_COUNT", RESCUE_CODE_COUNT, 1, 100),
    ("PROOF_MAX_FAILURES", PROOF_MAX_FAILURES, 1, None),
    ("PROOF_LOCKOUT_MINUTES", PROOF_LOCKOUT / timedelta(minutes=1), 1, None),
    ("HELPDESK_CODE_LIFETIME_MINUTES", HELPDESK_CODE_LIFETIME / timedelta(minutes=1), 1, None),
):
    if value < least or (most is not None and value > most):
        refuse(name, f"must be {least} or more" + (f", and {most} or less." if most else "."))
# OWASP's least argon2id cost (19 MiB twice, or its equivalents down to 7 MiB five times).
if PRODUCTION and ARGON2_MEMORY_COST * ARGON2_TIME_COST < 7168 * 5:
    refuse("ARGON2_MEMORY_COST", "and ARGON2_TIME_COST are below OWASP's least argon2id cost.")
# Checks of one kind of proof of one person run side by side, at most
# PROOF_MAX_FAILURES at a time (failures counted included). One that finds
# every place taken waits this long for one to free up, then is told "busy,
# try again", which counts as no failure.
PROOF_BUSY_WAIT = timedelta(seconds=env.float("PROOF_BUSY_WAIT_SECONDS", default=5))
# A place not given back (its worker was killed mid-check) is forgotten this
# long after the person's newest attempt began; a check takes milliseconds.
PROOF_RESERVATION_TIMEOUT = timedelta(
    seconds=env.float("PROOF_RESERVATION_TIMEOUT_SECONDS", default=60)
)

# Duo's protocols (duoapi/): applications that speak Duo check passcodes here.
# The host name they sign requests for; without it, the Host header's name.
PORTAL_API_HOSTNAME = env.str("PORTAL_API_HOSTNAME", default="")
# Where a person without a code is sent to get one; without it, this portal's
# home page on the host the application called.
PORTAL_URL = env.str("PORTAL_URL", default="")
# How the portal names a person to Duo: "{upn}" (alice@example.edu, as is) or
# "{local}" (alice, as duo_unix sends a Unix login). A name without a domain
# gets DUO_USERNAME_DOMAIN added back when it is mapped to a person.
DUO_USERNAME_FORMAT = env.str("DUO_USERNAME_FORMAT", default="{upn}")
DUO_USERNAME_DOMAIN = env.str("DUO_USERNAME_DOMAIN", default="").lower().lstrip("@")
if DUO_USERNAME_FORMAT not in ("{upn}", "{local}"):
    refuse("DUO_USERNAME_FORMAT", "must be {upn} or {local}.")
if DUO_USERNAME_FORMAT == "{local}" and not DUO_USERNAME_DOMAIN:
    refuse("DUO_USERNAME_DOMAIN", "is needed with DUO_USERNAME_FORMAT={local}.")
# What preauth answers for a name the portal does not know: "enroll" (sends
# them to the portal, as for a person without a code) or "deny".
DUO_UNKNOWN_USERS = env.str("DUO_UNKNOWN_USERS", default="enroll")
if DUO_UNKNOWN_USERS not in ("enroll", "deny"):
    refuse("DUO_UNKNOWN_USERS", "must be enroll or deny.")

# Duo account mode (docs/duo-account.md): with all six set, Duo makes, counts and
# checks the bypass codes; with none, the portal does (standalone). A partial set
# refuses to start: falling back to standalone would issue codes that every
# Duo-protected application rejects.
DUO_ACCOUNT_SETTINGS = (
    "DUO_ADMIN_API_HOST",
    "DUO_ADMIN_IKEY",
    "DUO_ADMIN_SKEY",
    "DUO_AUTH_API_HOST",
    "DUO_AUTH_IKEY",
    "DUO_AUTH_SKEY",
)
DUO_ACCOUNT = {name: env.str(name, default="").strip() for name in DUO_ACCOUNT_SETTINGS}
_missing = [name for name, value in DUO_ACCOUNT.items() if not value]
if _missing and len(_missing) < len(DUO_ACCOUNT):
    refuse(
        ", ".join(_missing),
        "missing: Duo account mode needs all of " + ", ".join(DUO_ACCOUNT_SETTINGS) + ".",
    )
# Empty: duo_client's own pinned Duo certificate authorities (production).
# A PEM file: a stand-in's certificate. HTTP: plain HTTP, development only.
DUO_CA_CERTS = env.str("DUO_CA_CERTS", default="") or None
if PRODUCTION and DUO_CA_CERTS == "HTTP":
    refuse("DUO_CA_CERTS", "HTTP sends Duo's keys and codes in the clear: never in production.")
# A person waits for these calls: all of a page's calls together give up after
# DUO_TIMEOUT_SECONDS (duoapi.duostore.Deadline). Duo's "429 slow down" is retried
# after 1-2 s, then 2-3 s, ... while the back-off is at most DUO_MAX_BACKOFF_SECONDS
# and the retry still fits that time (duo_client alone would wait about a minute),
# so a page answers well within the proxy's timeout.
DUO_TIMEOUT_SECONDS = env.float("DUO_TIMEOUT_SECONDS", default=5)
DUO_MAX_BACKOFF_SECONDS = env.int("DUO_MAX_BACKOFF_SECONDS", default=1)
# Which store keeps the codes is the one switch of the mode (bypass.stores.duo_account_mode).
BYPASS_CODE_STORE = "bypass.stores.LocalStore" if _missing else "duoapi.duostore.DuoStore"

# One line per request and per event, each with the request's id: JSON in
# production (for the log collector), text in development (LOG_FORMAT).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    refuse("LOG_FORMAT", "must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "duoportal.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{asctime}{levelname}{name}{message}{request_id}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
