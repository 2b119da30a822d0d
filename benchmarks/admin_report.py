"""How long the helpdesk's pages take with a long audit trail (10 million events by default).

Run:  .venv/bin/python benchmarks/admin_report.py [--events 10000000]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/admin_report.py

It fills a throw-away test database with `--events` audit events spread over
two years for 10,000 people (a few thousand of them today), with the
database's own bulk insert, then times what the admin pages run: the index's
report of today (helpdesk.todays_report), a person's page (helpdesk.overview),
the trail filtered to one person, and the audit trail's admin pages as a
superuser gets them (the whole list, and filtered). It prints the figures (the median of
five runs each) and the command that reproduces them, and removes the database.
"""

import argparse
import statistics
import time
from urllib.parse import urlencode

from common import print_command, throwaway_database
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone

from duoportal import helpdesk
from duoportal.models import AuditEvent, User

PEOPLE = 10_000
TODAY = 5_000
ACTIONS = ["sign_in", "bypass_use", "card_check", "rescue_use", "bypass_issue", "proof_lock"]


def fill(events):
    """`events` audit events, the last TODAY of them today, by the database itself."""
    people = User.objects.bulk_create(
        User(username=f"p{i}@example.edu", password=make_password(None)) for i in range(PEOPLE)
    )
    first = people[0].pk
    now = timezone.now()
    table = AuditEvent._meta.db_table
    # The n-th event: an action in turn, four failures in five, a person in turn; the last
    # TODAY within the past hour, the others spread over the two years before yesterday.
    action = "CASE n %% {} {} END".format(
        len(ACTIONS), " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(ACTIONS))
    )
    seconds = f"CASE WHEN n > %s - {TODAY} THEN n %% 3600 ELSE 86400 + n %% (730 * 86400) END"
    columns = f"""
        {action},
        CASE WHEN n %% 5 = 0 THEN 'accepted' ELSE 'wrong_code' END,
        %s + n %% {PEOPLE}, 'p' || (n %% {PEOPLE}) || '@example.edu', '', '', '{{}}'
    """
    # Built from this file's constants only, never from input.
    insert = (
        f"INSERT INTO {table} (at, action, outcome, subject_id, subject_username, "
        "actor_username, user_agent, detail) "
    )
    postgresql = f"SELECT %s - make_interval(secs => {seconds}), {columns} "
    postgresql += "FROM generate_series(1, %s) AS n"
    sqlite = "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
    sqlite += f"WHERE n < %s) {insert} SELECT datetime(%s, '-' || ({seconds}) || ' seconds'), "
    sqlite += f"{columns} FROM numbers"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(insert + postgresql, [now, events, first, events])
            cursor.execute(f"ANALYZE {table}")
        else:
            stamp = now.strftime("%Y-%m-%d %H:%M:%S")
            cursor.execute(sqlite, [events, stamp, events, first])
            cursor.execute("ANALYZE")
    return people


def median_ms(function, times=5):
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def admin_pages(person):
    """The audit trail's changelist as a superuser's browser gets it, whole and filtered."""
    from bypass.models import BypassCode
    from duoapi.models import Integration

    # The application filter offers (and applies) only the integrations there are.
    Integration.objects.create_integration("VPN")
    root = User.objects.create_user("root@example.edu", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(root)
    _, code = BypassCode.objects.issue(root, via="culink")
    assert browser.post("/verify/passcode/", {"passcode": code}).status_code == 302
    base = "/admin/duoportal/auditevent/"
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    pages = {
        "the whole trail": "",
        "its 100th page": "?p=100",
        "one action": "?action__exact=card_check",
        "failures today": "?" + urlencode({"outcome": "wrong_code", "at__gte": str(today)}),
        "one person": f"?subject={person.pk}",
        "a search": "?q=p123%40example.edu",
        "an address": "?q=198.51.100.7",
        "one application": "?application=VPN",
    }
    for name, query in pages.items():

        def get(query=query):
            response = browser.get(base + query)
            assert response.status_code == 200, response.status_code

        print(f"audit list, {name + ':':22}{median_ms(get):8.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    with throwaway_database():
        start = time.perf_counter()
        people = fill(args.events)
        print(
            f"database: {connection.vendor}; {AuditEvent.objects.count():,} audit events "
            f"for {PEOPLE:,} people, filled in {time.perf_counter() - start:.0f} s"
        )
        person = people[123]
        report = helpdesk.todays_report()
        print(f"today's failed proofs: {report.failures_by_kind}")
        print(f"index report of today:    {median_ms(helpdesk.todays_report):8.1f} ms")
        print(f"a person's page overview: {median_ms(lambda: helpdesk.overview(person)):8.1f} ms")
        trail = AuditEvent.objects.filter(subject=person)
        print(f"their trail, first page:  {median_ms(lambda: list(trail[:100])):8.1f} ms")
        admin_pages(person)
    print_command("admin_report.py", f"--events {args.events}")


if __name__ == "__main__":
    main()
