"""Passcode checks per second through the Duo Auth API, against gunicorn, with duo_client.

Run:  .venv/bin/python benchmarks/duo_api.py [--seconds 15] [--clients 8]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/duo_api.py

It creates a throw-away test database, many people each holding a live bypass
code, and an integration; serves the portal with gunicorn (production argon2id
settings); then drives it with the real duo_client from this process, so the
load generator shares the cores with the server. In the same run it measures
the raw argon2id verify rate on those cores, just before and just after the
load it is compared with, and prints the ratio.
It prints the command that reproduces its figures, and removes the database.

For each load it also prints where the two cores' time went, per call, from
/proc: the load generator, gunicorn, the rest of the machine (the database
server, on PostgreSQL) and idle. A last load uses codes hashed at argon2's
minimum cost, so its CPU per call is everything but the hash: with it, the
highest ratio these cores could reach, were a hash no slower inside the
server than alone, is printed next to the measured one.
"""

import argparse
import os
import platform
import random
import threading
import time

from common import (
    cpu_split,
    per_call,
    print_command,
    server_log,
    server_memory,
    throwaway_database,
)
from django.conf import settings
from django.db import connection, connections
from django.test import override_settings

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.hashing import code_matches, hash_code
from duoportal.models import User
from tests.duo import auth_client
from tests.gunicorn import database_url, gunicorn

# Two gunicorn sync workers, one per core. With the database on the same
# machine a worker seldom waits, and a request to a sync worker costs less CPU
# than to a thread pool's (docs/performance.md compares the layouts; --threads
# sets a pool). deploy/ keeps threads, for a database and Duo a network away.
WORKERS, THREADS = 2, 1


def rate(threads, seconds, work):
    """(calls of `work()` per second, calls), from `threads` threads for `seconds`."""
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(index):
        while time.perf_counter() < stop:
            work()
            done[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - start), sum(done)


def measured(label, url, threads, seconds, work):
    """Run `work` as rate() does and print its rate and where the CPU went.

    Returns (calls per second, milliseconds of the machine's CPU per call).
    """
    before = cpu_split(url)
    calls_per_second, calls = rate(threads, seconds, work)
    after = cpu_split(url)
    print(f"{label + ':':25s}{calls_per_second:.0f}/s")
    print(f"  {per_call(before, after, calls)}")
    return calls_per_second, 1000 * (after[2] - before[2]) / calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="per measurement")
    parser.add_argument("--clients", type=int, default=8, help="duo_client threads")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per worker")
    parser.add_argument(
        "--argon2-concurrency", type=int, default=0, help="per worker; 0: cores / workers"
    )
    args = parser.parse_args()

    # Enough uses for the whole run; the 20-use rule itself is in the tests.
    settings.BYPASS_CODE_MAX_USES = 10**6
    with throwaway_database(), server_log() as log:
        cores = os.cpu_count()
        print(
            f"machine: {platform.processor() or platform.machine()}, {cores} cores, "
            f"Python {platform.python_version()}"
        )
        print(
            f"database: {connection.vendor}; "
            f"gunicorn: {args.workers} workers x {args.threads} threads"
        )
        print(
            f"argon2id: t={settings.ARGON2_TIME_COST}, m={settings.ARGON2_MEMORY_COST} KiB, "
            f"p={settings.ARGON2_PARALLELISM}"
        )
        people = [User.objects.create_user(f"p{i}@example.edu") for i in range(args.people)]
        codes = {p.username: BypassCode.objects.issue(p, via="culink")[1] for p in people}
        # A verification costs what its hash was made with: these cost next to nothing.
        with override_settings(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8):
            light = [User.objects.create_user(f"light{i}@example.edu") for i in range(50)]
            light_codes = {p.username: BypassCode.objects.issue(p, via="culink")[1] for p in light}
        integration, secret = Integration.objects.create_integration("Benchmark")
        connections.close_all()

        # As docs/performance.md advises: the cores shared among the workers.
        concurrency = str(args.argon2_concurrency or max(1, cores // args.workers))
        print(f"ARGON2_CONCURRENCY={concurrency} per worker")
        server = gunicorn(
            database_url(connection),
            workers=args.workers,
            threads=args.threads,
            # DEBUG off, as in production: no query is kept in memory. The
            # integration's throttle (50/s) would cap the minimal-hash load with
            # 429s, which duo_client retries: this measures the checks, not it.
            env={
                "ARGON2_CONCURRENCY": concurrency,
                "DEBUG": "false",
                "THROTTLE_PER_INTEGRATION": "off",
            },
            output=log,
        )
        with server as url:
            local = threading.local()

            def client():
                if not hasattr(local, "client"):
                    local.client = auth_client(url, integration.ikey, secret)
                return local.client

            def checking(codes):
                usernames = list(codes)

                def check_passcode():
                    username = random.choice(usernames)  # noqa: S311 (spreads load, no secret)
                    answer = client().auth("passcode", username=username, passcode=codes[username])
                    assert answer["result"] == "allow", answer

                return check_passcode

            def unknown_person():
                answer = client().auth("passcode", username="nobody@example.edu", passcode="1")
                assert answer["result"] == "deny", answer

            stored = hash_code("012345678")

            def raw_verify():
                return rate(cores, args.seconds, lambda: code_matches(stored, "012345678"))[0]

            client().check()
            print(f"{args.clients} duo_client threads:")
            load = (url, args.clients, args.seconds)
            # The raw rate just before and just after the load it is compared
            # with (the server idle): these machines' speed drifts by 10-20%
            # within a minute, more than the difference being measured.
            raw_before = raw_verify()
            api, _cpu = measured("auth with a bypass code", *load, checking(codes))
            raw_after = raw_verify()
            measured("check (no hash)", *load, lambda: client().check())
            measured("auth, unknown person", *load, unknown_person)
            _rate, rest = measured("auth, a minimal hash", *load, checking(light_codes))
            peaks = ", ".join(f"{peak:.0f}" for peak in server_memory(url, "VmHWM"))
            print(f"gunicorn peak memory:    {peaks} MiB (master and workers)")

        raw = (raw_before + raw_after) / 2
        print(
            f"raw argon2id verify:     {raw:.0f}/s ({cores} threads; "
            f"{raw_before:.0f}/s before the auth load, {raw_after:.0f}/s after)"
        )
        print(f"ratio auth / raw verify: {api / raw:.2f}")
        # One hash takes `cores / raw` of one core; everything else, `rest`.
        one_hash = 1000 * cores / raw
        print(
            f"ceiling on these cores:  {one_hash / (one_hash + rest):.2f} "
            f"(a hash {one_hash:.1f} ms of one core, everything else {rest:.1f} ms a call)"
        )
    print_command(
        "duo_api.py",
        f"--seconds {args.seconds:g} --clients {args.clients} --people {args.people} "
        f"--workers {args.workers} --threads {args.threads} --argon2-concurrency {concurrency}",
    )


if __name__ == "__main__":
    main()
