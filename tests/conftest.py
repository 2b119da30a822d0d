import copy
import os
from contextlib import contextmanager

import pytest
import requests
from django.contrib.auth.models import Group
from django.core.servers.basehttp import ThreadedWSGIServer
from django.utils import translation

from duoportal.apps import HELPDESK_GROUP
from duoportal.middleware import RequestContext, request_context
from duoportal.models import User
from tests.devduo import DevDuo
from tests.idp import TENANT, DevIdp

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The live server's listen backlog is 10 connections; the Duo API tests race a
# hundred applications at it, as a production server's backlog would take.
ThreadedWSGIServer.request_queue_size = 128


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


# The throttles count per address and per integration in the cache, across
# tests: off, except where a test turns them on (tests/test_throttles.py).
# The servers the tests start inherit this.
os.environ.setdefault("THROTTLE_PER_ADDRESS", "off")
os.environ.setdefault("THROTTLE_PER_INTEGRATION", "off")


@pytest.fixture(autouse=True)
def no_throttles(settings):
    settings.THROTTLE_PER_ADDRESS = settings.THROTTLE_PER_INTEGRATION = None


@pytest.fixture(autouse=True)
def english_between_tests():
    # A test client request may leave its language active in this thread.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def cheap_hashing(settings):
    # Argon2id all the same, at the smallest cost, so the suite stays quick.
    settings.ARGON2_TIME_COST = 1
    settings.ARGON2_MEMORY_COST = 8
    settings.ARGON2_PARALLELISM = 1


@pytest.fixture
def alice(db):
    return User.objects.create_user(
        "alice@example.edu", email="alice@example.edu", display_name="Alice Chan"
    )


@pytest.fixture
def bob(db):
    return User.objects.create_user(
        "bob@example.edu", email="bob@example.edu", display_name="Bob Wong"
    )


@pytest.fixture
def helen(db):
    """A helpdesk person."""
    user = User.objects.create_user("helen@example.edu", is_staff=True)
    user.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    return user


@pytest.fixture(scope="session")
def devidp(tmp_path_factory):
    idp = DevIdp(tmp_path_factory.mktemp("devidp")).start()
    yield idp
    idp.stop()


@pytest.fixture
def portal(live_server, devidp, settings):
    """The portal on a live server, signing in through the development provider."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    app = providers["microsoft"]["APPS"][0]
    app["settings"].update(login_url=devidp.url, graph_url=devidp.url, tenant=TENANT)
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.MICROSOFT_LOGIN_URL = devidp.url
    settings.MICROSOFT_TENANT_ID = TENANT
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    csp["DIRECTIVES"]["form-action"] = ["'self'", devidp.url]
    settings.CONTENT_SECURITY_POLICY = csp
    return live_server.url


@pytest.fixture
def browser():
    """A scripted browser: a requests session that keeps cookies."""
    with requests.Session() as session:
        yield session


def pass_prompt(client, person):
    """Sign `person` in and pass "Enter a Passcode" with a bypass code."""
    from bypass.models import BypassCode

    client.force_login(person)
    _, plaintext = BypassCode.objects.issue(person, via="culink")
    response = client.post("/verify/passcode/", {"passcode": plaintext})
    assert response.status_code == 302
    return client


def pass_card_check(client, person, serial="51002345"):
    """Sign `person` in and pass the card check with their card `serial`: the client."""
    from duoportal.models import CULinkCard

    client.force_login(person)
    CULinkCard.objects.create(user=person, serial=serial)
    response = client.post("/bypass-code/card/check/", {"serial": serial, "robot": "on"})
    assert response["Location"] == "/bypass-code/card/verified/"
    return client


@contextmanager
def asking_from(ip, application=""):
    """As the portal's own pages (no application) or the Duo API (an integration's name) ask."""
    token = request_context.set(RequestContext(ip=ip, application=application))
    try:
        yield
    finally:
        request_context.reset(token)


@pytest.fixture
def verified(client, alice):
    """Alice, signed in and past "Enter a Passcode" with a bypass code."""
    return pass_prompt(client, alice)


@pytest.fixture
def helpdesk(client, helen):
    """Helen of the helpdesk, signed in and past the passcode prompt."""
    return pass_prompt(client, helen)


@pytest.fixture
def root(db):
    """A superuser."""
    return User.objects.create_superuser("root@example.edu", email="root@example.edu")


@pytest.fixture
def superuser(client, root):
    """Root, signed in and past the passcode prompt."""
    return pass_prompt(client, root)


@pytest.fixture
def vpn(db):
    """An application that checks passcodes through the Duo API: (integration, secret key)."""
    from duoapi.models import Integration

    return Integration.objects.create_integration("VPN")


@pytest.fixture
def duo(live_server, vpn):
    """The real duo_client.Auth of the VPN, over HTTP to the live portal."""
    from tests.duo import auth_client

    integration, secret = vpn
    return auth_client(live_server.url, integration.ikey, secret)


@pytest.fixture
def webapp(vpn):
    """The VPN's web sign-in, with the real duo_universal.Client (tests/universal.py)."""
    from tests.universal import universal_client

    return universal_client(*vpn)


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for DNS:localhost and its key: (cert path, key path)."""
    from tests.gunicorn import self_signed

    return self_signed(tmp_path)


@pytest.fixture
def portal_over_https(certificate, transactional_db):
    """The portal under gunicorn serving TLS itself, on the test database: its base URL.

    With its style sheet, which whitenoise serves from the source folders outside production.
    """
    from django.db import connection

    from tests.gunicorn import database_url, gunicorn

    with gunicorn(database_url(connection), certificate=certificate) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    from tests.browser import PHONE

    context = chromium.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def devduo(tmp_path_factory):
    """The development stand-in for Duo, started once for the session."""
    stand_in = DevDuo(tmp_path_factory.mktemp("devduo")).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def normal_devduo(devduo):
    """The stand-in answering normally again after the test, whatever it was told."""
    yield devduo
    devduo.control(fail="", only="", seconds=0, clock_offset=0, body="")


@pytest.fixture(scope="session")
def devduo_https(tmp_path_factory):
    """The stand-in served over HTTPS by gunicorn, as Duo's cloud is, for the portal to call."""
    from tests.gunicorn import self_signed

    workdir = tmp_path_factory.mktemp("devduo-https")
    with DevDuo(workdir).setup().over_https(self_signed(workdir)) as stand_in:
        yield stand_in


@pytest.fixture
def duo_account(settings, devduo_https):
    """The portal in Duo account mode, calling the stand-in over HTTPS: the stand-in.

    The person-facing waits are short, so a test of a slow Duo takes seconds.
    """
    settings.DUO_ACCOUNT = devduo_https.account_settings()
    settings.DUO_CA_CERTS = str(devduo_https.certificate)
    settings.BYPASS_CODE_STORE = "duoapi.duostore.DuoStore"
    settings.DUO_TIMEOUT_SECONDS = 2
    yield devduo_https
    devduo_https.control(fail="", only="", seconds=0, clock_offset=0, body="")
