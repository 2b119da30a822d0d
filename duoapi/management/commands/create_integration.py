"""Create an integration from the command line, e.g. while provisioning an application."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duoapi.models import Integration, api_hostname, validate_redirect_uris


class Command(BaseCommand):
    help = (
        "Create an integration for an application that speaks Duo (the Auth API or the Universal "
        "Prompt), and print its integration key (client id), secret key (client secret) and API "
        "hostname. The secret key is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the application's name, e.g. VPN")
        parser.add_argument(
            "--json", action="store_true", help='print {"ikey", "skey", "api_hostname"} as JSON'
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="an address the Universal Prompt may send people back to (repeat for more); "
            "without any, every address is allowed",
        )

    def handle(self, *args, name, redirect_uris, **options):
        name = name.strip()
        if not name or len(name) > Integration._meta.get_field("name").max_length:
            raise CommandError("Give a name of 1 to 100 characters.")
        if Integration.objects.filter(name=name).exists():
            raise CommandError(f"An integration named {name!r} already exists.")
        try:
            validate_redirect_uris("\n".join(redirect_uris))
        except ValidationError as error:
            raise CommandError(error.messages[0]) from error
        integration, secret = Integration.objects.create_integration(
            name, redirect_uris="\n".join(redirect_uris)
        )
        keys = {"ikey": integration.ikey, "skey": secret, "api_hostname": api_hostname()}
        if options["json"]:
            self.stdout.write(json.dumps(keys))
            return
        for label, value in keys.items():
            self.stdout.write(f"{label}: {value}")
        self.stderr.write("Copy the secret key (skey) now: it cannot be shown again.")
