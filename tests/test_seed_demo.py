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


def test_it_lets_helpdesk_sign_in_to_admin(client, capsys):
    helpdesk = next(p for p in seed_json(capsys) if p["role"] == "helpdesk")
    assert client.login(username=helpdesk["username"].upper(), password=helpdesk["password"])
    assert client.get("/admin/duoportal/culinkcard/").status_code == 200


def test_it_gives_students_no_password(capsys):
    student = next(p for p in seed_json(capsys) if p["role"] == "student")
    assert not User.objects.get(username=student["username"]).has_usable_password()


def test_it_refuses_to_run_in_production(settings):
    settings.DEVELOPMENT_MODE = False
    with pytest.raises(CommandError, match="only runs in development"):
        call_command("seed_demo")
    assert not User.objects.exists()
