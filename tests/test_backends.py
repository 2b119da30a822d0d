"""The portal's authentication backend: no password sign-in, and permissions in one query."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Permission

from duoportal.models import User

pytestmark = pytest.mark.django_db


def fresh(person):
    # Permissions are cached on the object: read them as a new request would.
    return User.objects.get(pk=person.pk)


def test_no_credentials_sign_anyone_in(alice):
    alice.set_password("correct horse")
    alice.save()

    assert authenticate(username=alice.username, password="correct horse") is None


def test_helpdesk_has_its_groups_permissions_in_one_query(helen, django_assert_num_queries):
    helen = fresh(helen)

    with django_assert_num_queries(1):
        assert helen.has_perm("duoportal.change_user")
        assert helen.has_perm("duoportal.view_auditevent")
        assert not helen.has_perm("duoapi.view_integration")


def test_a_persons_own_permissions_count_too(alice):
    alice.user_permissions.add(Permission.objects.get(codename="view_auditevent"))

    assert fresh(alice).get_all_permissions() == {"duoportal.view_auditevent"}


def test_a_superuser_has_every_permission(root):
    assert len(fresh(root).get_all_permissions()) == Permission.objects.count()


def test_a_disabled_person_has_none(helen):
    helen.is_active = False
    helen.save()

    assert fresh(helen).get_all_permissions() == set()
    assert not fresh(helen).has_perm("duoportal.change_user")
