"""Delete what the portal no longer needs, in small batches, while it serves.

Each model whose manager has a `stale()` says itself what is past its use:
expired bypass codes (BYPASS_CODE_RETENTION_DAYS after expiry), card checks and
Universal Prompt requests past their life, authenticator apps never confirmed,
audit events past AUDIT_RETENTION_DAYS. Then expired sessions: anyone can start a
sign-in, and each start keeps a session row. Run it nightly (docs/deploy.md).
"""

import logging

from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone

logger = logging.getLogger(__name__)


def purge(stale, batch):
    """Delete the rows of `stale` a batch at a time: each its own short transaction."""
    model, removed = stale.model, 0
    while ids := list(stale.values_list("pk", flat=True)[:batch]):
        # The base manager: the audit trail's own refuses every delete, and
        # its retention is the one way an event ever goes.
        model._base_manager.filter(pk__in=ids).delete()
        removed += len(ids)
    return removed


class Command(BaseCommand):
    help = "Delete expired codes, stale checks and prompts, unconfirmed apps and old audit events."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=1000, help="rows per delete (default 1000)"
        )

    def handle(self, *args, batch, **options):
        for model in apps.get_models():
            stale = getattr(model._default_manager, "stale", None)
            if stale is None:
                continue
            self._report(purge(stale(), batch), model)
        # Django's own clearsessions, in batches like the rest.
        expired = Session.objects.filter(expire_date__lt=timezone.now())
        self._report(purge(expired, batch), Session)

    def _report(self, removed, model):
        name = model._meta.verbose_name_plural
        logger.info("purge removed %s %s", removed, name)
        self.stdout.write(f"{removed:>9} {name}")
