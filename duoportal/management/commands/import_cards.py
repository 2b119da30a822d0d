"""Import CU Link cards from the card centre's CSV export (duoportal/cardimport.py).

Run nightly from a timer (docs/deploy.md) with --mail-on-failure, so the
helpdesk hears of a file that could not be imported instead of finding out
from students whose new cards do not work.
"""

from pathlib import Path

from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError

from duoportal import cardimport


class Command(BaseCommand):
    help = "Import CU Link cards from a CSV file with columns username,serial,status,expires_on."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8 (with or without a byte-order mark)")
        parser.add_argument(
            "--mail-on-failure",
            metavar="ADDRESS",
            action="append",
            default=[],
            help="e-mail this address (the helpdesk) why, when nothing could be imported "
            "(a file with problems, or an error such as the database not answering)",
        )

    def handle(self, *args, file, mail_on_failure, **options):
        try:
            counts, total = self._import(file)
        except Exception as error:
            if mail_on_failure:
                send_mail("The nightly card import failed", self._why(error), None, mail_on_failure)
            raise
        self.stdout.write(
            "Imported {total} card(s): {created} new, {updated} updated, "
            "{unchanged} unchanged, {kept} kept lost or revoked.".format(total=total, **counts)
        )

    def _why(self, error):
        if isinstance(error, CommandError):
            # What import_cards printed: line numbers and problems, serials as their last four.
            return f"{error}\n\n" + "\n".join(self.problems)
        # Not the error's text: a database's may quote a row, and so a serial.
        return (
            f"The import stopped on an unexpected error ({type(error).__name__}), such as the "
            "database not answering. Nothing was imported: the import is one transaction. The "
            "system's log (journalctl -u duoportal-import-cards) has the details."
        )

    def _import(self, file):
        self.problems = []
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
            self.problems = list(plan.problems)
            for problem in plan.problems:
                self.stderr.write(problem)
            raise CommandError(f"Nothing imported: {len(plan.problems)} problem(s) in {file}.")
        return cardimport.apply(plan.rows), len(plan.rows)
