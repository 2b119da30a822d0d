"""Each screen's SQL queries and server time, next to a bare Django view in the same run.

Run:  .venv/bin/python benchmarks/screens.py [--times 50]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/screens.py

Through Django's test client (the whole middleware stack, templates rendered
as in production, without the test environment's instrumentation, the
database), in one process: the median of `--times` requests per screen. The
bare view answers "ok" through the same middleware with no template and no
query of its own; it is asked between each screen's requests (in turns of
ten), and each screen's ratio is to its median meanwhile. A second bare view,
for a signed-in person, is asked the same way: it reads the session and the
person and nothing else, what every signed-in screen pays before its own
work. Targets (issue 12): at most 10 queries a screen, and a GET within 3
times the bare view (a signed-in screen: the signed-in bare view, see
docs/performance.md); a POST that checks a proof carries its argon2 hash (the
production cost) on top.
"""

import argparse
import logging
import statistics
import time

from common import print_command, throwaway_database
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import AuthenticatorDevice, CULinkCard, User
from rescue.models import RescueCode
from tests.universal import HOST, browser_get, universal_client


def bare(request):
    return HttpResponse("ok")


def bare_signed_in(request):
    # What every signed-in screen pays before its own work: the session and the person.
    return HttpResponse(request.user.username)


# This module is the URLconf of the run: the portal's, and the bare views.
urlpatterns = [
    path("bare/", bare),
    path("bare/signed-in/", bare_signed_in),
    path("", include("duoportal.urls")),
]


def measure(browser, method, url, data=None, times=50, yardsticks=(), extra=None):
    """(queries of one request, median ms over `times`, each yardstick's median ms meanwhile).

    `yardsticks` are (client, url) of the bare views, asked between the screen's
    requests: these machines' speed drifts by a tenth or more within a minute,
    which a bare view timed once, at the start, would turn into each screen's ratio.
    """
    ask = browser.get if method == "GET" else browser.post

    def send(url, data):
        return ask(url, data, **(extra or {}))

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted on the second request: the first of a person may create rows
    # (a proof's lock) that every later one finds.
    send(url, data)
    with connection.execute_wrapper(count):
        response = send(url, data)
    assert response.status_code < 400, (url, response.status_code)
    samples, yardstick_samples = [], [[] for _ in yardsticks]
    # In turns of ten: one bare request right after each of the screen's would
    # time it in caches the screen has just filled with its own.
    for turn in range(0, times, 10):
        for _ in range(min(10, times - turn)):
            start = time.perf_counter()
            response = send(url, data)
            samples.append(time.perf_counter() - start)
            assert response.status_code < 400, (url, response.status_code)
        for (client, bare_url), bare_samples in zip(yardsticks, yardstick_samples, strict=True):
            for _ in range(min(10, times - turn)):
                start = time.perf_counter()
                client.get(bare_url)
                bare_samples.append(time.perf_counter() - start)
    return (
        len(queries),
        statistics.median(samples) * 1000,
        [statistics.median(bare_samples) * 1000 for bare_samples in yardstick_samples],
    )


def once(browser, url, data):
    """(queries, ms) of one POST: the screens that make something new (a code, a set of
    rescue codes, an authenticator), which the same request cannot make twice."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        response = browser.post(url, data)
    elapsed = time.perf_counter() - start
    assert response.status_code < 400, (url, response.status_code)
    return len(queries), elapsed * 1000


def made_once(alice):
    """(name, who, url, data) of the screens measured once."""
    carded, verified = Client(), Client()
    carded.force_login(alice)
    carded.post("/bypass-code/card/check/", {"serial": "51002345", "robot": "on"})
    verified.force_login(alice)
    _, code = BypassCode.objects.issue(alice, via="culink")
    assert verified.post("/verify/passcode/", {"passcode": code}).status_code == 302
    token = {"token": carded.session["card_check_token"]}
    return [
        ("the bypass code shown (one hash)", carded, "/bypass-code/card/code/", token),
        ("rescue codes shown (ten hashes)", verified, "/bypass-code/rescue/new/", None),
        ("authenticator: add", verified, "/my-account/authenticators/add/", {"name": "Phone"}),
    ]


def screens(alice, helen):
    """(name, who, method, url, data[, the request's extra]) of each screen, in the order a
    person meets them."""
    anonymous, signed_in, verified, helpdesk = Client(), Client(), Client(), Client()
    carded, application_user = Client(), Client()
    for browser, person in ((signed_in, alice), (verified, alice), (helpdesk, helen)):
        browser.force_login(person)
    for browser, person in ((verified, alice), (helpdesk, helen)):
        _, code = BypassCode.objects.issue(person, via="culink")
        assert browser.post("/verify/passcode/", {"passcode": code}).status_code == 302
    # Past the card check ("I'm not a robot" is the local box in development).
    carded.force_login(alice)
    checked = carded.post("/bypass-code/card/check/", {"serial": "51002345", "robot": "on"})
    assert checked["Location"] == "/bypass-code/card/verified/", checked.status_code
    # A web application sends Alice's browser to the Universal Prompt, with duo_universal.
    webapp = universal_client(*Integration.objects.create_integration("VPN"))
    prompt = browser_get(application_user, webapp.create_auth_url(alice.username, "s" * 36))
    device = AuthenticatorDevice.objects.start(alice, "My phone")
    rescue = RescueCode.objects.generate(alice)
    wrong = {"passcode": "000000000"}
    https = {"secure": True, "HTTP_HOST": HOST}
    return signed_in, [
        ("home, signed out", anonymous, "GET", "/", None),
        ("sign in (allauth's page)", anonymous, "GET", "/accounts/microsoft/login/", None),
        ("home", signed_in, "GET", "/", None),
        ("BYPASS CODE (the rules)", signed_in, "GET", "/bypass-code/", None),
        ("card: START", signed_in, "GET", "/bypass-code/card/", None),
        ("card: the serial", signed_in, "GET", "/bypass-code/card/check/", None),
        ("card: GET BYPASS CODE", carded, "GET", "/bypass-code/card/verified/", None),
        ("rescue: START", signed_in, "GET", "/bypass-code/rescue/", None),
        ("rescue: the code", signed_in, "GET", "/bypass-code/rescue/code/", None),
        ("choose a method", signed_in, "GET", "/verify/", None),
        ("Enter a Passcode", signed_in, "GET", "/verify/passcode/", None),
        ("Universal Prompt", application_user, "GET", prompt["Location"], None, https),
        ("My account", verified, "GET", "/my-account/", None),
        ("authenticator: scan the QR code", verified, "GET",
         f"/my-account/authenticators/{device.pk}/confirm/", None),
        ("admin index (today's report)", helpdesk, "GET", "/admin/", None),
        ("the person's page", helpdesk, "GET", f"/admin/duoportal/user/{alice.pk}/change/", None),
        ("POST a wrong passcode", signed_in, "POST", "/verify/passcode/", wrong),
        ("POST a wrong rescue code", signed_in, "POST", "/bypass-code/rescue/code/",
         {"code": rescue[0][:-1] + ("1" if rescue[0][-1] != "1" else "2")}),
    ]  # fmt: skip


def main():
    # One line per request would bury the figures.
    for name in ("duoportal.requests", "duoportal.audit"):
        logging.getLogger(name).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=50)
    args = parser.parse_args()
    # Wrong proofs would lock after ten, and a locked check hashes nothing; the
    # address throttle (30 a minute) would answer most POSTs with its 429 instead.
    never_locks = override_settings(
        ROOT_URLCONF=__name__, PROOF_MAX_FAILURES=10**9, THROTTLE_PER_ADDRESS=None
    )
    with throwaway_database(), never_locks:
        alice = User.objects.create_user("alice@example.edu", display_name="Alice Chan")
        CULinkCard.objects.create(user=alice, serial="51002345")
        helen = User.objects.create_user("helen@example.edu", is_staff=True)
        from django.contrib.auth.models import Group

        from duoportal.apps import HELPDESK_GROUP

        helen.groups.add(Group.objects.get(name=HELPDESK_GROUP))
        signed_in, rows = screens(alice, helen)
        yardsticks = [(Client(), "/bare/"), (signed_in, "/bare/signed-in/")]
        print(f"database: {connection.vendor}; median of {args.times} requests each")
        print("each screen: its queries, its ms, then times the bare view (the bare view's ms)")
        print("and times the bare view for a signed-in person (its ms), both asked meanwhile")
        for name, browser, method, url, data, *extra in rows:
            queries, ms, (bare_ms, signed_in_ms) = measure(
                browser, method, url, data, args.times, yardsticks, *extra
            )
            print(
                f"{name:34} {queries:3} queries {ms:7.2f} ms {ms / bare_ms:5.1f}x "
                f"({bare_ms:.2f}) {ms / signed_in_ms:5.1f}x ({signed_in_ms:.2f})"
            )
        print("once each, a POST that makes something (its hashes included):")
        for name, browser, url, data in made_once(alice):
            queries, ms = once(browser, url, data)
            print(f"{name:34} {queries:3} queries {ms:7.2f} ms")
    print_command("screens.py", f"--times {args.times}")


if __name__ == "__main__":
    main()
