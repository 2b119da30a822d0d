"""Create an integration from the command line, e.g. while provisioning an application."""

import json

from django.core.management.base import BaseCommand, CommandError

from duoapi.models import Integration, api_hostname


class Command(BaseCommand):
    help = (
        "Create an integration for an application that speaks Duo's Auth API, and print its "
        "integration key, secret key and API hostname. The secret key is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the application's name, e.g. VPN")
        parser.add_argument(
            "--json", action="store_true", help='print {"ikey", "skey", "api_hostname"} as JSON'
        )

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name or len(name) > Integration._meta.get_field("name").max_length:
            raise CommandError("Give a name of 1 to 100 characters.")
        if Integration.objects.filter(name=name).exists():
            raise CommandError(f"An integration named {name!r} already exists.")
        integration, secret = Integration.objects.create_integration(name)
        keys = {"ikey": integration.ikey, "skey": secret, "api_hostname": api_hostname()}
        if options["json"]:
            self.stdout.write(json.dumps(keys))
            return
        for label, value in keys.items():
            self.stdout.write(f"{label}: {value}")
        self.stderr.write("Copy the secret key (skey) now: it cannot be shown again.")
