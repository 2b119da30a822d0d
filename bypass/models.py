"""Bypass codes: 9 digits, good for 20 uses within 12 hours (settings)."""

import ipaddress
import logging
import re
import secrets
import time
from contextlib import ExitStack, contextmanager
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bypass.stores import (
    CodeStoreError,
    CodeStoreRefusedPerson,
    CodeStoreUnavailable,
    code_store,
)
from duoportal.hashing import code_matches, normalize
from duoportal.middleware import request_context
from duoportal.models import (
    TOTP_PATTERN,
    AuditEvent,
    AuthenticatorDevice,
    CULinkCard,
    ProofLock,
    hand_written,
    hand_written_first,
    optional_person,
)
from duoportal.notifications import notify
from duoportal.results import CheckResult, Matched, Reason
from rescue.models import RescueCode

CODE_PATTERN = r"[0-9]{9}"
# What Duo may accept at the portal's prompt in Duo account mode: a bypass code,
# a Duo Mobile passcode (6 digits), a hardware token's (6 or 8).
DUO_PASSCODE_PATTERN = r"[0-9]{6,9}"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
SUPERSEDED = "superseded by a new code"
GONE = "no longer in Duo"

logger = logging.getLogger(__name__)


def _store_failure(error):
    """The audit trail's outcome for a code store that did not do what was asked."""
    if isinstance(error, CodeStoreRefusedPerson):
        return f"duo_user_{error.why}"
    return "duo_unavailable"


@contextmanager
def reported(action, user, *, actor, **detail):
    """Within: a call to the code store. If it fails, log and audit why, then re-raise.

    Why is the error's `detail`: the call, Duo's status and error code, never a
    key or a code. Nothing changed, so the views only say "try again".
    """
    try:
        yield
    except CodeStoreError as error:
        logger.warning("Duo did not do %s for %s: %s", action, user.username, error.detail)
        AuditEvent.objects.record(
            action,
            subject=user,
            actor=actor,
            outcome=_store_failure(error),
            error=error.detail,
            **detail,
        )
        raise


def _take(key, token, *, lifetime, wait):
    """Add `key` to the cache, waiting up to `wait` seconds for whoever holds it."""
    give_up = time.monotonic() + wait
    while not cache.add(key, token, timeout=lifetime):
        if time.monotonic() > give_up:
            return False
        time.sleep(0.1)
    return True


@contextmanager
def one_change_at_a_time(user):
    """Within: the only issue or revoke of `user`'s code on any app server, when a remote
    store (Duo) keeps the codes.

    Duo keeps one code per person: an issue clears the earlier code, then reads
    the new one's id. Two issues at once (the person and the helpdesk) would each
    clear the other's code, and one would be shown a code Duo no longer has; a
    revoke (the person disabled) during an issue would miss the code being made.
    The lock is in the cache (Redis, shared by the app servers) and lasts at most
    as long as an issue may; a cache that does not answer is logged and skipped,
    as the throttles do. The local store needs none: its codes are its own, and
    the person's row orders the writes.
    """
    if not code_store().remote:
        yield
        return
    key, token = f"bypass-change:{user.pk}", secrets.token_hex(8)
    # The holder's calls to Duo end within DUO_TIMEOUT_SECONDS (duostore.Deadline); the
    # lifetime also covers its database write, and a holder that died.
    timeout = settings.DUO_TIMEOUT_SECONDS
    try:
        taken = _take(key, token, lifetime=2 * timeout + 5, wait=timeout + 1)
    except Exception:  # The cache client's own errors, whatever they are.
        logger.warning("Changing the code of %s without a lock: the cache does not answer", user)
        taken, token = True, None
    if not taken:
        raise CodeStoreUnavailable("another change of this person's code did not end in time")
    try:
        yield
    finally:
        if token is not None:
            try:
                # Not atomic: a holder past the lifetime could delete the next one's lock.
                # The lifetime is twice what a holder may take, so it is left at that.
                if cache.get(key) == token:
                    cache.delete(key)
            except Exception:  # It expires by itself.
                logger.warning("The lock of a change of %s's code is left to expire", user)


def network_of(ip):
    """The /24 (IPv4) or /64 (IPv6) that `ip` is in: roughly one home, office or phone network."""
    address = ipaddress.ip_address(ip)
    # An IPv4 client of a dual-stack server arrives as ::ffff:a.b.c.d, and
    # all of those are in the one /64 ::/64.
    address = getattr(address, "ipv4_mapped", None) or address
    return ipaddress.ip_network((address, 24 if address.version == 4 else 64), strict=False)


class BypassCodeQuerySet(models.QuerySet):
    def live(self):
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now(), uses__lt=F("max_uses")
        )


class BypassCodeManager(models.Manager.from_queryset(BypassCodeQuerySet)):
    def stale(self):
        """Codes expired BYPASS_CODE_RETENTION_DAYS ago, with their uses (manage.py purge).

        Until then a person's My account and the helpdesk still show where
        an old code was used.
        """
        return self.filter(expires_at__lt=timezone.now() - settings.BYPASS_CODE_RETENTION)

    def issue(self, user, *, via, issued_by=None, reason="", identity_check=""):
        """Make a new code for `user`, superseding the live one. Returns (code, plaintext).

        The plaintext exists only in the return value: show it once, never store it.
        A code the helpdesk issues has HELPDESK_CODE_LIFETIME and _MAX_USES, and
        the audit trail keeps how the helpdesk checked who they gave it to.
        """
        if via not in BypassCode.Via.values:
            raise ValueError(f"Unknown way of issuing a bypass code: {via!r}")
        if via == BypassCode.Via.HELPDESK:
            uses, lifetime = settings.HELPDESK_CODE_MAX_USES, settings.HELPDESK_CODE_LIFETIME
        else:
            uses, lifetime = settings.BYPASS_CODE_MAX_USES, settings.BYPASS_CODE_LIFETIME
        # Before the transaction: a hash is slow, and Duo is a network away;
        # neither holds a database lock. Raises CodeStoreError when Duo makes none.
        with ExitStack() as held:
            with reported(
                AuditEvent.Action.BYPASS_ISSUE,
                user,
                actor=issued_by or user,
                via=via,
                reason=reason,
            ):
                # Held until the code is written, so a revoke waits for it; a lock not
                # had in time is audited as Duo not answering.
                held.enter_context(one_change_at_a_time(user))
                if not get_user_model().objects.filter(pk=user.pk, is_active=True).exists():
                    # Disabled while this waited: the revoke has been (the helpdesk).
                    raise CodeStoreRefusedPerson("disabled", "disabled in the portal")
                made = code_store().make(user, uses=uses, lifetime=lifetime)
            # The network the person got the code from is theirs: its first use
            # from there is no news (the issue e-mail told them). A code the
            # helpdesk issues has no such network: the address is the helpdesk's.
            by_the_person = via != BypassCode.Via.HELPDESK
            issued_ip = request_context.get().ip if by_the_person else None
            with transaction.atomic():
                # Two issues for one person queue on the person's row, so the
                # second supersedes the first instead of both staying live.
                get_user_model().objects.lock(user)
                # Read after the lock, so the live code is also the newest one.
                now = timezone.now()
                superseded = self.filter(user=user, revoked_at__isnull=True).update(
                    revoked_at=now, revoked_reason=SUPERSEDED
                )
                code = self.create(
                    user=user,
                    code_hash=made.code_hash,
                    remote_id=made.remote_id,
                    via=via,
                    issued_by=issued_by,
                    created_at=now,
                    expires_at=made.expires_at or now + lifetime,
                    max_uses=uses,
                    issued_ip=issued_ip,
                )
                if superseded:
                    AuditEvent.objects.record(
                        AuditEvent.Action.BYPASS_REVOKE,
                        subject=user,
                        actor=issued_by or user,
                        outcome="superseded",
                    )
                AuditEvent.objects.record(
                    AuditEvent.Action.BYPASS_ISSUE,
                    subject=user,
                    actor=issued_by or user,
                    outcome=via,
                    code_id=code.pk,
                    expires_at=code.expires_at.isoformat(),
                    reason=reason,
                    **({"identity_check": identity_check} if identity_check else {}),
                )
        notify(user, "bypass_issued", code=code)
        return code, made.plaintext

    def issue_with_card_check(self, user, token):
        """GET BYPASS CODE: one code for one fresh card check. Returns (code, plaintext) or None.

        The check is used up by one conditional UPDATE, so a replayed or
        double-submitted GET BYPASS CODE cannot make a second code. If no
        code can be made (Duo does not answer), the check is given back.
        """
        if not CardCheck.objects.use(user, token):
            return None
        try:
            return self.issue(user, via=BypassCode.Via.CULINK)
        except BaseException:
            CardCheck.objects.give_back(user, token)
            raise

    def issue_with_rescue_code(self, user, text):
        """SUBMIT on the rescue path. Returns (result, (code, plaintext) or None).

        The rescue code is spent first (its hash checked outside any
        transaction, then one conditional UPDATE), then the bypass code is
        made; if none can be made (Duo does not answer), the rescue code is
        given back, so it is never spent without a bypass code.
        """
        spent = []
        result = RescueCode.objects.redeem(user, text, on_use=spent.append)
        if not spent:
            return result, None
        try:
            return result, self.issue(user, via=BypassCode.Via.RESCUE)
        except BaseException:
            RescueCode.objects.give_back(spent[0])
            raise

    def redeem(self, user, passcode):
        """Count one use of `user`'s code if `passcode` is it and it is live."""
        return ProofLock.objects.attempt(
            user,
            ProofLock.Kind.PASSCODE,
            lambda: self._use(user, passcode),
            action=AuditEvent.Action.BYPASS_USE,
        )

    def check_passcode(self, user, passcode):
        """The portal's own second factor. Returns (result, method).

        Six digits are a code from an enrolled authenticator app ("totp"),
        anything else is taken for a bypass code ("bypass"). Both count
        against the one passcode lock. "No code" is only said to a person
        with neither a live bypass code nor an app: for anyone else, whatever
        they typed is a wrong passcode.
        """
        store = code_store()
        if store.remote:
            # Duo account mode: Duo checks every passcode (its bypass codes, Duo
            # Mobile, tokens); the portal's own apps are not offered.
            method, action = "duo", AuditEvent.Action.DUO_PASSCODE
            check = partial(self._check_with_store, store, user, passcode)
            result = ProofLock.objects.attempt(user, ProofLock.Kind.PASSCODE, check, action=action)
            return result, method
        typed = normalize(passcode, TOTP_PATTERN)
        if typed is not None:
            method, action = "totp", AuditEvent.Action.TOTP_USE
            check = partial(AuthenticatorDevice.objects.verify, user, typed)
        else:
            method, action = "bypass", AuditEvent.Action.BYPASS_USE
            check = partial(self._use, user, passcode)

        def check_either():
            result = check()
            # A Matched (the code matched, its use still to count) needs no rewording.
            if (
                isinstance(result, CheckResult)
                and result.reason == Reason.NO_CODE
                and self.has_a_passcode(user)
            ):
                return CheckResult(Reason.WRONG_CODE)
            return result

        result = ProofLock.objects.attempt(
            user, ProofLock.Kind.PASSCODE, check_either, action=action
        )
        return result, method

    def _check_with_store(self, store, user, passcode):
        typed = normalize(passcode, DUO_PASSCODE_PATTERN)
        if typed is None:
            return CheckResult(Reason.WRONG_CODE)
        # A failure is not the person's: ProofLock.attempt counts nothing for it.
        with reported(AuditEvent.Action.DUO_PASSCODE, user, actor=user):
            accepted = store.check(user, typed)
        return CheckResult(Reason.ACCEPTED if accepted else Reason.WRONG_CODE)

    def has_a_passcode(self, user):
        return (
            self.live().filter(user=user).exists()
            or AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists()
        )

    def _use(self, user, passcode):
        # The unrevoked code first (there is at most one), then the last revoked.
        latest = hand_written_first(
            self.model,
            """SELECT {columns} FROM {table} WHERE user_id = %s
            ORDER BY revoked_at DESC NULLS FIRST, created_at DESC, id DESC LIMIT 1""",
            [user.pk],
        )
        typed = normalize(passcode, CODE_PATTERN)
        if latest is None or typed is None or not code_matches(latest.code_hash, typed):
            live = latest is not None and latest.is_live
            return CheckResult(Reason.WRONG_CODE if live else Reason.NO_CODE)
        return Matched(partial(self._count_use, latest))

    def _count_use(self, code):
        """Count one use of `code`, whose hash matched; within attempt()'s transaction."""
        now = timezone.now()
        # The rule itself: one conditional UPDATE, so exactly max_uses
        # requests succeed however many race, on any number of servers. The
        # new count comes back with it (RETURNING), not from a second query.
        _changed, counted = hand_written(
            self.model,
            """UPDATE {table} SET uses = uses + 1, last_used_at = %s,
            last_used_ip = COALESCE(%s, last_used_ip)
            WHERE id = %s AND revoked_at IS NULL AND expires_at > %s AND uses < max_uses
            RETURNING uses""",
            [
                ("last_used_at", now),
                ("last_used_ip", request_context.get().ip),
                code.pk,
                ("expires_at", now),
            ],
        )
        if counted is not None:
            self._record_use(code, now)
            return CheckResult(Reason.ACCEPTED, uses_left=max(code.max_uses - counted[0], 0))
        code.refresh_from_db(fields=["uses", "revoked_at"])
        if code.revoked_at is not None:
            return CheckResult(Reason.REVOKED)
        if code.expires_at <= now:
            return CheckResult(Reason.EXPIRED)
        return CheckResult(Reason.USED_UP, uses_left=0)

    def _record_use(self, code, at):
        """Keep when, through which application and from where; e-mail about a new network.

        Called after the conditional UPDATE that counted the use: that holds
        the code's row until the transaction ends, so two uses of one code
        from a new network take turns here and only the first sends an e-mail.
        """
        context = request_context.get()
        # Before this use is written: only the code's issue and earlier uses are known.
        new_network = context.ip is not None and not self._known_network(code, context.ip)
        BypassCodeUse.objects.create(
            code=code,
            at=at,
            application=context.application[: BypassCodeUse.APPLICATION_MAX_LENGTH],
            ip=context.ip,
        )
        if new_network:
            notify(
                code.user,
                "bypass_new_network",
                application=context.application,
                ip=context.ip,
                at=at,
            )

    def _known_network(self, code, ip):
        network = network_of(ip)
        # Mostly a code is used from where it was issued or last used (as read
        # before this use): known without reading its history.
        if any(
            network == network_of(other) for other in (code.issued_ip, code.last_used_ip) if other
        ):
            return True
        earlier = code.use_history.exclude(ip=None).values_list("ip", flat=True).distinct()
        return network in {network_of(other) for other in earlier}

    def uses_of(self, code):
        """The accepted uses of `code`, newest first."""
        return code.use_history.order_by("-at", "-pk")

    def live_for(self, user):
        """The person's live code, to show its uses left and expiry (never the code).

        live() by hand: My account asks on every view (see hand_written_first).
        """
        return hand_written_first(
            self.model,
            """SELECT {columns} FROM {table} WHERE user_id = %s
            AND revoked_at IS NULL AND expires_at > %s AND uses < max_uses
            ORDER BY id LIMIT 1""",
            [user.pk, ("expires_at", timezone.now())],
        )

    def remote_state(self, code):
        """What Duo reports of `code` (a RemoteState), or None when Duo no longer has it.

        A code Duo no longer has (used up there, deleted by a Duo admin) is
        marked revoked here too, so it is shown as gone from then on. Raises
        CodeStoreError when Duo does not answer.
        """
        state = code_store().state(code)
        if state is None:
            self.filter(pk=code.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_reason=GONE
            )
        return state

    def revoke(self, user, *, by, reason):
        """Revoke the person's live code; `by` is the person or a helpdesk user.

        In Duo account mode the code is deleted in Duo first; if Duo does not
        answer, CodeStoreError is raised and nothing changes.
        """
        store = code_store()
        with ExitStack() as held:
            if store.remote:
                with reported(AuditEvent.Action.BYPASS_REVOKE, user, actor=by):
                    # After an issue in flight, so its code is the one deleted.
                    held.enter_context(one_change_at_a_time(user))
            revoked = self._revoke(user, store, by=by, reason=reason)
        # After the turn is given back: a slow mail server holds up no one's issue.
        if revoked and by != user:
            notify(user, "bypass_revoked", by=by)
        return revoked

    def _revoke(self, user, store, *, by, reason):
        live = self.live_for(user)
        revoking = self.live().filter(user=user)
        if live is not None and store.remote:
            with reported(AuditEvent.Action.BYPASS_REVOKE, user, actor=by):
                store.delete(live)
            # Only the code deleted in Duo: one issued meanwhile is live in Duo.
            revoking = revoking.filter(pk=live.pk)
        now = timezone.now()
        with transaction.atomic():
            revoked = revoking.update(revoked_at=now, revoked_by=by, revoked_reason=reason)
            if revoked:
                AuditEvent.objects.record(
                    AuditEvent.Action.BYPASS_REVOKE,
                    subject=user,
                    actor=by,
                    outcome="revoked",
                    reason=reason,
                )
        return bool(revoked)


class CardCheckManager(models.Manager):
    def stale(self):
        """Checks past their life, used or not (manage.py purge)."""
        return self.filter(created_at__lte=timezone.now() - settings.CARD_CHECK_LIFETIME)

    def verify(self, user, serial):
        """Check the serial; on success, a card check good for one code. Returns (result, check)."""
        passed = []
        result = CULinkCard.objects.verify(user, serial, on_match=passed.append)
        if not result:
            return result, None
        return result, self.create(user=user, card=passed[0], token=secrets.token_urlsafe(24))

    def _fresh(self, user, token):
        """(SQL conditions, params) that `token` is `user`'s check, usable now; None for a
        malformed token.

        Written by hand for both `use` and `is_fresh`, which GET BYPASS CODE's page
        asks on every view (see hand_written_first: the ORM's compiling is most of
        such a statement).
        """
        # A posted token is checked before any query: PostgreSQL rejects NUL bytes.
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            return None
        cards = connection.ops.quote_name(CULinkCard._meta.db_table)
        # The card's status by a subquery, not a join: with a join (the ORM's UPDATE
        # makes it "WHERE id IN (SELECT ... FROM this table ...)"), PostgreSQL re-checks
        # a row another request has just used against that subquery's old snapshot,
        # where it is still unused: every racing request used it. The table's name is
        # the model's own; every value is a parameter.
        where = f"""user_id = %s AND token = %s AND used_at IS NULL AND created_at > %s
            AND card_id IN (SELECT id FROM {cards} WHERE status = %s)"""  # noqa: S608
        fresh_since = timezone.now() - settings.CARD_CHECK_LIFETIME
        return where, [user.pk, token, ("created_at", fresh_since), CULinkCard.Status.ACTIVE.value]

    def use(self, user, token):
        """Use the check up: one conditional UPDATE, so only one request ever can."""
        if (fresh := self._fresh(user, token)) is None:
            return False
        where, params = fresh
        changed, _row = hand_written(
            self.model,
            f"UPDATE {{table}} SET used_at = %s WHERE {where}",  # noqa: S608 (_fresh's)
            [("used_at", timezone.now()), *params],
        )
        return bool(changed)

    def give_back(self, user, token):
        """Make a used check usable again: no code was made with it."""
        self.filter(user=user, token=token).update(used_at=None)

    def is_fresh(self, user, token):
        """Whether `token` is a check `use` would take now."""
        if (fresh := self._fresh(user, token)) is None:
            return False
        where, params = fresh
        sql = f"SELECT {{columns}} FROM {{table}} WHERE {where}"  # noqa: S608 (_fresh's)
        return hand_written_first(self.model, sql, params) is not None


class CardCheck(models.Model):
    """A passed CU Link card check ("I'm not a robot" included): good for one code, briefly."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    # The card that passed (the person's one active card): the check lapses once it is
    # marked lost or revoked, so a thief's check gives no code after the owner reports it.
    card = models.ForeignKey(CULinkCard, models.CASCADE, null=True, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = CardCheckManager()

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class BypassCode(models.Model):
    class Via(models.TextChoices):
        CULINK = "culink", _("CU Link card")
        RESCUE = "rescue", _("rescue code")
        HELPDESK = "helpdesk", _("helpdesk")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="bypass_codes",
        verbose_name=_("person"),
    )
    # The argon2id hash of a code the portal checks itself; empty for Duo's.
    code_hash = models.CharField(max_length=200, editable=False, blank=True)
    # Duo account mode: "<Duo user_id>/<bypass_code_id>"; Duo keeps the code itself.
    remote_id = models.CharField(_("Duo bypass code"), max_length=80, blank=True, editable=False)
    via = models.CharField(_("issued via"), max_length=16, choices=Via.choices)
    issued_by = optional_person(_("issued by"))
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # Kept per code, so a code keeps the number of uses it was issued with.
    max_uses = models.PositiveIntegerField(_("uses allowed"))
    uses = models.PositiveIntegerField(_("uses"), default=0)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # The person's address at the last use: what "a new network" is mostly compared with.
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = optional_person(_("revoked by"))
    revoked_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    # Only for a code the person got themselves, not via helpdesk (see BypassCodeManager.issue).
    issued_ip = models.GenericIPAddressField(_("requested from IP address"), null=True, blank=True)

    objects = BypassCodeManager()

    class Meta:
        constraints = [
            # At most one live code per person, whatever races.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_unrevoked_bypass_code_per_person",
            ),
        ]
        # The second: today's codes by channel on the admin index.
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["created_at"], name="bypass_code_created_at"),
        ]
        verbose_name = _("bypass code")
        verbose_name_plural = _("bypass codes")

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def uses_left(self):
        return max(self.max_uses - self.uses, 0)

    @property
    def is_live(self):
        return (
            self.revoked_at is None
            and self.expires_at > timezone.now()
            and self.uses < self.max_uses
        )

    @property
    def status(self):
        if self.revoked_at is not None:
            if self.revoked_reason == GONE:
                return _("no longer in Duo")
            return _("superseded") if self.revoked_reason == SUPERSEDED else _("revoked")
        if self.expires_at <= timezone.now():
            return _("expired")
        if self.uses >= self.max_uses:
            return _("used up")
        return _("live")


class BypassCodeUse(models.Model):
    """One accepted use of a bypass code: when, through which application, from where.

    Never the code or its hash: this is shown to the person and to helpdesk.
    """

    APPLICATION_MAX_LENGTH = 100

    code = models.ForeignKey(
        BypassCode, models.CASCADE, related_name="use_history", verbose_name=_("bypass code")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # The Duo API integration's name; empty for the portal's own passcode prompt.
    application = models.CharField(_("application"), max_length=APPLICATION_MAX_LENGTH, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("use of a bypass code")
        verbose_name_plural = _("uses of bypass codes")

    def __str__(self):
        return f"{self.code} {self.at:%Y-%m-%d %H:%M}"
