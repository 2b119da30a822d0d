"""Import CU Link cards from the card centre's CSV export (duoportal/cardimport.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duoportal import cardimport


class Command(BaseCommand):
    help = "Import CU Link cards from a CSV file with columns username,serial,status,expires_on."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8 (with or without a byte-order mark)")

    def handle(self, *args, file, **options):
        try:
            text = cardimport.decode(Path(file).read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file} is not UTF-8 text (byte {error.start}). Nothing imported."
            ) from error

        plan = cardimport.plan(text)
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(problem)
            raise CommandError(f"Nothing imported: {len(plan.problems)} problem(s) in {file}.")
        counts = cardimport.apply(plan.rows)
        self.stdout.write(
            "Imported {total} card(s): {created} new, {updated} updated, "
            "{unchanged} unchanged.".format(total=len(plan.rows), **counts)
        )
