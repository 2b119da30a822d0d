"""What the stand-in remembers: its integrations, Duo users, their bypass codes, how to fail."""

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.db import models, transaction

MAX_CODES_PER_USER = 100
MAX_COUNT = 10
CODE_DIGITS = 9


def now():
    """The stand-in's clock for codes: real time plus the offset a test asked for."""
    return int(time.time()) + Control.current().clock_offset


def digest(code):
    # Keyed, unsalted: the stand-in finds a code by its digest, and a plaintext
    # code is never at rest even in a development database.
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def new_id(prefix):
    return prefix + secrets.token_hex(9).upper()


class Integration(models.Model):
    class Kind(models.TextChoices):
        ADMIN = "admin"
        AUTH = "auth"

    kind = models.CharField(max_length=8, choices=Kind.choices, unique=True)
    ikey = models.CharField(max_length=64, unique=True)
    skey = models.CharField(max_length=128)

    def __str__(self):
        return f"{self.kind} {self.ikey}"


class DuoUser(models.Model):
    user_id = models.CharField(max_length=32, unique=True, default="")
    username = models.CharField(max_length=254, unique=True)
    realname = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=16, default="active")
    created = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.user_id = self.user_id or new_id("DU")
        self.created = self.created or int(time.time())
        super().save(*args, **kwargs)

    def as_duo(self):
        """The user object as the Admin API describes it (the fields the portal may read)."""
        return {
            "user_id": self.user_id,
            "username": self.username,
            "realname": self.realname,
            "email": self.email,
            "status": self.status,
            "is_enrolled": True,
            "created": self.created,
            "last_login": None,
            "alias1": None,
            "alias2": None,
            "alias3": None,
            "alias4": None,
            "aliases": {},
            "groups": [],
            "phones": [],
            "tokens": [],
            "webauthncredentials": [],
        }


class CodeError(Exception):
    """A request Duo refuses with 400 40002; `detail` names what is wrong."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class BypassCodeManager(models.Manager):
    def issue(self, user, *, count, codes, reuse_count, valid_secs, preserve_existing):
        """Duo's POST /admin/v1/users/{id}/bypass_codes: the new codes' plaintexts.

        All or nothing: a refused request neither creates nor clears a code.
        """
        with transaction.atomic():
            kept = self.filter(user=user) if preserve_existing else self.none()
            if codes is None:
                taken = set(kept.values_list("digest", flat=True))
                codes = []
                control = Control.current()
                if control.next_code and digest(control.next_code) not in taken:
                    taken.add(digest(control.next_code))
                    codes.append(control.next_code)
                    Control.objects.filter(pk=control.pk).update(next_code="")
                while len(codes) < count:
                    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                    if digest(code) not in taken:
                        taken.add(digest(code))
                        codes.append(code)
            elif kept.filter(digest__in=[digest(code) for code in codes]).exists():
                raise CodeError("codes")
            if kept.count() + len(codes) > MAX_CODES_PER_USER:
                raise CodeError("A user may have at most 100 bypass codes")
            if not preserve_existing:
                self.filter(user=user).delete()
            created = now()
            self.bulk_create(
                self.model(
                    user=user,
                    bypass_code_id=new_id("DB"),
                    digest=digest(code),
                    created=created,
                    expiration=created + valid_secs if valid_secs else None,
                    reuse_count=reuse_count or None,
                    admin_email=settings.DEVDUO_ADMIN_EMAIL,
                )
                for code in codes
            )
        return codes

    def use(self, user, passcode):
        """Whether `passcode` is one of `user`'s codes with a use left; if so, one use is spent."""
        with transaction.atomic():
            code = (
                self.select_for_update()
                .filter(user=user, digest=digest(passcode))
                .exclude(expiration__lte=now())
                .first()
            )
            if code is None:
                return False
            if code.reuse_count is None:
                return True
            if code.reuse_count <= 1:
                # Its last use: Duo no longer has it.
                code.delete()
            else:
                code.reuse_count -= 1
                code.save(update_fields=["reuse_count"])
            return True


class BypassCode(models.Model):
    user = models.ForeignKey(DuoUser, models.CASCADE, related_name="bypass_codes")
    bypass_code_id = models.CharField(max_length=32, unique=True)
    digest = models.CharField(max_length=64)
    created = models.BigIntegerField()
    # Unix time; None never expires (valid_secs 0).
    expiration = models.BigIntegerField(null=True)
    # Uses left; None is unlimited (reuse_count 0).
    reuse_count = models.PositiveIntegerField(null=True)
    admin_email = models.CharField(max_length=254, blank=True)

    objects = BypassCodeManager()

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return self.bypass_code_id

    def as_duo(self):
        """The code's metadata as the Admin API's GET reports it: never the code itself."""
        return {
            "bypass_code_id": self.bypass_code_id,
            "created": self.created,
            "expiration": self.expiration,
            "reuse_count": self.reuse_count,
            "admin_email": self.admin_email,
            "user": {
                "user_id": self.user.user_id,
                "username": self.user.username,
                "realname": self.user.realname,
                "email": self.user.email,
            },
        }


class Control(models.Model):
    """How the stand-in misbehaves, for tests; one row, set through POST /devduo/control."""

    class Failure(models.TextChoices):
        NONE = ""
        SLOW = "slow"
        ERROR = "500"
        RATE_LIMITED = "429"
        # {"stat": "OK", "response": [null]}: an answer of the wrong shape for every call.
        MALFORMED = "malformed"

    fail = models.CharField(max_length=16, choices=Failure.choices, blank=True, default="")
    # Only calls whose "METHOD /path?query" starts with this fail ("": every call), e.g.
    # "GET /admin/v1/users/" for the read-back of a user's codes but not the user.
    only = models.CharField(max_length=100, blank=True, default="")
    # Seconds to sleep before answering when slow; Retry-After when 429.
    seconds = models.FloatField(default=0)
    # Added to the clock codes expire by, so a test need not wait for an expiry.
    clock_offset = models.IntegerField(default=0)
    # The next code `count` makes, once (a test of a code with a leading zero).
    next_code = models.CharField(max_length=9, blank=True, default="")
    # The JSON a malformed answer carries ("": {"stat": "OK", "response": [null]}), e.g.
    # {"stat": "OK", "response": null} for a list Duo pages through.
    body = models.TextField(blank=True, default="")

    def __str__(self):
        return self.fail or "normal"

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)
