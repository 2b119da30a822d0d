"""The real duo_universal client, pointed at the portal as a web application would point it."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import duo_universal

# The host an application configures: duo_universal always speaks https, and
# may carry a port in its host.
HOST = "localhost:8443"
REDIRECT_URI = "https://app.example/duo-callback"


def universal_client(integration, secret, *, host=HOST, redirect_uri=REDIRECT_URI, **options):
    return duo_universal.Client(integration.ikey, secret, host, redirect_uri, **options)


class _Answer:
    """What duo_universal reads of a requests.Response."""

    def __init__(self, response):
        self.status_code, self.content = response.status_code, response.content

    def json(self):
        import json

        return json.loads(self.content)


@contextmanager
def served_by(django_client, host=None):
    """duo_universal's two HTTP calls answered by Django's test client, over "https".

    They arrive for the host the client was made with, or `host` when given.

    Only the transport is replaced (duo_universal calls requests.post); what
    it sends, and how it reads the answer, are its own. tests/test_universal_https.py
    runs it over a real TLS connection to gunicorn.
    """
    calls = []

    def post(url, data=None, params=None, headers=None, verify=None, proxies=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{urlencode(params)}" if params else "")
        body = urlencode(data) if data else ""
        calls.append((path, body))
        response = django_client.generic(
            "POST",
            path,
            body,
            content_type="application/x-www-form-urlencoded" if data else "",
            secure=True,
            HTTP_HOST=host or parts.netloc,
            **({"HTTP_USER_AGENT": headers["user-agent"]} if headers else {}),
        )
        return _Answer(response)

    with mock.patch("duo_universal.client.requests.post", post):
        yield calls


def browser_get(django_client, url, **extra):
    """A browser following `url` (an authorize URL of HOST) with Django's test client."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return django_client.get(path, secure=True, HTTP_HOST=parts.netloc or HOST, **extra)


def browser_post(django_client, path, data, **extra):
    return django_client.post(path, data, secure=True, HTTP_HOST=HOST, **extra)


def duo_error(refused):
    """The JSON body of a refusal, as duo_universal raises it (wrapped twice by health_check)."""
    error = refused.value
    while isinstance(error, Exception):
        error = error.args[0]
    return error


def returned(response):
    """The query the application gets back on its redirect_uri."""
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@contextmanager
def application_callback():
    """A web application's redirect_uri on a free local port, for a real browser.

    Yields (redirect_uri, the URLs it was called with). Playwright cannot
    route the target of a redirect, so the application's side is a server.
    """
    calls = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/duo-callback"):
                calls.append(f"http://127.0.0.1:{server.server_port}{self.path}")
            body = b"<!doctype html><html lang=en><title>VPN</title><main><h1>VPN</h1></main>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/duo-callback", calls
    finally:
        server.shutdown()
        server.server_close()
