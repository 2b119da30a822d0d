"""With Redis down, every page and call still answers: never a 500.

The cache holds throttles' counts, the Universal Prompt's replay marks and the
lock on a change of a code; each of those lets a request through and logs it.
Any other code that reads the cache (allauth's own rate limits) must not turn a
stopped Redis into a server error.
"""

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from tests.conftest import pass_prompt
from tests.devsite import free_port

pytestmark = pytest.mark.django_db

# A path for each pattern's parameters: ids nobody has.
SAMPLES = {"<int:pk>": "999999", "<str:key>": "nosuchkey", "<path:object_id>": "999999"}


def paths(resolver=None, prefix=""):
    """Every route of the portal, its parameters filled in, admin's included."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from paths(pattern, route)
            continue
        for parameter, sample in SAMPLES.items():
            route = route.replace(parameter, sample)
        if "<" not in route and "^" not in route:
            yield "/" + route


@pytest.fixture
def no_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_the_routes_are_all_there():
    found = set(paths())
    assert {"/", "/accounts/login/", "/auth/v2/auth", "/oauth/v1/token", "/admin/"} <= found
    assert len(found) > 40


@pytest.mark.parametrize("who", ["nobody", "person", "helpdesk"])
def test_no_route_is_a_server_error_without_the_cache(no_cache, who, alice, helen):
    browser = Client(raise_request_exception=False)
    if who != "nobody":
        # Past the second factor, so the pages behind it are reached too.
        pass_prompt(browser, alice if who == "person" else helen)

    answers = {
        (method, path): getattr(browser, method)(path).status_code
        for path in sorted(paths())
        for method in ("get", "post")
    }

    assert {key: status for key, status in answers.items() if status >= 500} == {}
