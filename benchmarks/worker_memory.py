"""One gunicorn worker's memory over 10,000 requests: it must not grow without bound.

Run:  .venv/bin/python benchmarks/worker_memory.py [--requests 10000]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/worker_memory.py

One worker (4 threads, production's argon2 cost, DEBUG off, no
max_requests), driven by 4 threads of the real duo_client and a browser-like
client: a mix of passcode checks (one hash each), wrong passcodes, preauth,
check, and the portal's pages. It prints the worker's resident memory
(VmRSS) every 1,000 requests.
"""

import argparse
import itertools
import random
import threading

import requests
from common import print_command, server_memory, throwaway_database
from django.conf import settings
from django.db import connection, connections

from bypass.models import BypassCode
from duoapi.models import Integration
from duoportal.models import User
from tests.duo import auth_client
from tests.gunicorn import database_url, gunicorn


def worker_rss(url):
    """VmRSS of the gunicorn worker serving `url`, in MiB (the master is the smaller one)."""
    return server_memory(url, "VmRSS")[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    settings.BYPASS_CODE_MAX_USES = 10**6
    with throwaway_database():
        people = [User.objects.create_user(f"p{i}@example.edu") for i in range(50)]
        codes = {p.username: BypassCode.objects.issue(p, via="culink")[1] for p in people}
        integration, secret = Integration.objects.create_integration("Benchmark")
        connections.close_all()
        env = {
            "ARGON2_CONCURRENCY": "1",
            "DEBUG": "false",
            # Wrong passcodes keep being checked (no lock), nothing is throttled,
            # and the request log stays out of the figures.
            "PROOF_MAX_FAILURES": "1000000000",
            "THROTTLE_PER_INTEGRATION": "off",
            "THROTTLE_PER_ADDRESS": "off",
            "LOG_LEVEL": "WARNING",
        }
        with gunicorn(database_url(connection), workers=1, threads=4, env=env) as url:
            local = threading.local()
            usernames = list(codes)

            def client():
                if not hasattr(local, "client"):
                    local.client = auth_client(url, integration.ikey, secret)
                return local.client

            def one(n):
                who = random.choice(usernames)  # noqa: S311 (spreads load, no secret)
                kind = n % 10
                if kind == 0:
                    client().auth("passcode", username=who, passcode=codes[who])
                elif kind == 1:
                    client().auth("passcode", username=who, passcode="000000000")
                elif kind in (2, 3):
                    client().preauth(username=who)
                elif kind in (4, 5):
                    client().check()
                else:
                    page = ["/", "/accounts/login/", "/no-such-page/", "/healthz"][kind % 4]
                    requests.get(url + page, timeout=30)

            counter = itertools.count()
            lock = threading.Lock()
            print(f"database: {connection.vendor}; one worker, 4 threads; {args.clients} clients")
            print(f"{0:>6} requests: {worker_rss(url):6.1f} MiB")

            def drive():
                while (n := next(counter)) < args.requests:
                    one(n)
                    if (n + 1) % 1000 == 0:
                        with lock:
                            print(f"{n + 1:>6} requests: {worker_rss(url):6.1f} MiB", flush=True)

            threads = [threading.Thread(target=drive) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    print_command("worker_memory.py", f"--requests {args.requests} --clients {args.clients}")


if __name__ == "__main__":
    main()
