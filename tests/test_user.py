import pytest
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
