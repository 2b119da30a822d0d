"""Sign-in with Microsoft 365 through the real allauth code, against the development provider."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp

from duoportal.devidp.identity import object_id
from duoportal.models import AuditEvent, User
from tests.idp import csrf_token, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_signs_in_a_new_person_keyed_on_the_object_id(portal, browser):
    response = sign_in(browser, portal, "newton@example.edu")

    assert response.url == portal + "/"
    assert "Hello, Newton Yip" in response.text
    person = User.objects.get(username="newton@example.edu")
    account = SocialAccount.objects.get(user=person)
    assert (account.provider, account.uid) == ("microsoft", object_id("newton@example.edu"))
    assert (person.display_name, person.email) == ("Newton Yip", "newton@example.edu")
    assert AuditEvent.objects.filter(action="sign_in", subject=person).exists()


def test_it_attaches_a_first_sign_in_to_the_person_of_that_username(portal, browser):
    alice = User.objects.create_user("alice@example.edu", display_name="Old Name")

    sign_in(browser, portal, "alice@example.edu")

    assert User.objects.count() == 1
    alice.refresh_from_db()
    assert alice.display_name == "Alice Chan"
    assert SocialAccount.objects.get(user=alice).uid == object_id("alice@example.edu")


def test_it_refreshes_the_name_at_each_sign_in(portal, browser):
    sign_in(browser, portal, "bob@example.edu")
    User.objects.filter(username="bob@example.edu").update(display_name="Stale", email="")
    browser.cookies.clear()

    sign_in(browser, portal, "bob@example.edu")

    bob = User.objects.get(username="bob@example.edu")
    assert (bob.display_name, bob.email) == ("Bob Wong", "bob@example.edu")


def test_it_never_merges_a_person_who_has_another_microsoft_account(portal, browser):
    alice = User.objects.create_user("alice@example.edu")
    SocialAccount.objects.create(user=alice, provider="microsoft", uid="another-object-id")

    response = sign_in(browser, portal, "alice@example.edu")

    assert response.status_code == 403
    assert "Another Microsoft 365 account is already linked" in response.text
    assert SocialAccount.objects.filter(user=alice).count() == 1
    assert User.objects.count() == 1
    assert "_auth_user_id" not in browser.get(portal + "/").text
    # On Alice's trail, where the helpdesk looks: Entra may have given her name to another.
    assert AuditEvent.objects.get(action="sign_in", outcome="taken").subject == alice


def test_it_refuses_a_disabled_person(portal, browser):
    User.objects.create_user("dave@example.edu", is_active=False)

    response = sign_in(browser, portal, "dave@example.edu")

    assert response.status_code == 403
    assert "disabled" in response.text
    assert "Sign out" not in browser.get(portal + "/").text


def test_it_refuses_a_domain_outside_the_allow_list(portal, browser, settings):
    settings.MICROSOFT_ALLOWED_DOMAINS = ["example.edu"]

    response = sign_in(browser, portal, "mallory@elsewhere.example")

    assert response.status_code == 403
    assert "only for accounts of the university" in response.text
    assert not User.objects.filter(username="mallory@elsewhere.example").exists()


def test_it_shows_a_clear_page_for_a_tampered_callback(portal, browser):
    response = browser.get(portal + "/accounts/microsoft/login/callback/?code=forged&state=forged")
    assert response.status_code == 401
    assert "Sign-in did not work" in response.text
    assert not User.objects.exists()


def test_it_shows_a_clear_page_when_the_person_declines_at_the_provider(portal, browser):
    sign_in_page = browser.get(portal + "/accounts/login/")
    action = sign_in_page.text.split('<form method="post" action="')[1].split('"')[0]
    to_idp = browser.post(
        portal + action.replace("&amp;", "&"),
        data={"csrfmiddlewaretoken": csrf_token(sign_in_page.text)},
        allow_redirects=False,
    )
    state = to_idp.headers["Location"].split("state=")[1].split("&")[0]

    response = browser.get(
        portal + f"/accounts/microsoft/login/callback/?error=access_denied&state={state}"
    )

    assert response.status_code == 200
    assert "You cancelled the sign-in. Nothing was changed." in response.text
    assert not User.objects.exists()


def test_it_rotates_the_session_key_at_sign_in(portal, browser):
    browser.get(portal + "/accounts/login/")
    before = browser.cookies.get("sessionid")
    sign_in(browser, portal, "alice@example.edu")
    assert browser.cookies.get("sessionid") not in (None, before)


def test_it_ends_both_sessions_at_sign_out(portal, browser, devidp):
    home = sign_in(browser, portal, "alice@example.edu")
    token = home.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    signed_out = browser.post(portal + "/sign-out/", data={"csrfmiddlewaretoken": token})

    assert [r.url.split("?")[0] for r in signed_out.history][-1].endswith(
        "/devtenant/oauth2/v2.0/logout"
    )
    assert signed_out.url == portal + "/"
    assert "Sign in with Microsoft 365 (O365)" in signed_out.text
    # The provider asks for the password again.
    again = browser.get(portal + "/accounts/login/")
    action = again.text.split('<form method="post" action="')[1].split('"')[0]
    to_idp = browser.post(
        portal + action.replace("&amp;", "&"),
        data={
            "csrfmiddlewaretoken": again.text.split('name="csrfmiddlewaretoken" value="')[1].split(
                '"'
            )[0]
        },
    )
    assert to_idp.url.startswith(devidp.url + "/login/")


def test_it_has_no_connect_disconnect_or_allauth_logout_pages(client, alice):
    client.force_login(alice)
    for url in ["/accounts/3rdparty/", "/accounts/social/connections/", "/accounts/logout/"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("process", ["connect", "redirect"])
def test_it_never_attaches_a_second_identity(portal, browser, process):
    home = sign_in(browser, portal, "alice@example.edu")
    alice = User.objects.get(username="alice@example.edu")

    # On Alice's phone, someone signs out at the provider only (Microsoft's
    # "use another account") and asks allauth to connect their own identity.
    browser.cookies.set("devidp_sessionid", None)
    to_idp = browser.post(
        portal + f"/accounts/microsoft/login/?process={process}",
        data={"csrfmiddlewaretoken": csrf_token(home.text)},
    )
    response = browser.post(
        to_idp.url,
        data={
            "csrfmiddlewaretoken": csrf_token(to_idp.text),
            "username": "bob@example.edu",
            "password": "bob-demo-2026",
            "next": to_idp.text.split('name="next" value="')[1].split('"')[0].replace("&amp;", "&"),
        },
    )

    assert response.status_code == 403
    assert "cannot be added to your account" in response.text
    assert list(SocialAccount.objects.values_list("user__username", flat=True)) == [alice.username]
    assert AuditEvent.objects.filter(action="sign_in", outcome="connect", subject=alice).exists()
    # Bob's own sign-in later makes Bob, and leaves Alice as she was.
    browser.cookies.clear()
    sign_in(browser, portal, "bob@example.edu")
    alice.refresh_from_db()
    assert (alice.username, alice.email, alice.display_name) == (
        "alice@example.edu",
        "alice@example.edu",
        "Alice Chan",
    )
    assert SocialAccount.objects.get(uid=object_id("bob@example.edu")).user.username == (
        "bob@example.edu"
    )


def test_it_follows_a_user_principal_name_renamed_in_entra(portal, browser):
    # Robert was renamed bob@example.edu in Entra; his object id stays.
    robert = User.objects.create_user("robert@example.edu")
    SocialAccount.objects.create(
        user=robert, provider="microsoft", uid=object_id("bob@example.edu")
    )

    sign_in(browser, portal, "bob@example.edu")

    robert.refresh_from_db()
    assert (robert.username, robert.display_name) == ("bob@example.edu", "Bob Wong")
    event = AuditEvent.objects.get(action="profile_update", subject=robert)
    assert event.outcome == "renamed"
    assert event.detail["previous_username"] == "robert@example.edu"
    assert "username" in event.detail["fields"]


def test_it_never_renames_a_person_to_another_persons_username(portal, browser):
    robert = User.objects.create_user("robert@example.edu")
    SocialAccount.objects.create(
        user=robert, provider="microsoft", uid=object_id("bob@example.edu")
    )
    bob = User.objects.create_user("bob@example.edu", display_name="The Other Bob")

    response = sign_in(browser, portal, "bob@example.edu")

    assert response.status_code == 403
    robert.refresh_from_db()
    bob.refresh_from_db()
    assert (robert.username, bob.display_name) == ("robert@example.edu", "The Other Bob")
    assert not AuditEvent.objects.filter(action="profile_update").exists()
    assert AuditEvent.objects.get(action="sign_in", outcome="taken").subject == bob


def test_the_sign_in_form_carries_where_to_go_next(client, db):
    page = client.get("/accounts/login/?next=/admin/").text

    assert 'action="/accounts/microsoft/login/?process=login&amp;next=%2Fadmin%2F"' in page
    assert 'action="/accounts/microsoft/login/?process=login"' in client.get("/").text


def test_it_uses_the_application_from_settings_even_with_one_in_allauths_table(portal, browser):
    # A row added by hand (admin does not show the table) must not take the sign-in down.
    SocialApp.objects.create(provider="microsoft", name="stray", client_id="someone-elses")

    response = sign_in(browser, portal, "newton@example.edu")

    assert response.url == portal + "/"
    assert "Hello, Newton Yip" in response.text
    assert SocialAccount.objects.get(user__username="newton@example.edu").provider == "microsoft"


def test_the_sign_in_page_reads_no_table(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get("/accounts/microsoft/login/")
    assert "Sign in with Microsoft 365 (O365)" in page.text
