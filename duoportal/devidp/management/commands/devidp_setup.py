"""Load demo people (the JSON of the portal's `seed_demo --json`) and the portal's client."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.models import Application

from duoportal.devidp.models import DemoPerson


class Command(BaseCommand):
    help = "Register the portal's client and load demo people from JSON (a file, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("people", help="JSON file from `manage.py seed_demo --json`, or -")

    def handle(self, *args, people, **options):
        try:
            text = sys.stdin.read() if people == "-" else Path(people).read_text("utf-8")
            records = json.loads(text)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the demo people: {error}") from error
        with transaction.atomic():
            register_portal()
            for record in records:
                load_person(record)
        self.stdout.write(f"Development identity provider: {len(records)} demo people.")


def register_portal():
    app = Application.objects.filter(client_id=settings.PORTAL_CLIENT_ID).first() or Application(
        client_id=settings.PORTAL_CLIENT_ID
    )
    app.name = "DUO Self-Service Portal (development)"
    app.client_secret = settings.PORTAL_CLIENT_SECRET
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.redirect_uris = settings.PORTAL_REDIRECT_URI
    app.post_logout_redirect_uris = "http://127.0.0.1/"
    app.skip_authorization = True
    app.save()


def load_person(record):
    User = get_user_model()
    first, _, last = record["display_name"].partition(" ")
    user, _ = User.objects.update_or_create(
        username=record["username"].lower(),
        defaults={"first_name": first, "last_name": last, "email": record["username"].lower()},
    )
    user.set_password(record["password"])
    user.save()
    DemoPerson.objects.update_or_create(
        user=user,
        defaults={
            "display_name": record["display_name"],
            "demo_password": record["password"],
            "role": record.get("role", ""),
        },
    )
