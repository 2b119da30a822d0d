"""Applications that speak Duo's protocols to the portal, and their asynchronous answers."""

import secrets
import string
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duoportal.encryption import decrypt, encrypt
from duoportal.models import optional_person

# Duo's shapes: an integration key is "DI" and 18 upper-case letters and
# digits (20 characters, the client_id length duo_universal insists on); a
# secret key is 40 characters.
IKEY_ALPHABET = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 40
# How long the answer to an `async=1` auth can be read with auth_status.
TRANSACTION_LIFETIME = timedelta(minutes=10)


def new_ikey():
    return "DI" + "".join(secrets.choice(IKEY_ALPHABET) for _ in range(18))


def new_secret():
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


class IntegrationManager(models.Manager):
    def create_integration(self, name, *, by=None):
        """A new integration. Returns (integration, secret key): show the key once."""
        secret = new_secret()
        integration = self.create(
            name=name, ikey=new_ikey(), secret_encrypted=encrypt(secret), created_by=by
        )
        return integration, secret


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

    def retire_previous_secret(self):
        """Stop accepting the secret key from before the last rotation."""
        changed = Integration.objects.filter(pk=self.pk).exclude(previous_secret_encrypted="")
        changed = changed.update(previous_secret_encrypted="")
        self.previous_secret_encrypted = ""
        return bool(changed)


class AuthTransactionManager(models.Manager):
    def record(self, integration, *, result, status, status_msg):
        """Keep the answer of an asynchronous auth for auth_status. Returns its txid."""
        self.filter(created_at__lte=timezone.now() - TRANSACTION_LIFETIME).delete()
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
    status_msg = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuthTransactionManager()

    def __str__(self):
        return self.txid


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
