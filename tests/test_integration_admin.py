"""Integrations in admin: superusers only, and a secret key shown once."""

import pytest

from duoapi.models import AuthTransaction, Integration
from duoportal.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/admin/duoapi/integration/"


def test_it_shows_the_secret_once_when_a_superuser_adds_an_integration(superuser, settings):
    settings.PORTAL_API_HOSTNAME = "duo.example.edu"

    response = superuser.post(f"{URL}add/", {"name": "VPN"})

    integration = Integration.objects.get(name="VPN")
    [secret] = integration.secrets
    page = response.content.decode()
    assert response.status_code == 200
    assert integration.ikey in page and secret in page and "duo.example.edu" in page
    assert "no-store" in response["Cache-Control"]
    change_page = superuser.get(f"{URL}{integration.pk}/change/").content.decode()
    assert integration.ikey in change_page and secret not in change_page


def test_it_records_who_added_an_integration(superuser, root):
    superuser.post(f"{URL}add/", {"name": "VPN"})

    event = AuditEvent.objects.get(action="admin_change", detail__model="integration")
    assert (event.actor, event.outcome) == (root, "integration added")
    assert Integration.objects.get().created_by == root


def test_it_disables_an_integration(superuser, vpn):
    integration, _ = vpn

    superuser.post(f"{URL}{integration.pk}/change/", {"name": "VPN", "enabled": ""})

    integration.refresh_from_db()
    assert not integration.enabled
    assert AuditEvent.objects.filter(outcome="disabled").exists()


def test_it_rotates_a_secret_and_shows_the_new_one_once(superuser, vpn):
    integration, old = vpn

    response = superuser.post(
        URL, {"action": "rotate_secret", "_selected_action": [integration.pk]}
    )

    integration.refresh_from_db()
    new, previous = integration.secrets
    assert previous == old
    assert new in response.content.decode() and old not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_it_rotates_one_integration_at_a_time(superuser, vpn):
    other, _ = Integration.objects.create_integration("Wiki")
    integration, _ = vpn

    response = superuser.post(
        URL,
        {"action": "rotate_secret", "_selected_action": [integration.pk, other.pk]},
        follow=True,
    )

    assert "one integration at a time" in response.content.decode()
    assert Integration.objects.filter(rotated_at__isnull=False).count() == 0


def test_it_retires_the_previous_secret(superuser, vpn):
    integration, _ = vpn
    new = integration.rotate_secret()

    superuser.post(URL, {"action": "retire_previous_secret", "_selected_action": [integration.pk]})

    assert Integration.objects.get().secrets == [new]


def test_helpdesk_cannot_see_integrations(helpdesk, vpn):
    integration, _ = vpn

    assert helpdesk.get(URL).status_code == 403
    assert helpdesk.get(f"{URL}{integration.pk}/change/").status_code == 403
    assert helpdesk.post(f"{URL}add/", {"name": "Evil"}).status_code == 403
    assert b"Integrations" not in helpdesk.get("/admin/").content


def test_even_a_helpdesk_person_given_the_permissions_cannot(helpdesk, helen, vpn):
    from django.contrib.auth.models import Permission

    helen.user_permissions.add(*Permission.objects.filter(content_type__app_label="duoapi"))

    assert helpdesk.get(URL).status_code == 403


def test_it_keeps_the_redirect_uris_given_with_a_new_integration(superuser):
    superuser.post(f"{URL}add/", {"name": "Wiki", "redirect_uris": "https://wiki.example.edu/duo"})

    assert Integration.objects.get(name="Wiki").redirect_uri_list == [
        "https://wiki.example.edu/duo"
    ]


def test_it_limits_the_redirect_uris_and_records_the_change(superuser, vpn):
    integration, _ = vpn
    uris = "https://vpn.example.edu/duo\r\nhttp://127.0.0.1:8080/duo-callback\r\n"

    response = superuser.post(
        f"{URL}{integration.pk}/change/", {"name": "VPN", "enabled": "on", "redirect_uris": uris}
    )

    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.allows_redirect_uri("http://127.0.0.1:8080/duo-callback")
    assert not integration.allows_redirect_uri("https://evil.example/duo")
    assert AuditEvent.objects.filter(outcome="redirect URIs changed").exists()


@pytest.mark.parametrize(
    "uri", ["javascript:alert(1)", "/relative", "https://vpn.example.edu/" + "x" * 240]
)
def test_it_refuses_a_redirect_uri_that_is_not_one(superuser, vpn, uri):
    integration, _ = vpn

    response = superuser.post(
        f"{URL}{integration.pk}/change/", {"name": "VPN", "enabled": "on", "redirect_uris": uri}
    )

    assert response.status_code == 200 and "is not an http or https address" in response.text
    integration.refresh_from_db()
    assert integration.redirect_uris == ""


def test_it_records_a_renamed_integration_with_its_old_name(superuser, vpn):
    # The trail's application filter goes by name: the old name must lead somewhere.
    integration, _ = vpn

    superuser.post(f"{URL}{integration.pk}/change/", {"name": "Campus VPN", "enabled": "on"})

    event = AuditEvent.objects.get(outcome="renamed")
    assert (event.detail["integration"], event.detail["renamed_from"]) == ("Campus VPN", "VPN")


def test_it_records_a_deleted_integration_without_showing_its_transactions(superuser, vpn):
    integration, _ = vpn
    txid = AuthTransaction.objects.record(
        integration, result="allow", status="allow", status_msg="Success."
    )

    page = superuser.get(f"{URL}{integration.pk}/delete/")
    superuser.post(f"{URL}{integration.pk}/delete/", {"post": "yes"})

    # A txid reads the answer of an auth (auth_status): not shown, even to a superuser.
    assert page.status_code == 200 and txid not in page.text
    assert not Integration.objects.exists()
    assert AuditEvent.objects.get(outcome="deleted").detail["integration"] == "VPN"
