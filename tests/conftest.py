import pytest
from django.contrib.auth.models import Group

from duoportal.apps import HELPDESK_GROUP
from duoportal.models import User


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def cheap_hashing(settings):
    # Argon2id all the same, at the smallest cost, so the suite stays quick.
    settings.ARGON2_TIME_COST = 1
    settings.ARGON2_MEMORY_COST = 8
    settings.ARGON2_PARALLELISM = 1


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice@example.edu", display_name="Alice Chan")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob@example.edu", display_name="Bob Wong")


@pytest.fixture
def helen(db):
    """A helpdesk person."""
    user = User.objects.create_user("helen@example.edu", password="helen-pass", is_staff=True)
    user.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    return user
