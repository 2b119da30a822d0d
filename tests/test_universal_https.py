"""duo_universal over real HTTPS, verifying the portal's certificate, against gunicorn."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from duo_universal import DuoException

from bypass.models import BypassCode
from tests.gunicorn import self_signed
from tests.universal import REDIRECT_URI, universal_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def host(portal_over_https):
    """ "localhost:<port>", as an application gives duo_universal its host."""
    return urlsplit(portal_over_https).netloc


def test_duo_universal_signs_a_person_in_over_https(host, certificate, vpn, alice):
    app = universal_client(*vpn, host=host, duo_certs=str(certificate[0]))
    _, code = BypassCode.objects.issue(alice, via="culink")
    state = app.generate_state()

    assert app.health_check()["stat"] == "OK"
    back = through_the_prompt(app.create_auth_url("alice@example.edu", state), code, certificate)
    assert back["state"] == [state]
    token = app.exchange_authorization_code_for_2fa_result(back["duo_code"][0], "alice@example.edu")

    assert token["iss"] == f"https://{host}/oauth/v1/token"
    assert token["auth_result"]["status"] == "allow"
    assert BypassCode.objects.get(user=alice).uses == 1


def through_the_prompt(url, code, certificate):
    """A browser at the authorize URL: the prompt, the code, Log In; the redirect's query."""
    verify = str(certificate[0])  # Per request: REQUESTS_CA_BUNDLE would override a session's.
    with requests.Session() as browser:
        page = browser.get(url, verify=verify, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        origin = f"https://{urlsplit(page.url).netloc}"
        answer = browser.post(
            page.url,
            {"csrfmiddlewaretoken": token, "passcode": code},
            headers={"Origin": origin, "Referer": page.url},
            allow_redirects=False,
            verify=verify,
            timeout=30,
        )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT_URI)
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_duo_universal_refuses_a_certificate_it_does_not_trust(host, tmp_path, vpn):
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    app = universal_client(*vpn, host=host, duo_certs=str(other))

    with pytest.raises(DuoException, match="certificate verify failed"):
        app.health_check()
