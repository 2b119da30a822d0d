import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from duoportal.models import User

pytestmark = pytest.mark.django_db


def test_it_lower_cases_the_username():
    user = User.objects.create_user("Alice.Chan@Example.EDU")
    assert user.username == "alice.chan@example.edu"
    user.username = "ALICE.CHAN@example.edu"
    user.save()
    assert User.objects.get().username == "alice.chan@example.edu"


def test_it_finds_a_person_whatever_the_case(alice):
    assert User.objects.get_by_natural_key("ALICE@example.edu") == alice


def test_it_wants_an_email_shaped_username():
    with pytest.raises(ValidationError):
        User(username="alice").full_clean()


def test_it_never_stores_a_usable_password():
    person = User.objects.create_user("alice@example.edu", password="chosen-by-helpdesk")
    assert not person.has_usable_password()

    person.set_password("another-one")
    person.save(update_fields=["email"])
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_no_password_signs_anyone_in(client):
    person = User.objects.create_superuser("root@example.edu", password="root-password")
    # Even a usable hash written behind the model's back opens nothing.
    User.objects.filter(pk=person.pk).update(password=make_password("root-password"))

    assert authenticate(username="root@example.edu", password="root-password") is None
    assert not client.login(username="root@example.edu", password="root-password")
    assert client.get("/admin/").status_code == 302
