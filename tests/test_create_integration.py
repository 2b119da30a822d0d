import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from duoapi.models import Integration
from duoportal.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("create_integration", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_keys_as_json(settings):
    settings.PORTAL_API_HOSTNAME = "duo.example.edu"

    out, _ = run("VPN", "--json")

    keys = json.loads(out)
    integration = Integration.objects.get(name="VPN")
    assert keys == {
        "ikey": integration.ikey,
        "skey": integration.secrets[0],
        "api_hostname": "duo.example.edu",
    }


def test_it_names_the_first_allowed_host_without_a_configured_hostname(settings):
    settings.PORTAL_API_HOSTNAME = ""
    settings.ALLOWED_HOSTS = ["*", ".example.edu", "portal.example.edu"]

    out, _ = run("VPN", "--json")

    assert json.loads(out)["api_hostname"] == "portal.example.edu"


def test_it_says_the_secret_is_shown_once():
    out, err = run("VPN")

    assert "skey: " in out
    assert "cannot be shown again" in err


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_refuses_a_bad_name(name):
    with pytest.raises(CommandError):
        run(name)
    assert not Integration.objects.exists()


def test_it_refuses_a_name_in_use(vpn):
    with pytest.raises(CommandError, match="already exists"):
        run("VPN")


def test_it_lists_the_redirect_uris_given():
    run("Wiki", "--redirect-uri", "https://wiki.example.edu/duo", "--redirect-uri", "http://x/cb")

    integration = Integration.objects.get(name="Wiki")
    assert integration.redirect_uri_list == ["https://wiki.example.edu/duo", "http://x/cb"]


def test_it_refuses_a_redirect_uri_that_is_not_one():
    with pytest.raises(CommandError, match="not an http or https address"):
        run("Wiki", "--redirect-uri", "javascript:alert(1)")
    assert not Integration.objects.exists()


def test_it_puts_the_new_integration_on_the_audit_trail_without_its_secret():
    out, _ = run("VPN", "--json")

    event = AuditEvent.objects.get(action="admin_change")
    assert (event.outcome, event.actor, event.detail["integration"]) == (
        "integration added",
        None,
        "VPN",
    )
    assert json.loads(out)["skey"] not in str(event.detail)
