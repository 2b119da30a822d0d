"""gunicorn's settings for the portal: `gunicorn -c deploy/gunicorn.conf.py duoportal.wsgi`.

Everything can be set from the environment (an EnvironmentFile of the
systemd unit, say); the defaults suit one app server with a few cores.
"""

import os

cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One worker per core; threads so that a worker's argon2 hashes, which release
# the GIL, overlap its Python work and its waits on the database and on Duo.
workers = int(os.environ.get("GUNICORN_WORKERS", cores))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# GUNICORN_THREADS=1: plain sync workers, one request at a time each, with less
# CPU a call than a pool of one thread (docs/deploy.md says when that suits).
worker_class = "gthread" if threads > 1 else "sync"
# At most this many argon2 hashes at once per worker, so the machine runs one
# per core (docs/performance.md); more would only slow each other down.
os.environ.setdefault("ARGON2_CONCURRENCY", str(max(1, cores // workers)))

# A request is a few database statements and at most one hash, or in Duo
# account mode a Duo call capped by DUO_TIMEOUT_SECONDS: 30 s means stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Behind a proxy or load balancer that keeps connections open to the app servers.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# A worker is replaced after this many requests (with jitter, so not all at
# once): whatever a library might leak stays bounded. 0 turns it off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = max_requests // 10

# The application logs each request itself, as JSON with its request id;
# gunicorn's access log would say it twice.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's own lines (its start, a worker that timed out) as JSON too when the portal's
# are (LOG_FORMAT, whose default is JSON in production: duoportal/settings.py), so the log
# collector reads one format.
production = os.environ.get("DUOPORTAL_ENV") == "production"
if os.environ.get("LOG_FORMAT", "json" if production else "text") == "json":
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            name: {"level": level, "handlers": ["json"], "propagate": False, "qualname": name}
            for name, level in (("gunicorn.error", loglevel.upper()), ("gunicorn.access", "INFO"))
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "{asctime}{levelname}{name}{message}",
                "style": "{",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
    }
# The portal, not gunicorn, decides which proxy to believe (TRUSTED_PROXY_COUNT).
forwarded_allow_ips = ""
# systemd stops and reloads the service with signals; no control socket is
# left in the service user's home.
control_socket_disable = True
# Load the application once in the master: workers fork with it, and a broken
# configuration stops the start instead of every worker in turn.
preload_app = True
