"""A flood of wrong passcodes through the Duo API, with and without the throttles.

Run:  .venv/bin/python benchmarks/flood.py [--seconds 20] [--flooders 16]

gunicorn (2 workers x 4 threads, production's argon2 cost) with the throttles'
counts in Redis (database 15 of the machine's Redis, emptied first). One
integration floods: `--flooders` threads of duo_client send wrong passcodes for
many people (each holding a live code, so each wrong passcode costs a hash) as
fast as they are answered, without backing off on 429. Another integration is
the VPN: one check of a good code every 100 ms. Both share the two cores with
the server. Printed for each THROTTLE_PER_INTEGRATION of `--rates`: the flood's
answers per second (how many were 429), and the VPN's successes and latency.
"""

import argparse
import random
import statistics
import threading
import time

import redis
from common import print_command, throwaway_database
from django.conf import settings
from django.db import connection, connections

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import User
from tests.duo import auth_client
from tests.gunicorn import database_url, gunicorn

CACHE = "redis://127.0.0.1:6379/15"


def flood(url, flooder, vpn, people, good, seconds, flooders):
    stop = time.monotonic() + seconds
    counts = {"answered": 0, "429": 0}
    latencies, failures = [], []
    lock = threading.Lock()

    def attack():
        client = auth_client(url, *flooder)
        client._MAX_BACKOFF_WAIT_SECS = 0  # An attacker does not wait.
        while time.monotonic() < stop:
            who = random.choice(people)  # noqa: S311 (spreads load, no secret)
            try:
                client.auth("passcode", username=who, passcode="000000000")
                status = "answered"
            except RuntimeError as error:
                status = "429" if error.status == 429 else "answered"
            with lock:
                counts[status] += 1

    def log_in():
        client = auth_client(url, *vpn)
        username, code = good
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                result = client.auth("passcode", username=username, passcode=code)["result"]
            except RuntimeError as error:
                result = error.status
            latencies.append(time.perf_counter() - start)
            if result != "allow":
                failures.append(result)
            time.sleep(0.1)

    threads = [threading.Thread(target=attack) for _ in range(flooders)]
    threads.append(threading.Thread(target=log_in))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = counts["answered"] + counts["429"]
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    print(
        f"  flood: {total / seconds:6.0f} answers/s, {counts['429'] / seconds:6.0f}/s of them 429\n"
        f"  VPN:   {len(latencies) - len(failures)} of {len(latencies)} allowed; "
        f"latency median {statistics.median(latencies) * 1000:.0f} ms, 95th {p95 * 1000:.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--rates", default="off,50/s,20/s", help="THROTTLE_PER_INTEGRATION values")
    args = parser.parse_args()
    settings.BYPASS_CODE_MAX_USES = 10**6
    with throwaway_database():
        # Each with a live code, so every wrong passcode costs a hash.
        people = [User.objects.create_user(f"p{i}@example.edu") for i in range(200)]
        for person in people:
            BypassCode.objects.issue(person, via="culink")
        people = [person.username for person in people]
        vpn_user = User.objects.create_user("alice@example.edu")
        _, code = BypassCode.objects.issue(vpn_user, via="culink")
        flooder = Integration.objects.create_integration("Flooder")
        vpn = Integration.objects.create_integration("VPN")
        flooder, vpn = (flooder[0].ikey, flooder[1]), (vpn[0].ikey, vpn[1])
        connections.close_all()
        print(f"database: {connection.vendor}; gunicorn 2 workers x 4 threads; "
              f"{args.flooders} flooding threads, {args.seconds:g} s each")  # fmt: skip
        for throttle in args.rates.split(","):
            redis.Redis.from_url(CACHE).flushdb()
            env = {
                "ARGON2_CONCURRENCY": "1",
                "DEBUG": "false",
                "CACHE_URL": CACHE,
                "THROTTLE_PER_INTEGRATION": throttle,
                # The worst case: no per-person lock stops the flood first.
                "PROOF_MAX_FAILURES": "1000000000",
                "LOG_LEVEL": "WARNING",
            }
            with gunicorn(database_url(connection), workers=2, threads=4, env=env) as url:
                print(f"THROTTLE_PER_INTEGRATION={throttle}")
                flood(url, flooder, vpn, people, (vpn_user.username, code), args.seconds,
                      args.flooders)  # fmt: skip
        redis.Redis.from_url(CACHE).flushdb()
    print_command(
        "flood.py", f"--seconds {args.seconds:g} --flooders {args.flooders} --rates {args.rates}"
    )


if __name__ == "__main__":
    main()
