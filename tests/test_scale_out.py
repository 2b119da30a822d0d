"""Two app servers on one PostgreSQL and one Redis, with production settings (issue 12).

Everything here is its own: a throwaway PostgreSQL cluster (initdb and pg_ctl
on a free port) and a redis-server, so restarting and stopping them leaves the
machine's shared servers alone. The servers are gunicorn with
deploy/gunicorn.conf.py over TLS; the clients are the real duo_client.

It runs in the PostgreSQL pass of .ci/run (DATABASE_URL=postgres://...).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duo_client
import pytest
import redis
import requests
from django.db import connection

from tests.devsite import ROOT, free_port
from tests.gunicorn import self_signed, wait_until_up
from tests.test_settings import PRODUCTION

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs in .ci/run's PostgreSQL pass"
)

PG_BIN = next(Path("/usr/lib/postgresql").glob("*/bin"), None)
ALICE = "alice@example.edu"


def as_postgres(*command, **options):
    # PostgreSQL refuses to run as root: its own user runs the throwaway cluster.
    prefix = [shutil.which("runuser"), "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, **options)


class Cluster:
    """A PostgreSQL cluster of its own, in a temporary folder, on a free port."""

    def __init__(self, folder):
        self.data, self.port = folder / "data", free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        try:
            as_postgres(
                str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                "-c", "CREATE DATABASE portal",
            )  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def pg_ctl(self, *args):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.data / "log"), "-w", *args,
        )  # fmt: skip

    def start(self):
        self.pg_ctl("start")

    def stop(self):
        self.pg_ctl("-m", "fast", "stop")


class Redis:
    def __init__(self, folder):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Site:
    """The cluster, Redis and two app servers; `manage(...)` runs a command against them."""

    def __init__(self, folder):
        self.folder = folder
        self.cluster = self.redis = None
        self.servers, self.urls = [], []
        try:
            self._start()
        except BaseException:
            # A start that fails halfway stops what it started: nothing is left running.
            self.close()
            raise

    def _start(self):
        folder = self.folder
        self.cluster = Cluster(folder)
        self.redis = Redis(folder)
        self.certificate = self_signed(folder)
        self.env = {
            **os.environ,
            **PRODUCTION,
            "DATABASE_URL": self.cluster.url,
            "CACHE_URL": self.redis.url,
            "ALLOWED_HOSTS": "localhost",
            "STATIC_ROOT": str(folder / "static"),
            "PORTAL_API_HOSTNAME": "localhost",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            "THROTTLE_PER_INTEGRATION": "50/s",
            "THROTTLE_PER_ADDRESS": "30/m",
        }
        self.manage("migrate", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        for number in range(2):
            self._serve(number)

    def manage(self, *args, **env):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env={**self.env, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    def shell(self, code, **env):
        return self.manage("shell", "--no-imports", "-c", code, **env).strip()

    def _serve(self, number):
        port = free_port()
        log = open(self.folder / f"server{number}.log", "wb")  # noqa: SIM115 (closed in close())
        cert, key = self.certificate
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "--certfile", str(cert), "--keyfile", str(key), "duoportal.wsgi"],
            cwd=ROOT, env={**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log, stderr=log,
        )  # fmt: skip
        self.servers.append((process, log))
        url = f"https://localhost:{port}"
        wait_until_up(url, process, self.certificate, path="/healthz")
        self.urls.append(url)

    def log(self, number):
        return (self.folder / f"server{number}.log").read_text(errors="replace")

    def close(self):
        for process, log in self.servers:
            process.terminate()
            process.wait(timeout=40)
            log.close()
        for server in (self.redis, self.cluster):
            if server is not None:
                server.stop()


@pytest.fixture(scope="module")
def site():
    if PG_BIN is None or shutil.which("redis-server") is None:
        pytest.fail("PostgreSQL's initdb and redis-server are needed (Debian: postgresql, redis)")
    folder = Path(tempfile.mkdtemp(prefix="scale-out-"))
    shutil.chown(folder, "postgres") if os.geteuid() == 0 else None
    running = Site(folder)
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def integration(site):
    return json.loads(site.manage("create_integration", "VPN", "--json"))


def clients(site, integration, **options):
    """One duo_client.Auth per app server, as two VPN gateways behind the portal would be."""
    made = []
    for url in site.urls:
        port = int(url.rsplit(":", 1)[1])
        client = duo_client.Auth(
            integration["ikey"], integration["skey"], "localhost", port=port,
            ca_certs=str(site.certificate[0]), **options,
        )  # fmt: skip
        made.append(client)
    return made


def fresh_person(site, username, *, max_uses=20):
    """A person with a live code of `max_uses` uses, in the cluster's database: the code."""
    return site.shell(
        "from duoportal.models import User; from bypass.models import BypassCode\n"
        f"user, _ = User.objects.get_or_create(username={username!r})\n"
        "from duoportal.models import ProofLock; ProofLock.objects.filter(user=user).delete()\n"
        "print(BypassCode.objects.issue(user, via='culink')[1])",
        BYPASS_CODE_MAX_USES=str(max_uses),
    )


def uses(site, username):
    return int(
        site.shell(
            "from bypass.models import BypassCode\n"
            f"codes = BypassCode.objects.filter(user__username={username!r})\n"
            "print(sum(codes.values_list('uses', flat=True)))"
        )
    )


def answer(client, username, passcode):
    """duo_client's answer: 'allow' or 'deny'; the HTTP status of a refusal in Duo's envelope.

    Anything else (a refusal that is not Duo's JSON, no answer at all) comes
    back as a string that says what it was, so that no thread of a load dies
    quietly and every test's set of answers shows it.
    """
    try:
        return client.auth("passcode", username=username, passcode=passcode)["result"]
    except RuntimeError as error:
        envelope = error.data if isinstance(error.data, dict) else {}
        if envelope.get("stat") == "FAIL" and envelope.get("code", 0) // 100 == error.status:
            return error.status
        return f"{error.status} not in Duo's envelope: {error.data!r:.200}"
    except OSError as error:
        return f"no answer: {error!r}"


def until(condition, seconds, failure):
    """Poll `condition` until it holds; fail the test with `failure` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def test_two_hundred_checks_of_one_code_over_two_servers_allow_exactly_twenty(site, integration):
    code = fresh_person(site, ALICE)
    servers = clients(site, integration, timeout=120)
    # 200 client threads, 100 a server, wait at a barrier and send their checks
    # together: all 200 are in flight at once. Each server, with production's
    # pool (2 workers of 4 threads), works on 8 of them at a time and holds the
    # rest in its accept queue, so 16 checks of the code race in PostgreSQL at
    # any moment until the 200 are answered.
    together = threading.Barrier(200, timeout=60)
    started, answered = [0.0] * 200, [0.0] * 200

    def check(number):
        together.wait()
        started[number] = time.monotonic()
        result = answer(servers[number % 2], ALICE, code)
        answered[number] = time.monotonic()
        return result

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(check, range(200)))

    # Most were sent before any was answered (all of them, on a quiet machine; a busy one
    # may take longer to start 200 threads than the first check takes).
    first_answer = min(answered)
    assert sum(at < first_answer for at in started) >= 100, "the checks were not concurrent"
    assert answers.count("allow") == 20, sorted(map(str, answers))
    assert set(answers) <= {"allow", "deny"}
    assert uses(site, ALICE) == 20


def test_ten_wrong_passcodes_over_both_servers_lock_the_person_on_both(site, integration):
    code = fresh_person(site, "bob@example.edu")
    first, second = clients(site, integration)

    for n in range(10):
        assert answer((first, second)[n % 2], "bob@example.edu", f"00000000{n}") == "deny"

    for server in (first, second):
        locked = server.auth("passcode", username="bob@example.edu", passcode=code)
        assert (locked["result"], locked["status"]) == ("deny", "locked_out")
        assert server.preauth(username="bob@example.edu")["result"] == "deny"


def test_a_database_restart_under_load_loses_no_use_and_the_servers_recover(site, integration):
    code = fresh_person(site, "carol@example.edu", max_uses=1_000_000)
    servers = clients(site, integration, timeout=60)
    # (server number, answer), in the order the answers came; three threads a server.
    answers, stop = [], threading.Event()

    def load(number):
        while not stop.is_set():
            answers.append((number % 2, answer(servers[number % 2], "carol@example.edu", code)))

    def on_both(wanted, since, times=1):
        return all(
            [a for n, a in answers[since:] if n == number].count(wanted) >= times
            for number in (0, 1)
        )

    workers = [threading.Thread(target=load, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    try:
        until(lambda: on_both("allow", 0), 60, "no check was allowed before the restart")
        stopped = len(answers)
        site.cluster.stop()
        try:
            # Proof that the outage was seen: checks on both servers met it
            # before the cluster came back.
            until(
                lambda: on_both(503, stopped),
                30,
                "a server never answered 503 while the database was down",
            )
        finally:
            site.cluster.start()
        started = len(answers)
        # They come back by themselves: many checks on each server, so that
        # (almost surely) each of its worker threads has met the new cluster.
        until(lambda: on_both("allow", started, 20), 60, "the servers did not recover")
    finally:
        stop.set()
        for worker in workers:
            worker.join()

    results = [a for _, a in answers]
    # During the outage: 503 in Duo's envelope (see answer()), never a 500.
    assert 500 not in results and set(results) <= {"allow", 503}, set(map(str, results))
    for number in (0, 1):
        assert [a for n, a in answers if n == number][-5:] == ["allow"] * 5
    # Every use counted was answered "allow", and every "allow" was counted once.
    assert results.count("allow") == uses(site, "carol@example.edu")
    # The servers' own request logs agree: both answered 503s, neither ever a 500.
    logs = [site.log(number) for number in (0, 1)]
    assert all('"status": 503' in log for log in logs)
    assert not any('"status": 500' in log for log in logs)


def test_without_redis_the_portal_keeps_serving_and_healthz_says_so(site, integration):
    code = fresh_person(site, "dave@example.edu")
    site.redis.stop()
    try:
        for number, server in enumerate(clients(site, integration)):
            assert answer(server, "dave@example.edu", code) == "allow"
            # Connection: close, else the response's connection outlives the test
            # in a reference cycle, and gunicorn's shutdown waits 30 s for it.
            health = requests.get(
                site.urls[number] + "/healthz",
                headers={"Connection": "close"},
                verify=str(site.certificate[0]),
                timeout=10,
            )
            assert health.status_code == 200
            assert health.json() == {"status": "ok", "database": "ok", "cache": "down"}
        logs = site.log(0) + site.log(1)
        assert "the cache does not answer" in logs
    finally:
        site.redis.start()
