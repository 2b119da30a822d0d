import json

import pytest
from django.core.management import CommandError, call_command

from duoportal.models import CULinkCard, User

pytestmark = pytest.mark.django_db


def seed_json(capsys):
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def test_it_prints_only_json_with_the_demo_people(capsys):
    people = seed_json(capsys)

    assert {p["role"] for p in people} == {"student", "staff", "helpdesk"}
    assert all(
        set(p) == {"username", "password", "display_name", "card_serial", "role"} for p in people
    )
    assert all(p["username"] == p["username"].lower() and "@" in p["username"] for p in people)


def test_it_is_idempotent(capsys):
    first = seed_json(capsys)
    second = seed_json(capsys)
    assert first == second
    assert User.objects.count() == len(first)
    assert CULinkCard.objects.count() == len(first)


def test_it_gives_each_person_their_card(capsys):
    for person in seed_json(capsys):
        card = CULinkCard.objects.get(serial=person["card_serial"])
        assert card.user.username == person["username"]
        assert card.user.display_name == person["display_name"]


def test_it_makes_the_helpdesk_person_staff_of_the_helpdesk_group(capsys):
    helpdesk = next(p for p in seed_json(capsys) if p["role"] == "helpdesk")
    person = User.objects.get(username=helpdesk["username"])
    assert person.is_staff and not person.is_superuser
    assert person.has_perm("duoportal.change_culinkcard")
    assert not person.has_perm("duoportal.delete_auditevent")


def test_it_gives_nobody_a_password_on_the_portal(capsys):
    seed_json(capsys)
    assert not any(person.has_usable_password() for person in User.objects.all())


def test_seeding_again_signs_nobody_out(capsys, client):
    seed_json(capsys)
    client.force_login(User.objects.get(username="alice@example.edu"))
    assert client.get("/bypass-code/").status_code == 200

    seed_json(capsys)

    # `make devduo` seeds again while `make run` serves: the session still holds.
    assert client.get("/bypass-code/").status_code == 200


def test_it_refuses_to_run_in_production(settings):
    settings.DEVELOPMENT_MODE = False
    with pytest.raises(CommandError, match="only runs in development"):
        call_command("seed_demo")
    assert not User.objects.exists()
