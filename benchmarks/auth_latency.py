"""Duo Auth API latency with 1,000 people, then with 1,000,000 people and 10,000,000 audit events.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/auth_latency.py
      .venv/bin/python benchmarks/auth_latency.py --people 100000 --events 1000000   # SQLite

One duo_client, one call at a time, against gunicorn (production's argon2
cost, DEBUG off): `preauth`, `auth` with a good bypass code (one hash), and
`auth` with a wrong one, for people picked at random among those holding a
code. Then the database is grown to `--people` people and `--events` audit
events, with its own bulk insert, analysed, and the same is measured again.
Target (issue 12): the same within noise.
"""

import argparse
import random
import statistics
import time

from admin_report import fill as fill_events
from common import print_command, server_log, throwaway_database
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import User
from tests.duo import auth_client
from tests.gunicorn import database_url, gunicorn

HOLDERS = 200


def add_people(total):
    """People up to `total` in all, by the database itself."""
    missing = total - User.objects.count()
    if missing <= 0:
        return
    now = timezone.now()
    columns = (
        "password, is_superuser, first_name, last_name, email, is_staff, is_active, "
        "date_joined, username, display_name"
    )
    # Numbered on from the people there are, so a second call adds new names.
    first = User.objects.count()
    values = (
        f"'!', false, '', '', '', false, true, %s, 'bulk' || (n + {first}) || '@example.edu', ''"
    )
    table = User._meta.db_table
    # Built from this file's constants and the model's table name only, never from input.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            series = (
                f"INSERT INTO {table} ({columns}) SELECT {values} FROM generate_series(1, %s) n"  # noqa: S608
            )
            cursor.execute(series, [now, missing])
            cursor.execute(f"ANALYZE {table}")
        else:
            values = values.replace("false", "0").replace("true", "1")
            numbers = "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
            numbers += f"WHERE n < %s) INSERT INTO {table} ({columns}) SELECT {values} FROM numbers"  # noqa: S608
            cursor.execute(numbers, [missing, now.strftime("%Y-%m-%d %H:%M:%S")])
            cursor.execute("ANALYZE")


def latencies(client, codes, calls):
    """Median and 95th percentile (ms) of each kind of call."""
    usernames = list(codes)
    kinds = {
        "preauth": lambda who: client.preauth(username=who),
        "auth, good code": lambda who: client.auth("passcode", username=who, passcode=codes[who]),
        "auth, wrong code": lambda who: client.auth("passcode", username=who, passcode="000000000"),
    }
    figures = {}
    for name, call in kinds.items():
        samples = []
        for _ in range(calls):
            who = random.choice(usernames)  # noqa: S311 (spreads load, no secret)
            start = time.perf_counter()
            call(who)
            samples.append((time.perf_counter() - start) * 1000)
        figures[name] = (statistics.median(samples), statistics.quantiles(samples, n=20)[-1])
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=200, help="per kind of call")
    args = parser.parse_args()
    # Wrong codes must keep being checked: no lock in the way.
    settings.BYPASS_CODE_MAX_USES = 10**6
    env = {"DEBUG": "false", "PROOF_MAX_FAILURES": "1000000000", "LOG_LEVEL": "WARNING",
           "THROTTLE_PER_INTEGRATION": "off"}  # fmt: skip
    with throwaway_database():
        holders = [User.objects.create_user(f"h{i}@example.edu") for i in range(HOLDERS)]
        codes = {p.username: BypassCode.objects.issue(p, via="culink")[1] for p in holders}
        add_people(1000)
        integration, secret = Integration.objects.create_integration("Benchmark")
        print(f"database: {connection.vendor}; one duo_client, {args.calls} calls of each kind")
        results = {}
        for phase in ("small", "large"):
            if phase == "large":
                start = time.perf_counter()
                fill_events(args.events)
                add_people(args.people)
                print(f"grown to {User.objects.count():,} people and {args.events:,} audit "
                      f"events in {time.perf_counter() - start:.0f} s")  # fmt: skip
            connections.close_all()
            database = database_url(connection)
            with (
                server_log() as log,
                gunicorn(database, workers=1, threads=4, env=env, output=log) as url,
            ):
                client = auth_client(url, integration.ikey, secret)
                client.check()
                latencies(client, codes, 20)  # warm up
                results[phase] = latencies(client, codes, args.calls)
        small_people = 1000
        print(f"{'':18} {small_people:>10,} people   {args.people:>10,} people, "
              f"{args.events:,} events")  # fmt: skip
        for name in results["small"]:
            (a50, a95), (b50, b95) = results["small"][name], results["large"][name]
            print(f"{name:18} {a50:6.1f} / {a95:5.1f} ms     {b50:6.1f} / {b95:5.1f} ms")
        print("(median / 95th percentile)")
    print_command("auth_latency.py", f"--people {args.people} --events {args.events}")


if __name__ == "__main__":
    main()
