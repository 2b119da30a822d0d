"""The people layer: people, their CU Link cards, proof locks and the audit trail.

The rules of the portal live in managers here and in bypass/ and rescue/;
views, commands and the Duo API (duoapi/) only call them.
"""

import hashlib
import hmac
import logging
import random
import time
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pyotp
from django.conf import settings
from django.contrib.auth import models as auth_models
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, models, router, transaction
from django.db.models import F, Q, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duoportal.encryption import decrypt, encrypt
from duoportal.hashing import normalize
from duoportal.middleware import request_context
from duoportal.notifications import notify
from duoportal.results import CheckResult, Matched, Reason

audit_log = logging.getLogger("duoportal.audit")


class UserManager(auth_models.UserManager):
    def get_by_natural_key(self, username):
        # Admin sign-in and lookups accept "Alice@Example.edu" for alice@example.edu.
        return self.get(username=self.model.normalize_username(username))

    def lock(self, user):
        """Within a transaction, make other writers for this person wait their turn.

        On SQLite the IMMEDIATE transaction already serialises writers.
        """
        # NO KEY: rows that merely point at the person (an audit event's foreign
        # key check at commit) do not wait for it, so no deadlock with a check.
        list(self.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))


class User(auth_models.AbstractUser):
    """A person, known by their lower-cased Microsoft 365 user principal name."""

    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[validate_email],
        help_text=_("The person's Microsoft 365 user principal name, e.g. alice@example.edu."),
        error_messages={"unique": _("A person with that username already exists.")},
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)

    objects = UserManager()

    class Meta(auth_models.AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.username

    @classmethod
    def normalize_username(cls, username):
        return super().normalize_username(username).strip().lower()

    def save(self, *args, **kwargs):
        self.username = self.normalize_username(self.username)
        # There is no password sign-in: people, helpdesk and superusers alike
        # sign in with Microsoft 365. Whatever set one (createsuperuser,
        # changepassword, a form), no password is ever stored usable.
        if self.has_usable_password():
            self.set_unusable_password()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password"}
        super().save(*args, **kwargs)


def hand_written(model, sql, params):
    """Run `sql`, where {table} is `model`'s table: (rows changed, the first row returned).

    For the few statements every passcode check runs. Django's ORM compiles a
    conditional UPDATE in about ten times the time SQLite takes to run it
    (0.5 against 0.04 ms, docs/performance.md), and on two cores that is
    time taken from the hashes. A param given as (field name, value) is
    adapted as the ORM adapts that field of `model` (dates for SQLite, addresses
    for PostgreSQL's inet).
    """
    connection = connections[router.db_for_write(model)]
    values = _adapted(model, params, connection)
    table = connection.ops.quote_name(model._meta.db_table)
    # As the ORM's writes do: an error spoils the transaction it happened in.
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), values)
        row = cursor.fetchone() if cursor.description else None
        return cursor.rowcount, row


def _adapted(model, params, connection):
    return [
        model._meta.get_field(param[0]).get_db_prep_save(param[1], connection)
        if isinstance(param, tuple)
        else param
        for param in params
    ]


def hand_written_insert(instance):
    """Save the new `instance` with one INSERT, as instance.save() would; returns it.

    For the audit event every Duo API call writes: the ORM compiles an INSERT
    in more time than PostgreSQL takes to run it (see hand_written). Only for
    models without signals or their own save() logic for new rows.
    """
    model = type(instance)
    # What save() checks first: an unsaved person would be stored as nobody.
    instance._prepare_related_fields_for_save(operation_name="save")
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    # Names from the model, values as parameters.
    sql = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}".format(  # noqa: S608
        table=quote(model._meta.db_table),
        columns=", ".join(quote(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
        pk=quote(model._meta.pk.column),
    )
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def hand_written_first(model, sql, params):
    """The first `model` that `sql` selects, or None. In `sql`, {columns} are the model's
    columns in the order it expects them, and {table} is its table; `params` as for
    hand_written.

    For the lookups every Duo API call makes (the integration, the person, their
    code), and every signed-in page (the session, the person): the ORM compiles
    such a lookup in eight times what the query then costs (0.26 against 0.03 ms
    on SQLite). The row is converted to Python as the ORM converts it (aware
    datetimes, JSON).
    """
    connection = connections[router.db_for_read(model)]
    columns, converters = _reading(model, connection)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(columns=columns, table=table), _adapted(model, params, connection)
        )
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, functions in converters:
        # The backend's converters from this thread's connection (SQLite's read its
        # time zone), then the field's own, in the ORM's order.
        for convert in connection.ops.get_db_converters(column) + functions:
            values[index] = convert(values[index], column, connection)
    return model.from_db(connection.alias, None, values)


_READINGS = {}


def _reading(model, connection):
    """(`model`'s columns for a SELECT, each column with its field's own converters).

    The same for every connection to the database `connection` is to.
    """
    key = (model, connection.alias)
    if key not in _READINGS:
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        columns = [field.get_col(model._meta.db_table) for field in fields]
        _READINGS[key] = (
            ", ".join(quote(field.column) for field in fields),
            [
                (index, column, column.get_db_converters(connection))
                for index, column in enumerate(columns)
            ],
        )
    return _READINGS[key]


def one_by(model, field, value):
    """The `model` whose `field`, a unique key, is `value`, or None (see hand_written_first)."""
    connection = connections[router.db_for_read(model)]
    field = model._meta.get_field(field)
    column = connection.ops.quote_name(field.column)
    # The column is the model's own, never the caller's input; the value is a parameter.
    sql = f"SELECT {{columns}} FROM {{table}} WHERE {column} = %s"  # noqa: S608
    return hand_written_first(model, sql, [(field.name, value)])


def optional_person(verbose_name, related_name="+"):
    """A link to a person that becomes NULL, not a cascade, when they are deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class AuditQuerySet(models.QuerySet):
    # The trail is append-only: no bulk rewriting or deleting through the ORM.
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEventManager(models.Manager.from_queryset(AuditQuerySet)):
    def stale(self):
        """Events older than AUDIT_RETENTION_DAYS (manage.py purge); none when it is 0."""
        if not settings.AUDIT_RETENTION:
            return self.none()
        return self.filter(at__lt=timezone.now() - settings.AUDIT_RETENTION)

    def record(self, action, *, subject=None, actor=None, outcome="", **detail):
        """Append one event. Never pass a code, a serial or a hash in `detail`."""
        context = request_context.get()
        if context.application:
            detail = {"application": context.application, **context.detail, **detail}
        event = self.model(
            action=action,
            outcome=str(outcome),
            subject=subject,
            subject_username=subject.username if subject else "",
            actor=actor,
            actor_username=actor.username if actor else "",
            ip=context.ip,
            user_agent=context.user_agent[:300],
            detail=detail,
        )
        hand_written_insert(event)
        # The same event as a log line, which carries the request's id (duoportal.logs):
        # from the id a person reads out, the helpdesk finds what happened, and the event.
        # Once committed: an event rolled back with its transaction did not happen.
        transaction.on_commit(partial(_log_event, event), using=event._state.db)
        return event


def _log_event(event):
    audit_log.info(
        "%s %s %s",
        event.action,
        event.subject_username or "-",
        event.outcome or "-",
        extra={
            "event": event.pk,
            "action": event.action,
            "outcome": event.outcome,
            "subject": event.subject_username,
            "actor": event.actor_username,
            "ip": event.ip,
            "detail": event.detail,
        },
    )


# What the helpdesk reads for an event's outcome. The trail keeps the short
# code (filters and exports use it); an outcome not listed here (a count) is
# shown as it is.
OUTCOME_WORDS = {
    "accepted": _("accepted"),
    "no_code": _("nothing to check it against"),
    "wrong_code": _("wrong"),
    "expired": _("expired"),
    "used_up": _("used up"),
    "revoked": _("revoked"),
    "locked": _("refused: locked"),
    "busy": _("not checked: others in flight"),
    "inactive": _("refused: person disabled"),
    "superseded": _("superseded by a new code"),
    "lost": _("reported lost"),
    "replaced": _("replaced"),
    "culink": _("CU Link card"),
    "rescue": _("rescue code"),
    "helpdesk": _("helpdesk"),
    "passcode": _("passcode"),
    "card": _("CU Link card serial"),
    "allow": _("allowed"),
    "deny": _("denied"),
    "enroll": _("told to get a bypass code"),
    "auth": _("asked for a passcode"),
    "prompt": _("shown the prompt"),
    "cancel": _("cancelled"),
    "duo_unavailable": _("Duo did not answer"),
    "ok": _("done"),
    # Cards imported, people's names refreshed, rows changed in admin.
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "kept": _("kept lost or revoked"),
    "renamed": _("renamed"),
    "added": _("added"),
    "changed": _("changed"),
    "deleted": _("deleted"),
    "moved": _("moved to another person"),
}


def outcome_words(outcome):
    """An event's outcome as the helpdesk reads it."""
    if outcome.startswith("duo_user_"):
        # Duo refused the person: its own word for why (disabled, locked_out...).
        return _("Duo refused the person: %(why)s") % {"why": outcome.removeprefix("duo_user_")}
    return OUTCOME_WORDS.get(outcome, outcome)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        BYPASS_ISSUE = "bypass_issue", _("bypass code issued")
        BYPASS_USE = "bypass_use", _("bypass code used")
        BYPASS_REVOKE = "bypass_revoke", _("bypass code revoked")
        RESCUE_GENERATE = "rescue_generate", _("rescue codes generated")
        RESCUE_USE = "rescue_use", _("rescue code used")
        CARD_CHECK = "card_check", _("card checked")
        CARD_IMPORT = "card_import", _("card imported")
        PROOF_LOCK = "proof_lock", _("proof locked")
        PROOF_UNLOCK = "proof_unlock", _("proof unlocked")
        SIGN_IN = "sign_in", _("signed in")
        SIGN_OUT = "sign_out", _("signed out")
        PROFILE_UPDATE = "profile_update", _("name or e-mail changed in Microsoft 365")
        TOTP_USE = "totp_use", _("authenticator code used")
        DEVICE_ADD = "device_add", _("authenticator added")
        DEVICE_REMOVE = "device_remove", _("authenticator removed")
        ADMIN_CHANGE = "admin_change", _("changed in admin")
        DUO_PREAUTH = "duo_preauth", _("application asked how to check the person (Duo API)")
        DUO_AUTH = "duo_auth", _("application checked a passcode (Duo API)")
        DUO_AUTHORIZE = "duo_authorize", _("application sent the person to the Universal Prompt")
        DUO_PROMPT = "duo_prompt", _("person answered the Universal Prompt")
        DUO_TOKEN = "duo_token", _("application fetched the Universal Prompt's answer")
        DUO_PASSCODE = "duo_passcode", _("passcode checked by Duo (Duo account mode)")
        PERSON_DISABLE = "person_disable", _("person disabled by the helpdesk")
        PERSON_ENABLE = "person_enable", _("person enabled by the helpdesk")
        RESCUE_VOID = "rescue_void", _("rescue codes voided by the helpdesk")
        CARD_LOST = "card_lost", _("card marked lost by the helpdesk")
        CARD_REPLACE = "card_replace", _("card replaced by the helpdesk")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    # Usernames are copied so the trail still reads after a person is deleted.
    subject = optional_person(_("subject"), related_name="audit_events")
    subject_username = models.CharField(_("subject username"), max_length=150, blank=True)
    actor = optional_person(_("actor"))
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventManager()

    class Meta:
        ordering = ["-at", "-pk"]
        # The admin index's report counts today's events of a few actions: with
        # this index each figure reads only today's rows of those actions.
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            # The trail's search box: a deleted person's name, an address.
            models.Index(fields=["subject_username", "at"], name="audit_subject_username_at"),
            models.Index(fields=["ip", "at"], name="audit_ip_at"),
            # The trail's filter by application: the same expression as
            # filter(detail__application=...), so the database uses it.
            models.Index(KeyTransform("application", "detail"), "at", name="audit_application_at"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.subject_username} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")

    @property
    def outcome_words(self):
        return outcome_words(self.outcome)


class ProofLockManager(models.Manager):
    def locked_until(self, user, kind):
        """Until when `kind` is locked for `user`, or None.

        Read by every page that shows a proof's form, before the form (see
        hand_written_first: the ORM's compiling is most of such a read).
        """
        lock = hand_written_first(
            self.model,
            "SELECT {columns} FROM {table} WHERE user_id = %s AND kind = %s AND locked_until > %s",
            [user.pk, ("kind", kind), ("locked_until", timezone.now())],
        )
        return lock.locked_until if lock else None

    def attempt(self, user, kind, check, *, action):
        """Run `check()` unless `kind` is locked for `user`, and count the outcome.

        Every refusal except `locked` and `busy` counts as a failure; a success
        resets the count, unless a failure was counted while it was checked
        (no racing failure is lost). While locked, `check` is not called, so
        no hash is computed.

        `check()` computes a slow hash, so it runs in no transaction and holds
        no lock: an attempt first reserves a place (failures counted plus
        attempts in flight stay below PROOF_MAX_FAILURES), then checks, then
        settles. So attempts run side by side, and yet however many race, on
        any number of app servers, at most ten guesses are ever checked before
        the lock. One that finds every place taken waits up to PROOF_BUSY_WAIT
        for one to free up, then is refused as `busy`, which counts nothing.
        Call it outside any transaction: inside one, the place it takes keeps
        the row locked (PostgreSQL) or the database (SQLite) until the commit.

        `check()` returns a CheckResult, or a Matched when the secret matched
        and its use is still to be counted: then the counting and the
        settlement share one transaction.
        """
        if not user.is_active:
            # A disabled person has nothing usable, whoever asks (views, the API).
            AuditEvent.objects.record(action, subject=user, actor=user, outcome="inactive")
            return CheckResult(Reason.NO_CODE)
        reserved, refusal = self._reserve(user, kind, action)
        if refusal is not None:
            return refusal
        try:
            result = check()
            if isinstance(result, Matched):
                with transaction.atomic():
                    result = self._settle(user, kind, result.count(), action, reserved)
            else:
                result = self._settle(user, kind, result, action, reserved)
        except BaseException:
            # Not a refusal: give the place back, count nothing. Within a caller's
            # transaction that failed, its rollback takes the place back instead.
            if not transaction.get_connection().needs_rollback:
                self.filter(user=user, kind=kind).update(in_flight=self._released())
            raise
        if result.accepted and kind != ProofLock.Kind.PASSCODE:
            # Someone who just proved themselves another way must be able to
            # use the bypass code they are about to get.
            self.unlock(user, ProofLock.Kind.PASSCODE, by=None, why=f"{kind} proof")
        return result

    # Reservations are a counter, `in_flight`, with the time of the newest
    # one, `reserved_at`. A worker killed while checking never gives its place
    # back, so when every place is taken and the newest reservation is older
    # than PROOF_RESERVATION_TIMEOUT, the counter is forgotten: by then none
    # of them can still be checking (a check takes milliseconds). A leaked
    # place therefore blocks nobody for longer than that after the last
    # attempt. Rows per reservation would expire one by one, but cost a
    # transaction and more queries on every check; the counter is one
    # conditional UPDATE to take a place and one to give it back.
    def _released(self):
        # Never below zero: a place forgotten as stale may still be given back.
        return Greatest(F("in_flight") - 1, Value(0), output_field=models.IntegerField())

    def _reserve(self, user, kind, action):
        """Take a place for one check. Returns (when, None), or (None, the refusal)."""
        maximum = settings.PROOF_MAX_FAILURES
        mine = self.filter(user=user, kind=kind)
        give_up = time.monotonic() + settings.PROOF_BUSY_WAIT.total_seconds()
        pause = 0.01
        while True:
            now = timezone.now()
            # One conditional UPDATE decides, so racing attempts cannot both
            # take the last place (PostgreSQL re-checks the WHERE after a
            # concurrent update of the row; SQLite has one writer at a time).
            taken, _row = hand_written(
                self.model,
                """UPDATE {table} SET in_flight = in_flight + 1, reserved_at = %s
                WHERE user_id = %s AND kind = %s
                AND (locked_until IS NULL OR locked_until <= %s)
                AND failures < %s - in_flight""",
                [("reserved_at", now), user.pk, kind, ("locked_until", now), maximum],
            )
            if taken:
                return now, None
            lock = mine.first()
            if lock is None:
                self.get_or_create(user=user, kind=kind)
                continue
            if lock.locked_until and lock.locked_until > now:
                AuditEvent.objects.record(action, subject=user, actor=user, outcome=Reason.LOCKED)
                return None, CheckResult(
                    Reason.LOCKED, tries_left=0, locked_until=lock.locked_until
                )
            stale_before = now - settings.PROOF_RESERVATION_TIMEOUT
            if lock.in_flight and lock.reserved_at <= stale_before:
                # Only if still stale: a place taken meanwhile is not forgotten.
                mine.filter(reserved_at__lte=stale_before).update(in_flight=0)
                continue
            if lock.failures + lock.in_flight < maximum:
                # A place freed up since the UPDATE: take it at once.
                continue
            if time.monotonic() >= give_up:
                AuditEvent.objects.record(action, subject=user, actor=user, outcome=Reason.BUSY)
                return None, CheckResult(Reason.BUSY)
            # Every place is taken by checks in flight: one settles within
            # milliseconds. Jitter keeps the waiters from retrying in step.
            time.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 (timing, not a secret)
            pause = min(pause * 2, 0.2)

    def _settle(self, user, kind, result, action, reserved):
        """Give back the place taken at `reserved` and count the outcome of its check."""
        maximum = settings.PROOF_MAX_FAILURES
        mine = self.filter(user=user, kind=kind)
        if result.accepted:
            # The common case, so no transaction of its own: one UPDATE resets the count.
            # A failure counted after this check began may have been checked
            # after it, so then the count stays (the next refusal shows it).
            AuditEvent.objects.record(action, subject=user, actor=user, outcome=result.reason)
            hand_written(
                self.model,
                """UPDATE {table} SET
                in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END,
                failures = CASE WHEN failed_at >= %s THEN failures ELSE 0 END
                WHERE user_id = %s AND kind = %s""",
                [("failed_at", reserved), user.pk, kind],
            )
            return replace(result, tries_left=maximum)
        # Without a savepoint when within the transaction that counted a use.
        with transaction.atomic(savepoint=False):
            # Exact without F(): this transaction holds the row (select_for_update
            # on PostgreSQL; on SQLite one writer at a time).
            lock = mine.select_for_update().get()
            AuditEvent.objects.record(action, subject=user, actor=user, outcome=result.reason)
            now = timezone.now()
            if lock.locked_until and lock.locked_until > now:
                # Locked meanwhile: this failure adds nothing to a lock.
                mine.update(in_flight=self._released())
                return replace(result, tries_left=0, locked_until=lock.locked_until)
            failures = lock.failures + 1
            if failures < maximum:
                mine.update(in_flight=self._released(), failures=failures, failed_at=now)
                return replace(result, tries_left=maximum - failures)
            until = now + settings.PROOF_LOCKOUT
            mine.update(in_flight=self._released(), failures=0, failed_at=now, locked_until=until)
            AuditEvent.objects.record(
                AuditEvent.Action.PROOF_LOCK,
                subject=user,
                outcome=kind,
                until=until.isoformat(),
            )
            notify(user, "locked", kind=kind, until=until)
        return replace(result, tries_left=0, locked_until=until)

    def unlock(self, user, kind, *, by, why=""):
        """Lift a lock and forget counted failures. Returns whether anything changed."""
        now = timezone.now()
        with transaction.atomic():
            changed = (
                self.filter(user=user, kind=kind)
                .filter(Q(locked_until__gt=now) | Q(failures__gt=0))
                .update(locked_until=None, failures=0)
            )
            if changed:
                AuditEvent.objects.record(
                    AuditEvent.Action.PROOF_UNLOCK, subject=user, actor=by, outcome=kind, why=why
                )
                if by is not None and by != user:
                    notify(user, "unlocked", kind=kind)
        return bool(changed)


class ProofLock(models.Model):
    """Consecutive failures of one kind of proof for one person, and its lock."""

    class Kind(models.TextChoices):
        PASSCODE = "passcode", _("passcode")
        CARD = "card", _("CU Link card serial")
        RESCUE = "rescue", _("rescue code")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="proof_locks",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Checks running now, and when the newest began (see ProofLockManager).
    in_flight = models.PositiveIntegerField(default=0, editable=False)
    reserved_at = models.DateTimeField(null=True, editable=False)
    # When the last failure was counted: a success checked meanwhile leaves it counted.
    failed_at = models.DateTimeField(null=True, editable=False)

    objects = ProofLockManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_proof_lock_per_kind"),
        ]
        verbose_name = _("proof lock")
        verbose_name_plural = _("proof locks")

    def __str__(self):
        return f"{self.user} {self.kind}"


SERIAL_PATTERN = r"[A-Z0-9]{4,32}"


def normalize_serial(text):
    """A card serial as stored: spaces and dashes dropped, upper case; None if malformed."""
    return normalize(text, SERIAL_PATTERN)


def _digest(text):
    # Equal-length digests, so comparing them leaks neither content nor length.
    return hashlib.sha256(text.encode()).digest()


def stays_out_of_use(card, status):
    """Whether the register's `status` for `card` is ignored: active, for a card out of use."""
    out_of_use = (CULinkCard.Status.LOST, CULinkCard.Status.REVOKED)
    return status == CULinkCard.Status.ACTIVE and card.status in out_of_use


class CULinkCardManager(models.Manager):
    def register(self, user, serial, *, status, expires_on, by=None):
        """Create or update one card of the register. Returns created, updated, unchanged or kept.

        A card marked lost or revoked here stays so when the register says it is
        active ("kept"): the card centre's export lags behind a report of a lost
        card, and a stolen card must not work again after the next nightly import.
        Only the helpdesk, in admin, makes such a card active again.
        """
        card = self.filter(serial=serial).first()
        if card is None:
            card = self.create(user=user, serial=serial, status=status, expires_on=expires_on)
            outcome = "created"
        elif (card.status, card.expires_on) == (status, expires_on):
            return "unchanged"
        elif stays_out_of_use(card, status):
            outcome, status, expires_on = "kept", card.status, card.expires_on
        else:
            card.status, card.expires_on = status, expires_on
            card.save(update_fields=["status", "expires_on", "updated_at"])
            outcome = "updated"
        # The serial stays out of the trail: it is one of the person's proofs.
        AuditEvent.objects.record(
            AuditEvent.Action.CARD_IMPORT,
            subject=user,
            actor=by,
            outcome=outcome,
            card_id=card.pk,
            status=status,
            expires_on=expires_on.isoformat() if expires_on else None,
        )
        return outcome

    def verify(self, user, serial, *, on_match=None):
        """Check `serial` against `user`'s cards; `on_match(card)`, if given, gets the
        card that passed."""
        return ProofLock.objects.attempt(
            user,
            ProofLock.Kind.CARD,
            lambda: self._check(user, serial, on_match),
            action=AuditEvent.Action.CARD_CHECK,
        )

    def _check(self, user, serial, on_match=None):
        typed = _digest(normalize_serial(serial) or "")
        cards = list(self.filter(user=user))
        # Compare with every card of the person, without stopping early.
        matches = [card for card in cards if hmac.compare_digest(_digest(card.serial), typed)]
        if matches:
            card = matches[0]
            if card.status != CULinkCard.Status.ACTIVE:
                return CheckResult(Reason.REVOKED)
            if card.is_expired:
                return CheckResult(Reason.EXPIRED)
            if on_match:
                on_match(card)
            return CheckResult(Reason.ACCEPTED)
        if any(card.is_usable for card in cards):
            return CheckResult(Reason.WRONG_CODE)
        return CheckResult(Reason.NO_CODE)


# What the helpdesk reads when a second card of a person would be active.
ONE_ACTIVE_CARD = _(
    "A person can have only one active card. Mark the old card lost or revoked first, or use "
    "“replace” on the person's page."
)


class CULinkCard(models.Model):
    """A campus ID card from the card centre's register."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        LOST = "lost", _("lost")
        REVOKED = "revoked", _("revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="cards",
        verbose_name=_("holder"),
    )
    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Last day the card is valid.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CULinkCardManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="active"),
                name="one_active_card_per_person",
                violation_error_message=ONE_ACTIVE_CARD,
            ),
        ]
        verbose_name = _("CU Link card")
        verbose_name_plural = _("CU Link cards")

    def __str__(self):
        # Not the serial: this text lands in admin's history and messages.
        return f"{self.user} card #{self.pk}"

    def save(self, *args, **kwargs):
        self.serial = normalize_serial(self.serial) or self.serial
        super().save(*args, **kwargs)

    def clean(self):
        serial = normalize_serial(self.serial)
        if serial is None:
            raise ValidationError({"serial": _("Enter 4 to 32 letters and digits.")})
        self.serial = serial

    @property
    def is_expired(self):
        # A card is valid through its last day, in the portal's time zone.
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    @property
    def is_usable(self):
        return self.status == self.Status.ACTIVE and not self.is_expired


TOTP_PATTERN = r"[0-9]{6}"
# One 30-second step either side of now, for phones whose clocks drift.
TOTP_TOLERANCE = 1


# An app not confirmed within a day is dropped: its secret was shown long ago,
# and a person who still wants it starts again with a new one.
UNCONFIRMED_LIFETIME = timedelta(days=1)


class AuthenticatorDeviceManager(models.Manager):
    def stale(self):
        """Apps added but never confirmed, past the time to confirm them (manage.py purge)."""
        return self.filter(confirmed=False, created_at__lte=self._stale_before())

    def start(self, user, name):
        """An unconfirmed device with a new secret, to show as a QR code.

        It replaces the person's unconfirmed one, so nobody collects secrets
        by adding again and again. Everyone's unconfirmed devices older than
        UNCONFIRMED_LIFETIME are removed on the way.
        """
        secret = encrypt(pyotp.random_base32())
        self.stale().delete()
        with transaction.atomic():
            # Two adds of one person take turns, so the second replaces the first.
            User.objects.lock(user)
            self.filter(user=user, confirmed=False).delete()
            return self.create(user=user, name=name, secret_encrypted=secret)

    def confirmable(self):
        """Unconfirmed devices young enough to be confirmed."""
        return self.filter(confirmed=False, created_at__gt=self._stale_before())

    def _stale_before(self):
        return timezone.now() - UNCONFIRMED_LIFETIME

    def confirm(self, device, code):
        """Confirm enrolment with a first code from the app. Returns whether it matched."""
        if device.confirmed or device.created_at <= self._stale_before():
            return False
        if not device.consume(code):
            return False
        # A conditional UPDATE: a device replaced or removed meanwhile stays unconfirmed.
        if not self.confirmable().filter(pk=device.pk).update(confirmed=True):
            return False
        device.confirmed = True
        AuditEvent.objects.record(
            AuditEvent.Action.DEVICE_ADD,
            subject=device.user,
            actor=device.user,
            outcome="ok",
            device=device.name,
        )
        notify(device.user, "device_added", device=device)
        return True

    def remove(self, device, *, by):
        self.filter(pk=device.pk).delete()
        AuditEvent.objects.record(
            AuditEvent.Action.DEVICE_REMOVE,
            subject=device.user,
            actor=by,
            outcome="ok",
            device=device.name,
        )
        notify(device.user, "device_removed", device=device)

    def verify(self, user, code):
        """A code from one of the person's confirmed devices; a replayed code is refused."""
        devices = list(self.filter(user=user, confirmed=True))
        if not devices:
            return CheckResult(Reason.NO_CODE)
        if any(device.consume(code) for device in devices):
            return CheckResult(Reason.ACCEPTED)
        return CheckResult(Reason.WRONG_CODE)


class AuthenticatorDevice(models.Model):
    """An authenticator app (TOTP) on the person's phone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="authenticators",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=64)
    secret_encrypted = models.TextField(editable=False)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    # The last time step accepted: a code is good once, never replayed.
    last_step = models.BigIntegerField(default=-1, editable=False)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    objects = AuthenticatorDeviceManager()

    class Meta:
        constraints = [
            # One app being added per person at a time: a new one replaces it.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(confirmed=False),
                name="one_unconfirmed_authenticator_per_person",
            ),
        ]
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self):
        return self.name

    @property
    def totp(self):
        return pyotp.TOTP(decrypt(self.secret_encrypted) or "")

    def provisioning_uri(self):
        return self.totp.provisioning_uri(name=self.user.username, issuer_name=settings.TOTP_ISSUER)

    def consume(self, code):
        """Accept `code` if it is the app's code for a step not used before."""
        typed = normalize(code, TOTP_PATTERN)
        secret = decrypt(self.secret_encrypted)
        if typed is None or secret is None:
            return False
        totp = pyotp.TOTP(secret)
        now = timezone.now()
        for offset in range(-TOTP_TOLERANCE, TOTP_TOLERANCE + 1):
            moment = now + timedelta(seconds=offset * totp.interval)
            if hmac.compare_digest(totp.at(moment), typed):
                step = totp.timecode(moment)
                # Conditional UPDATE: two racing uses of one code, one wins.
                return bool(
                    AuthenticatorDevice.objects.filter(pk=self.pk, last_step__lt=step).update(
                        last_step=step
                    )
                )
        return False
