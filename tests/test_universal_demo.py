"""The demo application of docs/universal-demo/ signs Alice in through the portal."""

import importlib.util
import io
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import pytest

from bypass.models import BypassCode
from tests.universal import HOST, browser_get, browser_post, served_by

pytestmark = pytest.mark.django_db

APP = Path(__file__).resolve().parent.parent / "docs" / "universal-demo" / "app.py"


@pytest.fixture
def demo(vpn, monkeypatch):
    """The demo application's WSGI callable, configured for the VPN integration."""
    integration, secret = vpn
    monkeypatch.setenv("DUO_CLIENT_ID", integration.ikey)
    monkeypatch.setenv("DUO_CLIENT_SECRET", secret)
    monkeypatch.setenv("DUO_API_HOST", HOST)
    spec = importlib.util.spec_from_file_location("universal_demo_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.application


def call(app, method, url, body="", cookie=""):
    """One request to the demo: (status, headers, page)."""
    parts = urlsplit(url)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body.encode()),
        "HTTP_COOKIE": cookie,
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))

    page = b"".join(app(environ, start_response)).decode()
    return answer["status"], answer["headers"], page


def test_the_demo_signs_alice_in(client, demo, alice):
    _, code = BypassCode.objects.issue(alice, via="culink")

    with served_by(client):
        status, headers, _ = call(demo, "POST", "/login", "username=alice%40example.edu")
        cookie = SimpleCookie(headers["Set-Cookie"]).output(header="", attrs=[]).strip()
        prompt = browser_get(client, headers["Location"])["Location"]
        back = browser_post(client, prompt, {"passcode": code})["Location"]
        _, _, page = call(demo, "GET", back, cookie=cookie)

    assert status == "302 Found"
    assert back.startswith("http://127.0.0.1:8080/duo-callback?duo_code=")
    assert "Signed in as alice@example.edu" in page and "allow" in page


def test_the_demo_refuses_an_answer_with_another_state(client, demo, alice):
    with served_by(client):
        _, headers, _ = call(demo, "POST", "/login", "username=alice%40example.edu")
    cookie = SimpleCookie(headers["Set-Cookie"]).output(header="", attrs=[]).strip()

    status, _, page = call(demo, "GET", "/duo-callback?duo_code=x&state=forged", cookie=cookie)

    assert status == "400 Bad Request" and "state does not match" in page
