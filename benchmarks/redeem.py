"""How fast the models layer checks bypass codes, with production argon2id settings.

Run:  .venv/bin/python benchmarks/redeem.py [--threads 8] [--uses 240] [--rounds 5]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/redeem.py

The figure that matters is the ratio: redemptions per second from `--threads`
threads (each for a person of its own, then all for one person) over raw
argon2id verifications per second from as many threads on the same cores.
Only the hash is slow, so a ratio near 1 means nothing else (a transaction, a
lock held while hashing) holds the checks back. They are measured in
alternating rounds, so a neighbour's load touches all alike, and the median of
each round's ratio is printed.

It creates a throw-away test database (like the test suite), prints its figures
and the command that reproduces them, and removes the database again.
"""

import argparse
import os
import resource
import statistics
import threading
import time

from common import print_command, throwaway_database
from django.conf import settings
from django.db import connection, connections

from bypass.models import BypassCode
from duoportal.hashing import code_matches, hash_code
from duoportal.models import User


def timed(function, times):
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def describe(samples):
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def rate(threads, per_thread, work):
    """Calls per second of `work(i)`, called `per_thread` times in each of `threads` threads."""

    def run(i):
        for _ in range(per_thread):
            work(i)
        connections.close_all()

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return threads * per_thread / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--uses", type=int, default=240, help="redemptions per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating measurements of each")
    args = parser.parse_args()

    # Enough uses in one code for the whole run; the rule itself is in the tests.
    settings.BYPASS_CODE_MAX_USES = 10 * args.uses * args.rounds
    # As in production: DEBUG off, so no query is logged in memory.
    with throwaway_database() as test_db:
        print(f"database: {connection.vendor} ({test_db})")
        print(
            f"argon2id: t={settings.ARGON2_TIME_COST}, m={settings.ARGON2_MEMORY_COST} KiB, "
            f"p={settings.ARGON2_PARALLELISM}"
        )
        stored = hash_code("012345678")
        print(f"hash:            {describe(timed(lambda: hash_code('012345678'), 50))}")
        print(f"verify:          {describe(timed(lambda: code_matches(stored, '012345678'), 50))}")

        alice = User.objects.create_user("alice@example.edu")
        _, plaintext = BypassCode.objects.issue(alice, via="culink")
        samples = timed(lambda: BypassCode.objects.redeem(alice, plaintext), args.uses)
        print(f"redeem, 1 thread: {describe(samples)}")

        people = [User.objects.create_user(f"p{i}@example.edu") for i in range(args.threads)]
        codes = [BypassCode.objects.issue(p, via="culink")[1] for p in people]
        per_thread = args.uses // args.threads

        def verify(i):
            assert code_matches(stored, "012345678")

        def redeem(i):
            assert BypassCode.objects.redeem(people[i], codes[i])

        def redeem_one(i):
            # One person's checks racing (an API client, several tabs): they
            # share one proof lock.
            assert BypassCode.objects.redeem(alice, plaintext)

        rates = {verify: [], redeem: [], redeem_one: []}
        for _ in range(args.rounds):
            for work, measured in rates.items():
                measured.append(rate(args.threads, per_thread, work))
        cores = f"{args.threads} threads on {os.cpu_count()} cores"
        for work, label in [
            (verify, "verify"),
            (redeem, "redeem, 1 person each"),
            (redeem_one, "redeem, all 1 person"),
        ]:
            each = ", ".join(f"{r:.0f}" for r in rates[work])
            print(f"{label}, {cores}: {statistics.median(rates[work]):.0f}/s ({each})")
        # Each round's redeem rate over the verify rate measured just before
        # it, under the same load from others; then the median of the rounds.
        for work, label in [(redeem, ""), (redeem_one, ", 1 person")]:
            ratios = [r / v for r, v in zip(rates[work], rates[verify], strict=True)]
            each = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"ratio redeem/verify{label}: {statistics.median(ratios):.2f} ({each})")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory:     {peak:.0f} MiB")
    print_command(
        "redeem.py",
        f"--threads {args.threads} --uses {args.uses} --rounds {args.rounds}",
    )


if __name__ == "__main__":
    main()
