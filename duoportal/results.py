"""The one result type that every check in the models layer returns."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Reason(StrEnum):
    ACCEPTED = "accepted"
    # The person has nothing of this kind that could be accepted.
    NO_CODE = "no_code"
    WRONG_CODE = "wrong_code"
    # The next three are only reported when what was typed matches that code or
    # card, so a guesser learns nothing from them.
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    LOCKED = "locked"
    # Every place for a check was taken by others in flight for longer than
    # PROOF_BUSY_WAIT. Not counted as a failure: nothing was checked.
    BUSY = "busy"


@dataclass(frozen=True)
class CheckResult:
    """What a check of a passcode, card serial or rescue code decided.

    `uses_left` is set where uses are counted (a bypass code's uses after an
    acceptance, the unused rescue codes left). `tries_left` is how many
    failures remain before this kind of proof locks. `locked_until` is set
    while the proof is locked, including by the failure that locked it.
    Its truth value is `accepted`, so `if BypassCode.objects.redeem(...)` reads.
    """

    reason: Reason
    uses_left: int | None = None
    tries_left: int | None = None
    locked_until: datetime | None = None

    @property
    def accepted(self):
        return self.reason == Reason.ACCEPTED

    def __bool__(self):
        return self.accepted


@dataclass(frozen=True)
class Matched:
    """What a check returns when the secret matched but its use is still to be counted.

    `count()` makes the writes that count the use (the conditional UPDATE of a
    code, its history) and returns the CheckResult. ProofLockManager.attempt
    calls it in the transaction that also settles the proof's lock, so a
    checked passcode costs one commit after its hash, not three.
    """

    count: Callable[[], CheckResult]
