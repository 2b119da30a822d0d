"""The stand-in's two integrations, and demo people (`manage.py seed_demo --json`) as Duo users."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from duoapi.devduo.models import DuoUser, Integration


class Command(BaseCommand):
    help = (
        "Store the admin and auth integrations (keys from the options, else DEVDUO_* settings) "
        "and load demo people as Duo users from JSON (a file, or - for stdin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("people", nargs="?", help="JSON of `manage.py seed_demo --json`, or -")
        parser.add_argument("--admin-ikey", default=settings.DEVDUO_ADMIN_IKEY)
        parser.add_argument("--admin-skey", default=settings.DEVDUO_ADMIN_SKEY)
        parser.add_argument("--auth-ikey", default=settings.DEVDUO_AUTH_IKEY)
        parser.add_argument("--auth-skey", default=settings.DEVDUO_AUTH_SKEY)
        parser.add_argument(
            "--portal-settings",
            metavar="HOST:PORT",
            help="print, as JSON, the portal's DUO_* settings for the stand-in at HOST:PORT",
        )

    def handle(self, *args, people, **options):
        records = []
        if people:
            try:
                text = sys.stdin.read() if people == "-" else Path(people).read_text("utf-8")
                records = json.loads(text)
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the demo people: {error}") from error
        with transaction.atomic():
            for kind in Integration.Kind:
                Integration.objects.update_or_create(
                    kind=kind,
                    defaults={
                        "ikey": options[f"{kind}_ikey"],
                        "skey": options[f"{kind}_skey"],
                    },
                )
            for record in records:
                username = record["username"].lower()
                DuoUser.objects.update_or_create(
                    username=username,
                    defaults={"realname": record.get("display_name", ""), "email": username},
                )
        if options["portal_settings"]:
            # What `DUO=dev make run` gives the portal: Duo account mode against this stand-in.
            host = options["portal_settings"]
            portal = {
                "DUO_ADMIN_API_HOST": host,
                "DUO_ADMIN_IKEY": options["admin_ikey"],
                "DUO_ADMIN_SKEY": options["admin_skey"],
                "DUO_AUTH_API_HOST": host,
                "DUO_AUTH_IKEY": options["auth_ikey"],
                "DUO_AUTH_SKEY": options["auth_skey"],
                "DUO_CA_CERTS": "HTTP",
            }
            self.stdout.write(json.dumps(portal))
        else:
            self.stdout.write(f"Development stand-in for Duo: {len(records)} Duo users.")
