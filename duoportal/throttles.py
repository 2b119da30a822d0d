"""Throttles in front of every check that hashes, so argon2 work cannot take the portal down.

A wrong passcode costs about 20 ms of argon2, so a hundred bad requests a
second fill two cores. The per-person locks stop guessing at one person; these
stop a flood: the screens and prompts per client address
(THROTTLE_PER_ADDRESS), the Duo API and the Universal Prompt per integration
(THROTTLE_PER_INTEGRATION), since every VPN user arrives from one address.

Counts live in the cache (Redis in production, shared by every app server),
through django-ratelimit. When the cache does not answer, the throttles let
everything through and say so in the log: a Redis outage must not stop
people getting codes.
"""

import ipaddress
import logging

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

from duoportal.middleware import request_context

logger = logging.getLogger(__name__)


def seconds_to_wait(request, group, who, rate):
    """Count this request of `who` against `rate` ("30/m"; None: off); 0 while within it.

    Otherwise the seconds until `who` may try again, for Retry-After.
    """
    if rate is None:
        return 0
    try:
        usage = get_usage(request, group=group, key=lambda *_: who, rate=rate, increment=True)
    except Exception:  # The cache client's own errors, whatever they are.
        logger.warning("Throttle %s let a request through: the cache does not answer", group)
        return 0
    if usage is None or not usage["should_limit"]:
        return 0
    return max(1, usage["time_left"])


def too_many(request, seconds, template="429.html", **context):
    response = render(request, template, {"seconds": seconds, **context}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def per_address(request, group):
    """Seconds the client's address must wait before its next check of `group`, or 0.

    Called once a form is valid, right before the check that hashes: a
    malformed post costs nothing and so counts for nothing (else anyone behind
    the same campus NAT could use up everyone's tries with empty forms). An
    IPv6 client is counted by its /64, which it could otherwise walk through.
    """
    ip = request_context.get().ip
    if ip and ipaddress.ip_address(ip).version == 6:
        ip = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return seconds_to_wait(request, group, ip or "unknown", settings.THROTTLE_PER_ADDRESS)


def unless_locked(person, kind, throttle):
    """`throttle()` before a check of `person`'s proof `kind`, or 0 while that proof is
    locked: a check the lock refuses hashes nothing, and one locked person behind a campus
    NAT must not use up the tries of everyone else there."""
    from duoportal.models import ProofLock  # This module is imported before the models.

    if ProofLock.objects.locked_until(person, kind):
        return 0
    return throttle()


def per_integration(request, group, integration):
    """Seconds an integration must wait before its next check, or 0 (called right before it)."""
    return seconds_to_wait(request, group, integration.ikey, settings.THROTTLE_PER_INTEGRATION)
