"""Issue a bypass code from the command line, e.g. for the first helpdesk person."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bypass.models import BypassCode
from bypass.stores import CodeStoreError


class Command(BaseCommand):
    help = (
        "Issue a bypass code for a person and print it once. It replaces their live code; "
        "the issue is audited with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the person's user principal name")
        parser.add_argument("--reason", required=True, help="why, for the audit trail")

    def handle(self, *args, username, reason, **options):
        User = get_user_model()
        try:
            person = User.objects.get_by_natural_key(username)
        except User.DoesNotExist as error:
            raise CommandError(f"No person with username {username!r}.") from error
        if not person.is_active:
            raise CommandError(f"{person.username} is disabled: enable them in admin first.")
        try:
            code, plaintext = BypassCode.objects.issue(
                person, via=BypassCode.Via.HELPDESK, reason=reason
            )
        except CodeStoreError as error:
            raise CommandError(f"Duo made no code for {person.username}: {error.detail}") from error
        self.stdout.write(plaintext)
        self.stderr.write(
            f"Valid until {timezone.localtime(code.expires_at):%Y-%m-%d %H:%M %Z} "
            f"for {code.max_uses} uses."
        )
