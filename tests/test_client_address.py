"""Whose address the audit trail, the throttles and the new-network notice see."""

import ipaddress

import pytest
from django.test import Client, RequestFactory, override_settings

from duoportal.middleware import client_ip
from duoportal.models import AuditEvent
from tests.test_settings import PRODUCTION, run

PROXIES = ["10.0.0.0/8"]


def address(forwarded=None, remote="192.0.2.1", **trust):
    networks = [ipaddress.ip_network(n) for n in trust.get("networks", [])]
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    with override_settings(TRUSTED_PROXY_COUNT=trust.get("count", 0), TRUSTED_PROXIES=networks):
        return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored():
    assert address("203.0.113.5") == "192.0.2.1"


def test_an_ipv4_client_of_an_ipv6_socket_is_its_ipv4_address():
    assert address(remote="::ffff:192.0.2.9") == "192.0.2.9"
    assert address("::ffff:203.0.113.5", count=1) == "203.0.113.5"


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        # nginx appends the address it was called from.
        ("203.0.113.5", 1, "203.0.113.5"),
        # Whatever the caller sent comes first, and is not believed.
        ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
        # A load balancer, then nginx.
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        # Straight to the app server, past the load balancer: its own address.
        ("6.6.6.6", 2, "192.0.2.1"),
        ("not an address", 1, None),
        ("2001:db8::7", 1, "2001:db8::7"),
        ("1111:2222:3333:4444:5555:6666:7777:8888%eth0", 1, None),
    ],
)
def test_a_count_of_proxies_reads_that_far_from_the_right(forwarded, count, expected):
    assert address(forwarded, count=count) == expected


@pytest.mark.parametrize(
    ("forwarded", "remote", "expected"),
    [
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", "10.0.0.1", "203.0.113.5"),
        # From outside the proxies' networks, nothing it says is believed.
        ("203.0.113.5", "198.51.100.9", "198.51.100.9"),
        # Every hop a proxy: the first address there is.
        ("10.1.1.1, 10.0.0.2", "10.0.0.1", "10.1.1.1"),
    ],
)
def test_proxy_networks_are_read_from_the_right_while_they_are_proxies(forwarded, remote, expected):
    assert address(forwarded, remote, networks=PROXIES) == expected


@pytest.mark.parametrize(
    ("forwarded", "trust", "expected"),
    [
        # nginx on the same host, talking to gunicorn's unix socket: no REMOTE_ADDR.
        ("203.0.113.5", {"count": 1}, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5", {"count": 1}, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", {"count": 2}, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5", {"networks": PROXIES}, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", {"networks": PROXIES}, "203.0.113.5"),
        # Fewer entries than proxies: no address rather than one the caller chose.
        ("203.0.113.5", {"count": 2}, None),
        # Nothing trusted: the header is still not believed.
        ("203.0.113.5", {}, None),
    ],
)
def test_behind_a_proxy_on_a_unix_socket_the_header_is_read_as_far_as_trusted(
    forwarded, trust, expected
):
    assert address(forwarded, remote="", **trust) == expected


def test_a_remote_address_that_is_not_one_trusts_nothing():
    assert address("203.0.113.5", remote="junk", count=1) is None
    assert address("203.0.113.5", remote="junk", networks=PROXIES) is None


@pytest.mark.django_db
def test_the_audit_trail_has_the_persons_address_behind_a_proxy(client, alice):
    client.force_login(alice)
    with override_settings(TRUSTED_PROXY_COUNT=1):
        client.post(
            "/verify/passcode/",
            {"passcode": "000000000"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
        )

    assert AuditEvent.objects.filter(subject=alice).latest("at").ip == "203.0.113.5"


PROXY_HEADER = "from django.conf import settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER'))"


def test_x_forwarded_proto_is_believed_only_behind_trusted_proxies():
    assert run("shell", "--no-imports", "-c", PROXY_HEADER, **PRODUCTION).stdout.strip() == "None"
    behind = run("shell", "--no-imports", "-c", PROXY_HEADER, TRUSTED_PROXY_COUNT="1")
    assert behind.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"
    networks = run("shell", "--no-imports", "-c", PROXY_HEADER, TRUSTED_PROXIES="10.0.0.0/8")
    assert networks.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_proxy_network_written_ipv4_mapped_still_names_its_proxies():
    # Client addresses are read ::ffff:a.b.c.d → a.b.c.d, so the network is read the same way.
    networks = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    result = run("shell", "--no-imports", "-c", networks, TRUSTED_PROXIES="::ffff:10.0.0.0/104")
    assert result.stdout.strip() == "[IPv4Network('10.0.0.0/8')]"
    assert address("203.0.113.5", "::ffff:10.0.0.5", networks=["10.0.0.0/8"]) == "203.0.113.5"


def test_it_refuses_proxies_that_are_not_networks():
    result = run("check", TRUSTED_PROXIES="10.0.0.0/8,proxy.example.edu")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/login/"),
        ("post", "/accounts/login/"),
        ("post", "/accounts/microsoft/login/"),
    ],
)
def test_a_request_that_came_past_the_proxies_signs_in_without_a_server_error(
    settings, method, path
):
    # allauth's own reading of X-Forwarded-For raised ImproperlyConfigured for fewer
    # entries than TRUSTED_PROXY_COUNT: anyone can send such a request.
    settings.TRUSTED_PROXY_COUNT = 2
    # allauth's own setting, as a deployment might still set it: the portal's reading wins.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    browser = Client(raise_request_exception=False)

    response = getattr(browser, method)(path, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code < 500
