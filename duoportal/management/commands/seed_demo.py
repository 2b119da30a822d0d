"""Demo people and cards for the embedded development portal (`make run`)."""

from datetime import date
from json import dumps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from duoportal.apps import HELPDESK_GROUP
from duoportal.models import CULinkCard

# The passwords are for the development identity provider, which reads them
# from `seed_demo --json`. They are demo data, printed on purpose.
DEMO_PEOPLE = [
    {
        "username": "alice@example.edu",
        "password": "alice-demo-2026",
        "display_name": "Alice Chan",
        "card_serial": "51002345",
        "role": "student",
    },
    {
        "username": "bob@example.edu",
        "password": "bob-demo-2026",
        "display_name": "Bob Wong",
        "card_serial": "51007788",
        "role": "staff",
    },
    {
        "username": "helen@example.edu",
        "password": "helen-demo-2026",
        "display_name": "Helen Lee",
        "card_serial": "51009911",
        "role": "helpdesk",
    },
    # Dave reported his card lost; Erin's card has expired. Both show refusals.
    {
        "username": "dave@example.edu",
        "password": "dave-demo-2026",
        "display_name": "Dave Lau",
        "card_serial": "51004040",
        "role": "student",
        "card_status": CULinkCard.Status.LOST,
    },
    {
        "username": "erin@example.edu",
        "password": "erin-demo-2026",
        "display_name": "Erin Ho",
        "card_serial": "51006060",
        "role": "staff",
        "card_expires_on": date(2025, 8, 31),
    },
]
PUBLIC_FIELDS = ("username", "password", "display_name", "card_serial", "role")


class Command(BaseCommand):
    help = "Create or refresh the demo people and their CU Link cards (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only a JSON list of the demo people to standard output",
        )

    def handle(self, *args, json=False, **options):
        if not settings.DEVELOPMENT_MODE:
            raise CommandError("seed_demo only runs in development mode.")
        with transaction.atomic():
            for person in DEMO_PEOPLE:
                seed_person(person)
        people = [{key: p[key] for key in PUBLIC_FIELDS} for p in DEMO_PEOPLE]
        if json:
            self.stdout.write(dumps(people, indent=2))
            return
        self.stdout.write("Demo people (development identity provider passwords):")
        for p in people:
            self.stdout.write(
                f"  {p['username']:<20} {p['password']:<17} card {p['card_serial']}  {p['role']}"
            )


def seed_person(person):
    User = get_user_model()
    helpdesk = person["role"] == "helpdesk"
    first, _, last = person["display_name"].partition(" ")
    user, _ = User.objects.update_or_create(
        username=person["username"],
        defaults={
            "display_name": person["display_name"],
            "first_name": first,
            "last_name": last,
            "email": person["username"],
            "is_staff": helpdesk,
            "is_active": True,
        },
    )
    # Nobody has a password on the portal (User.save sees to it): everyone,
    # helpdesk included, signs in through Microsoft 365 (in development, its
    # stand-in). A new unusable password would sign them out of every browser.
    if helpdesk:
        user.groups.add(Group.objects.get_or_create(name=HELPDESK_GROUP)[0])
    CULinkCard.objects.update_or_create(
        serial=person["card_serial"],
        defaults={
            "user": user,
            "status": person.get("card_status", CULinkCard.Status.ACTIVE),
            "expires_on": person.get("card_expires_on"),
        },
    )
