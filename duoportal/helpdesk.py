"""What the helpdesk sees of one person and does for them.

A student at the counter asks "why can't I get a code?". The person's page in
admin answers from this summary: their cards, their bypass code's state
(never the code or its hash), their rescue codes, their locks, their
authenticator apps, the last audit events about them, and a diagnosis in a
few plain words. The actions below each take the helpdesk user and their
reason, are audited with it, and e-mail the person.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bypass.models import BypassCode
from duoportal.models import AuditEvent, CULinkCard, ProofLock, normalize_serial
from duoportal.notifications import notify
from rescue.models import RescueCode

RECENT_EVENTS = 20
LOCK_WORDS = {
    ProofLock.Kind.PASSCODE: gettext_noop("passcode locked until %(time)s"),
    ProofLock.Kind.CARD: gettext_noop("card check locked until %(time)s"),
    ProofLock.Kind.RESCUE: gettext_noop("rescue codes locked until %(time)s"),
}


@dataclass
class Overview:
    person: object
    cards: list
    # The newest code, live or not: its state is what the person meets.
    code: BypassCode | None
    rescue_codes_left: int
    rescue_codes_made_at: object
    locks: list
    devices: list
    events: list
    diagnosis: list = field(default_factory=list)
    # What the helpdesk can do about it, one sentence each.
    advice: list = field(default_factory=list)

    @property
    def active_card(self):
        return next((card for card in self.cards if card.status == CULinkCard.Status.ACTIVE), None)


# Active first (the status's values sort that way), then the newest.
CARD_ORDER = ["status", "-created_at"]


def overview(person, *, cards=None):
    """What the helpdesk needs to know of `person`; `cards` if already read (in CARD_ORDER)."""
    if cards is None:
        cards = list(person.cards.order_by(*CARD_ORDER))
    code = (
        BypassCode.objects.filter(user=person)
        .select_related("issued_by")
        .order_by("-created_at", "-pk")
        .first()
    )
    rescue_codes_left, rescue_codes_made_at = person.rescue_codes.state()
    locks = list(person.proof_locks.order_by("kind"))
    summary = Overview(
        person=person,
        cards=cards,
        code=code,
        rescue_codes_left=rescue_codes_left,
        rescue_codes_made_at=rescue_codes_made_at,
        locks=locks,
        devices=list(person.authenticators.filter(confirmed=True).order_by("created_at")),
        events=list(AuditEvent.objects.filter(subject=person)[:RECENT_EVENTS]),
    )
    summary.diagnosis = diagnose(summary)
    summary.advice = advise(summary)
    return summary


def diagnose(summary):
    """What stops the person, in the helpdesk's words; empty when nothing does."""
    lines = []
    if not summary.person.is_active:
        lines.append(_("disabled"))
    lines += _card_problems(summary.cards)
    lines += [_(LOCK_WORDS[kind]) % {"time": time} for kind, time in _locked_now(summary)]
    if summary.rescue_codes_made_at and not summary.rescue_codes_left:
        lines.append(_("rescue codes all used"))
    return lines


ADVICE = {
    "disabled": gettext_noop(
        "Disabled people can neither get nor use a code. Enable them only if they should "
        "have access again."
    ),
    "no_valid_card": gettext_noop(
        "Without a valid card they can still use a rescue code. Otherwise, check their "
        "photo ID and issue a code for them; replace the card once the card centre has "
        "made a new one."
    ),
    ProofLock.Kind.PASSCODE: gettext_noop(
        'Ten wrong codes were typed at "Enter a Passcode", by them or by someone '
        "guessing. The lock lifts by itself at %(time)s; getting a new code with their "
        "card lifts it too. Unlock only after checking who they are."
    ),
    ProofLock.Kind.CARD: gettext_noop(
        "Ten wrong card serials were typed. The lock lifts by itself at %(time)s. "
        "Unlock only after checking who they are and that the card on record is theirs."
    ),
    ProofLock.Kind.RESCUE: gettext_noop(
        "Ten wrong rescue codes were typed. The lock lifts by itself at %(time)s. "
        "Unlock only after checking who they are."
    ),
    "rescue_used": gettext_noop(
        "With a new code they can make a new set of rescue codes under My account."
    ),
}


def advise(summary):
    """What the helpdesk can do about each line of the diagnosis, in the same order."""
    advice = []
    if not summary.person.is_active:
        advice.append(_(ADVICE["disabled"]))
    if _card_problems(summary.cards):
        advice.append(_(ADVICE["no_valid_card"]))
    advice += [_(ADVICE[kind]) % {"time": time} for kind, time in _locked_now(summary)]
    if summary.rescue_codes_made_at and not summary.rescue_codes_left:
        advice.append(_(ADVICE["rescue_used"]))
    return advice


def _locked_now(summary):
    """(kind, until as HH:MM) of each proof locked now."""
    now = timezone.now()
    return [
        (lock.kind, formats.time_format(timezone.localtime(lock.locked_until), "H:i"))
        for lock in summary.locks
        if lock.locked_until and lock.locked_until > now
    ]


def _card_problems(cards):
    active = [card for card in cards if card.status == CULinkCard.Status.ACTIVE]
    if not cards:
        return [_("no card on record")]
    if not active:
        if any(card.status == CULinkCard.Status.LOST for card in cards):
            return [_("card reported lost")]
        return [_("card revoked")]
    card = active[0]
    if card.is_expired:
        return [_("card expired on %(date)s") % {"date": card.expires_on.isoformat()}]
    return []


def set_active(person, active, *, by, reason):
    """Disable (or enable) a person. Disabling then revokes their live code, in Duo too.

    Disabled first, so no code can be issued between the revoke and the
    disable. When Duo does not answer, the person stays disabled and
    CodeStoreError is raised: revoke the code again later. Returns whether
    the person's state changed.
    """
    # Disabling also ends every session of the person: a new (unusable) password changes
    # the hash each session keeps of it, so Django signs them out at their next request,
    # and enabling them again brings no old session back.
    ending_sessions = {} if active else {"password": make_password(None)}
    with transaction.atomic():
        changed = (
            get_user_model()
            .objects.filter(pk=person.pk, is_active=not active)
            .update(is_active=active, **ending_sessions)
        )
        if changed:
            action = AuditEvent.Action.PERSON_ENABLE if active else AuditEvent.Action.PERSON_DISABLE
            AuditEvent.objects.record(action, subject=person, actor=by, outcome="ok", reason=reason)
            notify(person, "enabled" if active else "disabled")
    person.is_active = active
    if not active:
        BypassCode.objects.revoke(person, by=by, reason=f"person disabled: {reason}")
    return bool(changed)


def void_rescue_codes(person, *, by, reason):
    """Void the person's unused rescue codes. Returns how many."""
    with transaction.atomic():
        get_user_model().objects.lock(person)
        voided = RescueCode.objects.void(person, timezone.now())
        if voided:
            AuditEvent.objects.record(
                AuditEvent.Action.RESCUE_VOID,
                subject=person,
                actor=by,
                outcome=str(voided),
                reason=reason,
            )
            notify(person, "rescue_voided", count=voided)
    return voided


def mark_card_lost(card, *, by, reason):
    """Returns whether the card was active (now lost)."""
    with transaction.atomic():
        changed = (
            CULinkCard.objects.filter(pk=card.pk)
            .exclude(status="lost")
            .update(status=CULinkCard.Status.LOST, updated_at=timezone.now())
        )
        if changed:
            # The serial stays out of the trail: it is one of the person's proofs.
            AuditEvent.objects.record(
                AuditEvent.Action.CARD_LOST,
                subject=card.user,
                actor=by,
                outcome="lost",
                card_id=card.pk,
                reason=reason,
            )
            notify(card.user, "card_lost")
    return bool(changed)


class SerialTaken(ValueError):
    """The new serial is malformed or already someone's card."""


class AnotherCardIsActive(ValueError):
    """The card to replace is not the person's active card, and they have one: replace that."""

    def __init__(self, active):
        super().__init__(active.pk)
        self.active = active


def replace_card(card, serial, *, by, reason, expires_on=None):
    """A new card for the person, in one transaction with marking this one lost if active.

    A lost card is replaced only while the person has no active card: that one,
    a good card, would otherwise be marked lost as a side effect.
    """
    serial = normalize_serial(serial)
    if serial is None:
        raise SerialTaken(serial)
    try:
        with transaction.atomic():
            get_user_model().objects.lock(card.user)
            cards = CULinkCard.objects.filter(user=card.user, status=CULinkCard.Status.ACTIVE)
            active = cards.exclude(pk=card.pk).first()
            if active is not None:
                raise AnotherCardIsActive(active)
            cards.update(status=CULinkCard.Status.LOST, updated_at=timezone.now())
            new = CULinkCard.objects.create(user=card.user, serial=serial, expires_on=expires_on)
            AuditEvent.objects.record(
                AuditEvent.Action.CARD_REPLACE,
                subject=card.user,
                actor=by,
                outcome="replaced",
                card_id=new.pk,
                replaced_card_id=card.pk,
                reason=reason,
            )
            notify(card.user, "card_replaced")
    except IntegrityError as error:
        # Another card has this serial, or got it a moment ago.
        raise SerialTaken(serial) from error
    return new


# The checks whose refusals count as failed proofs, by the proof they belong to.
PROOF_ACTIONS = {
    AuditEvent.Action.CARD_CHECK: ProofLock.Kind.CARD,
    AuditEvent.Action.RESCUE_USE: ProofLock.Kind.RESCUE,
    AuditEvent.Action.BYPASS_USE: ProofLock.Kind.PASSCODE,
    AuditEvent.Action.TOTP_USE: ProofLock.Kind.PASSCODE,
    AuditEvent.Action.DUO_PASSCODE: ProofLock.Kind.PASSCODE,
}
# Outcomes that are no failure of the person's: nothing was checked or counted.
NOT_FAILURES = [
    "accepted",
    "locked",
    "busy",
    "inactive",
    "duo_unavailable",
    "duo_user_unknown",
    "duo_user_disabled",
    "duo_user_locked_out",
]


@dataclass
class Report:
    # (label, count) for every channel and every kind of proof, zeros included.
    codes_by_channel: list
    failures_by_kind: list
    locks_set: int
    top_failures: list


def start_of_today():
    """Midnight in the portal's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))


def todays_report():
    """Today's figures for the admin index, so an attack shows up. One query per figure.

    Each reads only today's rows through an index (bypass codes by
    created_at, audit events by action and time), so it stays fast however
    long the trail grows.
    """
    today = start_of_today()
    codes = (
        BypassCode.objects.filter(created_at__gte=today)
        .values_list("via")
        .annotate(count=Count("pk"))
        .order_by()
    )
    failures = AuditEvent.objects.filter(
        ~Q(outcome__in=NOT_FAILURES), action__in=list(PROOF_ACTIONS), at__gte=today
    ).order_by()
    by_action = failures.values_list("action").annotate(count=Count("pk"))
    by_kind = {}
    for action, count in by_action:
        kind = PROOF_ACTIONS[action]
        by_kind[kind] = by_kind.get(kind, 0) + count
    top = (
        failures.exclude(subject=None)
        .values_list("subject_username", "subject_id")
        .annotate(count=Count("pk"))
        .order_by("-count", "subject_username")[:5]
    )
    codes = dict(codes)
    return Report(
        codes_by_channel=[(label, codes.get(via, 0)) for via, label in BypassCode.Via.choices],
        failures_by_kind=[(label, by_kind.get(kind, 0)) for kind, label in ProofLock.Kind.choices],
        locks_set=AuditEvent.objects.filter(
            action=AuditEvent.Action.PROOF_LOCK, at__gte=today
        ).count(),
        top_failures=list(top),
    )
