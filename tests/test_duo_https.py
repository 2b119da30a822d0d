"""duo_client over HTTPS, verifying the portal's certificate, against gunicorn."""

import duo_client
import pytest

from bypass.models import BypassCode
from tests.gunicorn import self_signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def port(portal_over_https):
    return int(portal_over_https.rsplit(":", 1)[1])


def test_duo_client_signs_a_person_in_over_https(port, certificate, vpn, alice):
    integration, secret = vpn
    _, code = BypassCode.objects.issue(alice, via="culink")
    client = duo_client.Auth(
        integration.ikey, secret, "localhost", port=port, ca_certs=str(certificate[0])
    )

    assert client.check()["time"]
    assert client.preauth(username="alice@example.edu")["result"] == "auth"
    assert client.auth("passcode", username="alice@example.edu", passcode=code)["result"] == "allow"
    assert (
        client.auth("passcode", username="alice@example.edu", passcode="000000000")["result"]
        == "deny"
    )
    assert BypassCode.objects.get(user=alice).uses == 1


def test_duo_client_refuses_a_certificate_it_does_not_trust(port, tmp_path, vpn):
    integration, secret = vpn
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    client = duo_client.Auth(integration.ikey, secret, "localhost", port=port, ca_certs=str(other))

    with pytest.raises(Exception, match="certificate verify failed"):
        client.check()
