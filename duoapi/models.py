"""Applications that speak Duo's protocols to the portal, and their asynchronous answers."""

import hashlib
import secrets
import string
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from duoapi.oauth import REDIRECT_URI_LENGTH, return_origin
from duoportal.encryption import decrypt, encrypt
from duoportal.models import AuditEvent, hand_written_first, one_by, optional_person

# Duo's shapes: an integration key is "DI" and 18 upper-case letters and
# digits (20 characters, the client_id length duo_universal insists on); a
# secret key is 40 characters.
IKEY_ALPHABET = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 40
# How long the answer to an `async=1` auth can be read with auth_status.
TRANSACTION_LIFETIME = timedelta(minutes=10)
# How long a person may take at the Universal Prompt, e.g. to get a bypass code
# on the card path in another tab first.
PROMPT_LIFETIME = timedelta(minutes=15)
# How long the one-time code of an answered prompt can be exchanged for a token.
CODE_LIFETIME = timedelta(seconds=60)
# A check takes well under a second: a claim older than this is a killed worker's.
CHECK_CLAIM_TIMEOUT = timedelta(seconds=60)


def new_ikey():
    return "DI" + "".join(secrets.choice(IKEY_ALPHABET) for _ in range(18))


def new_secret():
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def validate_redirect_uris(text):
    for line in filter(None, map(str.strip, text.splitlines())):
        if len(line) > REDIRECT_URI_LENGTH[1] or return_origin(line) is None:
            raise ValidationError(
                _("%(uri)s is not an http or https address of at most %(max)d characters."),
                params={"uri": line, "max": REDIRECT_URI_LENGTH[1]},
                code="invalid",
            )


class IntegrationManager(models.Manager):
    def by_ikey(self, ikey):
        """The integration with this key, or None.

        Keys are letters and digits; anything else (a NUL byte, which
        PostgreSQL refuses in a query) is nobody's and never reaches the database.
        """
        if not isinstance(ikey, str) or not (ikey.isascii() and ikey.isalnum()):
            return None
        return one_by(self.model, "ikey", ikey)

    def create_integration(self, name, *, by=None, redirect_uris=""):
        """A new integration, on the audit trail. Returns (integration, secret key): show
        the key once.

        `by`: who made it in admin; nobody for manage.py create_integration.
        """
        secret = new_secret()
        with transaction.atomic():
            integration = self.create(
                name=name,
                ikey=new_ikey(),
                secret_encrypted=encrypt(secret),
                created_by=by,
                redirect_uris=redirect_uris,
            )
            self.audit(integration, "integration added", by=by)
        return integration, secret

    def audit(self, integration, outcome, *, by, **detail):
        """An integration's change on the audit trail (never with a key), by `by` or nobody."""
        AuditEvent.objects.record(
            AuditEvent.Action.ADMIN_CHANGE,
            actor=by,
            outcome=outcome,
            model="integration",
            integration=integration.name,
            **detail,
        )


class Integration(models.Model):
    """An application that checks passcodes through the portal's Duo API."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    ikey = models.CharField(_("integration key"), max_length=20, unique=True, editable=False)
    secret_encrypted = models.TextField(editable=False)
    # After a rotation the old secret keeps working until an admin retires it,
    # so an application is not cut off between the rotation and its reconfiguration.
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("A disabled integration is refused at once.")
    )
    redirect_uris = models.TextField(
        _("allowed redirect URIs"),
        blank=True,
        validators=[validate_redirect_uris],
        help_text=_(
            "For the Universal Prompt: the addresses the application may send people back to, "
            "one a line, exactly as the application sends them. Empty: any address."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = optional_person(_("created by"))
    rotated_at = models.DateTimeField(_("secret key rotated at"), null=True, editable=False)

    objects = IntegrationManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self):
        return self.name

    @property
    def secrets(self):
        """The secret keys a request may be signed with: the current one, then the previous."""
        tokens = [self.secret_encrypted, self.previous_secret_encrypted]
        return [secret for secret in map(decrypt, filter(None, tokens)) if secret]

    @property
    def has_previous_secret(self):
        return bool(self.previous_secret_encrypted)

    def rotate_secret(self):
        """A new secret key; the current one becomes the previous. Returns the new key, once.

        A previous key not yet retired is dropped: only two keys work at a time.
        """
        secret = new_secret()
        Integration.objects.filter(pk=self.pk).update(
            previous_secret_encrypted=self.secret_encrypted,
            secret_encrypted=encrypt(secret),
            rotated_at=timezone.now(),
        )
        self.refresh_from_db()
        return secret

    def allows_redirect_uri(self, uri):
        """Whether the Universal Prompt may send people back to `uri` for this application.

        Duo itself has no such list; an integration without one allows any address.
        """
        allowed = self.redirect_uri_list
        return not allowed or uri in allowed

    @property
    def redirect_uri_list(self):
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    def retire_previous_secret(self):
        """Stop accepting the secret key from before the last rotation."""
        changed = Integration.objects.filter(pk=self.pk).exclude(previous_secret_encrypted="")
        changed = changed.update(previous_secret_encrypted="")
        self.previous_secret_encrypted = ""
        return bool(changed)


class AuthTransactionManager(models.Manager):
    def stale(self):
        """Answers no application may ask for any more (manage.py purge)."""
        return self.filter(created_at__lte=timezone.now() - TRANSACTION_LIFETIME)

    def record(self, integration, *, result, status, status_msg):
        """Keep the answer of an asynchronous auth for auth_status. Returns its txid."""
        self.stale().delete()
        return self.create(
            integration=integration, result=result, status=status, status_msg=status_msg
        ).txid

    def answer(self, integration, txid):
        """The answer for `txid`, only to the integration that asked; None if unknown or old."""
        fresh_since = timezone.now() - TRANSACTION_LIFETIME
        return self.filter(integration=integration, txid=txid, created_at__gt=fresh_since).first()


def new_txid():
    return str(uuid.uuid4())


class AuthTransaction(models.Model):
    """The answer to an `async=1` auth. A passcode is checked at once, so it is final."""

    txid = models.CharField(max_length=36, unique=True, default=new_txid)
    integration = models.ForeignKey(Integration, models.CASCADE, related_name="+")
    result = models.CharField(max_length=16)
    status = models.CharField(max_length=32)
    # Text: it may hold PORTAL_URL, which has no length limit of its own.
    status_msg = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuthTransactionManager()

    def __str__(self):
        # Not the txid: whoever holds it may read the answer (auth_status), and this text
        # lands in admin pages, e.g. the list of what deleting an integration deletes.
        return f"transaction #{self.pk}"


def new_prompt_key():
    return secrets.token_urlsafe(32)


def code_digest(code):
    # A one-time code is 256 bits from SECRET_KEY's HMAC, so a plain SHA-256 keeps it
    # out of the database well enough (argon2id is for the short, guessable codes).
    return hashlib.sha256(code.encode()).hexdigest()


class AuthorizationRequestManager(models.Manager):
    def stale(self):
        """Prompts and their codes past their life, answered or not (manage.py purge)."""
        return self.filter(created_at__lte=timezone.now() - PROMPT_LIFETIME - CODE_LIFETIME)

    def open(self, integration, person, **request):
        """A person sent to the Universal Prompt by `integration`; also forgets old ones."""
        self.stale().delete()
        return self.create(integration=integration, person=person, **request)

    def for_prompt(self, key):
        """The request behind the prompt at `key`, answered or not, while it may matter."""
        if not isinstance(key, str) or len(key) > 64:
            return None
        fresh_since = timezone.now() - PROMPT_LIFETIME
        # Three reads by hand, not one joined by the ORM: compiling that join was a
        # third of the prompt's time, three times what the three reads cost.
        answer = hand_written_first(
            self.model,
            "SELECT {columns} FROM {table} WHERE key = %s AND created_at > %s",
            [key, ("created_at", fresh_since)],
        )
        if answer is None:
            return None
        integration = one_by(Integration, "id", answer.integration_id)
        person = one_by(get_user_model(), "id", answer.person_id)
        if integration is None or person is None:
            # Deleted between the reads, and the request with them (a cascade).
            return None
        answer.integration, answer.person = integration, person
        return answer

    def claim(self, request):
        """Take `request` for one Log In's passcode check. Returns (request, claimed).

        The check hashes, so it runs in no transaction and holds no row lock;
        this claim, one conditional UPDATE, is what keeps a second Log In of
        the same prompt (a double click) from checking, and counting, the
        passcode again. That one waits up to PROOF_BUSY_WAIT for the first
        to finish and returns the request as it then is (answered, most
        likely), unclaimed. A claim left by a worker killed mid-check lapses
        after CHECK_CLAIM_TIMEOUT.
        """
        give_up = time.monotonic() + settings.PROOF_BUSY_WAIT.total_seconds()
        while True:
            now = timezone.now()
            free = Q(checking_since__isnull=True) | Q(checking_since__lte=now - CHECK_CLAIM_TIMEOUT)
            unanswered = self.filter(pk=request.pk, answered_at__isnull=True)
            if unanswered.filter(free).update(checking_since=now):
                return request, True
            current = self.for_prompt(request.key)
            if current is None or current.answered_at or time.monotonic() >= give_up:
                return current, False
            time.sleep(0.05)

    def release(self, request):
        """Give up the claim: the check is over (and has answered, if it was to)."""
        self.filter(pk=request.pk).update(checking_since=None)

    def answer(self, request, outcome, method=""):
        """Answer `request` once: "allow" (with the passcode's method), "cancel" or "locked".

        One conditional UPDATE: True for the one call that answers it.
        """
        now = timezone.now()
        answered = self.filter(pk=request.pk, answered_at__isnull=True).update(
            outcome=outcome,
            method=method,
            answered_at=now,
            code_hash=code_digest(request.code) if outcome == request.Outcome.ALLOW else "",
        )
        if answered:
            request.outcome, request.method, request.answered_at = outcome, method, now
        return bool(answered)

    def exchange(self, integration, code, redirect_uri):
        """The allowed request whose one-time `code` this is, once; None otherwise.

        The code works only for the integration it was made for, with the same
        redirect_uri, within CODE_LIFETIME of the answer, and only once: one
        conditional UPDATE, however many exchanges race.
        """
        if not isinstance(code, str) or not 16 <= len(code) <= 128:
            return None
        found = self.filter(
            code_hash=code_digest(code),
            integration=integration,
            # Subqueries, not joins (integration__enabled): with a join, Django's UPDATE
            # becomes "WHERE id IN (SELECT ... FROM this table ...)", and PostgreSQL
            # re-checks a row another exchange has just taken against that subquery's
            # old snapshot, where it is still untaken: racing exchanges all got a token.
            integration__in=Integration.objects.filter(enabled=True),
            # Disabled by the helpdesk since answering: no id_token for them.
            person__in=get_user_model().objects.filter(is_active=True),
            redirect_uri=redirect_uri,
            outcome=AuthorizationRequest.Outcome.ALLOW,
            answered_at__gt=timezone.now() - CODE_LIFETIME,
            exchanged_at__isnull=True,
        )
        if not found.update(exchanged_at=timezone.now()):
            return None
        return self.select_related("person").get(code_hash=code_digest(code))


class AuthorizationRequest(models.Model):
    """A person at the Universal Prompt for an application, and how they answered.

    Made when the application's signed request is verified; answered once; an
    allowed answer's one-time code is exchanged once for an id_token.
    """

    class Outcome(models.TextChoices):
        ALLOW = "allow"
        CANCEL = "cancel"
        LOCKED = "locked"

    # The prompt's address; it also has to be in the browser's session.
    key = models.CharField(max_length=64, unique=True, default=new_prompt_key)
    integration = models.ForeignKey(Integration, models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    # As the application sent them: the id_token repeats them exactly.
    username = models.CharField(max_length=150)
    redirect_uri = models.CharField(max_length=256)
    state = models.CharField(max_length=1024)
    nonce = models.CharField(max_length=1024, blank=True)
    use_duo_code_attribute = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # "bypass" or "totp": which kind of passcode was accepted.
    method = models.CharField(max_length=16, blank=True)
    answered_at = models.DateTimeField(null=True)
    # Set while one Log In checks the passcode (AuthorizationRequestManager.claim).
    checking_since = models.DateTimeField(null=True)
    code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    exchanged_at = models.DateTimeField(null=True)

    objects = AuthorizationRequestManager()

    def __str__(self):
        return f"{self.integration_id} {self.username} {self.outcome or 'pending'}"

    @property
    def code(self):
        """The one-time code of this request, derived, so that it is never stored.

        Derived rather than random so that a second Log In of the same prompt
        (a double click) can send the browser back with the same code.
        """
        return salted_hmac(
            "duoapi.AuthorizationRequest.code", self.key, algorithm="sha256"
        ).hexdigest()

    @property
    def way_back_open(self):
        """Answered, and the application can still use the answer (the code is fresh and unused)."""
        if self.answered_at is None or self.exchanged_at is not None:
            return False
        return timezone.now() - self.answered_at < CODE_LIFETIME


def api_hostname(request=None):
    """The host name applications sign their requests for, without a port.

    PORTAL_API_HOSTNAME when set; otherwise the Host of the request, or
    outside a request (create_integration) the first of ALLOWED_HOSTS.
    """
    if settings.PORTAL_API_HOSTNAME:
        return settings.PORTAL_API_HOSTNAME.lower()
    if request is not None:
        return split_domain_port(request.get_host())[0]
    hosts = [host for host in settings.ALLOWED_HOSTS if host != "*" and not host.startswith(".")]
    return hosts[0].lower() if hosts else ""
