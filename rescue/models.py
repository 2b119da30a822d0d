"""Rescue codes: made in advance while a person still has their phone, each good once."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Case, Count, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duoportal.hashing import code_matches, hash_code, normalize
from duoportal.models import AuditEvent, ProofLock
from duoportal.notifications import notify
from duoportal.results import CheckResult, Reason

# No 0, 1, I or O: nothing to confuse when a code is read off paper.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 16  # 16 characters of 5 bits: 80 bits.
# The first characters find the stored code without hashing every code of the
# person; they are not secret, the other 60 bits are (argon2id at rest).
SELECTOR_LENGTH = 4
CODE_PATTERN = rf"[{ALPHABET}]{{{LENGTH}}}"


def formatted(code):
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


UNUSED = Q(used_at__isnull=True, voided_at__isnull=True)


class RescueCodeQuerySet(models.QuerySet):
    def unused(self):
        return self.filter(UNUSED)

    def state(self):
        """(how many are unused, when the newest was made), in one query."""
        found = self.aggregate(left=Count("pk", filter=UNUSED), made_at=Max("created_at"))
        return found["left"], found["made_at"]


class RescueCodeManager(models.Manager.from_queryset(RescueCodeQuerySet)):
    def generate(self, user):
        """Make a new set for `user`, voiding the unused old one. Returns the plaintexts.

        They are shown once, as XXXX-XXXX-XXXX-XXXX, and never stored.
        """
        codes = []
        while len(codes) < settings.RESCUE_CODE_COUNT:
            code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
            # Distinct selectors within a set keep a check to one hash.
            if code[:SELECTOR_LENGTH] not in {c[:SELECTOR_LENGTH] for c in codes}:
                codes.append(code)
        now = timezone.now()
        rows = [
            RescueCode(
                user=user, selector=c[:SELECTOR_LENGTH], code_hash=hash_code(c), created_at=now
            )
            for c in codes
        ]
        with transaction.atomic():
            get_user_model().objects.lock(user)
            voided = self.void(user, now)
            self.bulk_create(rows)
            AuditEvent.objects.record(
                AuditEvent.Action.RESCUE_GENERATE,
                subject=user,
                actor=user,
                outcome=str(len(rows)),
                voided=voided,
            )
        notify(user, "rescue_generated", count=len(codes))
        return [formatted(c) for c in codes]

    def void(self, user, now):
        """Void all of `user`'s codes, within a transaction holding the person's lock.
        Returns how many were unused.

        A code spent by a SUBMIT whose bypass code is still being made is voided
        too, so that give_back cannot bring it back if the bypass code fails.
        """
        codes = self.filter(user=user, voided_at__isnull=True)
        unused = codes.filter(used_at__isnull=True).count()
        codes.update(voided_at=now)
        return unused

    def redeem(self, user, text, *, on_use=None):
        """Use up one of `user`'s rescue codes if `text` is one of them and unused.

        `on_use(code)`, if given, runs in the transaction that uses the code
        up. The hash is checked before that transaction, in none.
        """
        return ProofLock.objects.attempt(
            user,
            ProofLock.Kind.RESCUE,
            lambda: self._use(user, text, on_use),
            action=AuditEvent.Action.RESCUE_USE,
        )

    def _use(self, user, text, on_use):
        typed = normalize(text, CODE_PATTERN)
        if typed is not None:
            # At most two hash checks: the unused code with this selector,
            # then the newest used or voided one, to say why it is refused.
            candidates = (
                self.filter(user=user, selector=typed[:SELECTOR_LENGTH])
                .annotate(
                    usable=Case(
                        When(used_at__isnull=True, voided_at__isnull=True, then=Value(0)),
                        default=Value(1),
                    )
                )
                .order_by("usable", "-created_at", "-pk")[:2]
            )
            for candidate in candidates:
                if code_matches(candidate.code_hash, typed):
                    return self._consume(user, candidate, on_use)
        if self.filter(user=user).unused().exists():
            return CheckResult(Reason.WRONG_CODE)
        return CheckResult(Reason.NO_CODE)

    def _consume(self, user, code, on_use):
        with transaction.atomic():
            # The person's row first, as in generate(): one order of locks, so
            # no deadlock, and a new set voids a code or comes after its use.
            get_user_model().objects.lock(user)
            used = self.filter(pk=code.pk).unused().update(used_at=timezone.now())
            if used and on_use:
                on_use(code)
        if used:
            return CheckResult(Reason.ACCEPTED, uses_left=self.unused_count(user))
        code.refresh_from_db(fields=["used_at", "voided_at"])
        if code.used_at is not None:
            return CheckResult(Reason.USED_UP)
        return CheckResult(Reason.REVOKED)

    def give_back(self, code):
        """Make a spent code usable again: what it was spent for could not be made.

        Not if it was voided meanwhile (a new set, the helpdesk): then it stays void.
        """
        self.filter(pk=code.pk, voided_at__isnull=True).update(used_at=None)

    def unused_count(self, user):
        return self.filter(user=user).unused().count()


class RescueCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="rescue_codes",
        verbose_name=_("person"),
    )
    selector = models.CharField(max_length=SELECTOR_LENGTH, editable=False)
    code_hash = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(_("generated at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(
        _("voided at"), null=True, blank=True, help_text=_("Replaced by a newer set.")
    )

    objects = RescueCodeManager()

    class Meta:
        indexes = [models.Index(fields=["user", "selector"])]
        verbose_name = _("rescue code")
        verbose_name_plural = _("rescue codes")

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def status(self):
        if self.used_at is not None:
            return _("used")
        if self.voided_at is not None:
            return _("voided")
        return _("unused")
