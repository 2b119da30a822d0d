import pytest
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


def test_it_signs_out_a_person_without_microsoft_account_here_only(client, helen):
    client.force_login(helen)
    response = client.post("/sign-out/")
    assert response["Location"] == "http://testserver/"


def test_it_refuses_get(client, alice):
    client.force_login(alice)
    assert client.get("/sign-out/").status_code == 405
    assert "_auth_user_id" in client.session


def test_it_is_on_every_page_for_a_signed_in_person(client, alice):
    client.force_login(alice)
    assert 'action="/sign-out/"' in client.get("/").text
