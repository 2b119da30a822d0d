from datetime import timedelta

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount

from duoportal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_signs_out_at_microsoft_too(client, alice, settings):
    SocialAccount.objects.create(user=alice, provider="microsoft", uid="oid")
    client.force_login(alice)

    response = client.post("/sign-out/")

    assert response["Location"] == (
        f"{settings.MICROSOFT_LOGIN_URL}/{settings.MICROSOFT_TENANT_ID}/oauth2/v2.0/logout"
        "?post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F"
    )
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_out", subject=alice).exists()


def test_it_sends_someone_not_signed_in_home(client):
    response = client.post("/sign-out/")
    assert response["Location"] == "http://testserver/"
    assert not AuditEvent.objects.exists()


def test_admins_log_out_is_the_same_sign_out(helpdesk, helen, settings):
    page = helpdesk.get("/admin/").text
    assert '<form id="logout-form" method="post" action="/admin/logout/">' in page

    response = helpdesk.post("/admin/logout/")

    assert response["Location"].startswith(f"{settings.MICROSOFT_LOGIN_URL}/")
    assert "/oauth2/v2.0/logout?" in response["Location"]
    assert "_auth_user_id" not in helpdesk.session
    assert AuditEvent.objects.filter(action="sign_out", subject=helen).exists()


def test_admins_log_out_works_after_the_second_factor_went_idle(helpdesk, helen):
    with time_machine.travel(timedelta(hours=1)):
        response = helpdesk.post("/admin/logout/")
    assert "/oauth2/v2.0/logout?" in response["Location"]
    assert "_auth_user_id" not in helpdesk.session


def test_admins_log_out_refuses_get(helpdesk):
    assert helpdesk.get("/admin/logout/").status_code == 405
    assert "_auth_user_id" in helpdesk.session


def test_allauths_logout_is_gone(client, alice):
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 404
    assert "_auth_user_id" in client.session


def test_it_refuses_get(client, alice):
    client.force_login(alice)
    assert client.get("/sign-out/").status_code == 405
    assert "_auth_user_id" in client.session


def test_it_is_on_every_page_for_a_signed_in_person(client, alice):
    client.force_login(alice)
    assert 'action="/sign-out/"' in client.get("/").text
