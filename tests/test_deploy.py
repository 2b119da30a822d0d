"""The portal as docs/deploy.md runs it: production settings, collectstatic, gunicorn with
deploy/gunicorn.conf.py, behind a proxy that sets X-Forwarded-For and X-Forwarded-Proto."""

import json
import os
import re
import runpy
import subprocess
import sys

import pytest
import requests

from tests.devsite import ROOT, free_port
from tests.gunicorn import database_url, wait_until_up
from tests.test_settings import PRODUCTION, UNSAFE_SIGN_IN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def production(tmp_path):
    """gunicorn -c deploy/gunicorn.conf.py with production settings on the test database."""
    from django.db import connection

    port = free_port()
    env = {
        **os.environ,
        **PRODUCTION,
        "DATABASE_URL": database_url(connection),
        "STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "ALLOWED_HOSTS": "localhost",
        "TRUSTED_PROXY_COUNT": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "duoportal.wsgi"],
        cwd=ROOT, env=env, stderr=log,
    )  # fmt: skip
    url = f"http://localhost:{port}"
    try:
        wait_until_up(url, process, None, path="/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_it_serves_hashed_compressed_static_files_behind_a_proxy(production):
    # What nginx adds: the client's address and that it came over HTTPS.
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    home = requests.get(production + "/", headers=proxy, timeout=10)
    assert home.status_code == 200
    style = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', home.text).group(1)

    served = requests.get(
        production + style, headers={**proxy, "Accept-Encoding": "gzip"}, timeout=10
    )

    assert served.status_code == 200 and served.headers["Content-Encoding"] == "gzip"
    assert "immutable" in served.headers["Cache-Control"]


def test_without_the_proxys_word_for_https_it_redirects_there(production):
    plain = requests.get(production + "/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


def test_the_load_balancer_asks_over_plain_http_by_address(production):
    port = production.rsplit(":", 1)[1]
    answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)

    assert answer.status_code == 200
    assert answer.json()["database"] == "ok"


def test_every_line_it_logs_is_json_gunicorns_own_too(production, tmp_path):
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert requests.get(production + "/no-such-page/", headers=proxy, timeout=10).status_code == 404

    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()]

    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "duoportal.requests", "django.request"} <= loggers
    assert any(line["message"].startswith("Booting worker") for line in lines)


@pytest.mark.parametrize(("threads", "worker_class"), [("4", "gthread"), ("1", "sync")])
def test_one_thread_a_worker_makes_plain_sync_workers(monkeypatch, threads, worker_class):
    # docs/deploy.md: GUNICORN_THREADS=1 saves a thread pool's CPU only with sync workers.
    monkeypatch.setenv("GUNICORN_THREADS", threads)
    monkeypatch.setenv("ARGON2_CONCURRENCY", "1")  # The file sets it when missing.

    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    assert (config["threads"], config["worker_class"]) == (int(threads), worker_class)


@pytest.mark.parametrize(("name", "value", "error"), UNSAFE_SIGN_IN)
def test_a_production_app_server_set_up_unsafely_does_not_start(name, value, error):
    # gunicorn runs no system checks: the development identity provider, or every Microsoft
    # account in the world, must not get a working portal after a restart.
    env = {
        **os.environ,
        **PRODUCTION,
        name: value,
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "GUNICORN_WORKERS": "1",
    }
    started = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "duoportal.wsgi"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert started.returncode != 0
    assert error in started.stderr
