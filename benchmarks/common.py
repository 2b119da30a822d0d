"""What every benchmark needs: Django set up, a throw-away database, the command to repeat it.

Imported first by each script (benchmarks/ is on sys.path when a script runs).
"""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duoportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.template import Template  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


@contextmanager
def throwaway_database():
    """A test database like the suite's, removed afterwards; DEBUG off, as in production."""
    rendering = Template._render
    setup_test_environment(debug=False)
    # The test environment wraps template rendering in a signal on which Django's
    # test client copies every context of every template it renders: test
    # machinery (up to 8% of a screen's time, measured by alternating the two),
    # which a bare view (no template) never pays. The benchmarks time templates
    # as production renders them.
    Template._render = rendering
    # Not the test suite's database: a benchmark and the tests may run at once.
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(ROOT / ".benchmark-db.sqlite3")
    else:
        test["NAME"] = f"benchmark_{connection.settings_dict['NAME']}"
    name = connection.creation.create_test_db(verbosity=0)
    try:
        yield name
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(name, verbosity=0)


@contextmanager
def server_log():
    """A file for the servers' log: one line a request would bury the figures.

    The servers still write it, as in production.
    """
    path = ROOT / ".benchmark-server.log"
    with path.open("w") as log:
        print(f"server log: {path.relative_to(ROOT)}")
        yield log


def server_processes(url):
    """/proc/<pid> of each gunicorn process serving `url`: the master and its workers."""
    bind = f"127.0.0.1:{url.rsplit(':', 1)[1]}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and bind in (proc / "cmdline").read_bytes():
                found.append(proc)
        except OSError:
            continue
    return found


def server_memory(url, field):
    """`field` of /proc/<pid>/status ("VmHWM": peak, "VmRSS": now), in MiB, of each gunicorn
    process serving `url` (the master and its workers), smallest first."""
    sizes = []
    for proc in server_processes(url):
        try:
            status = (proc / "status").read_text()
            kib = next(line.split()[1] for line in status.splitlines() if line.startswith(field))
            sizes.append(int(kib) / 1024)
        except (OSError, StopIteration):
            continue
    return sorted(sizes)


TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(proc):
    # utime and stime: fields 14 and 15 of /proc/<pid>/stat, after the command's ")".
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_split(url):
    """CPU seconds so far: (this process, the gunicorn serving `url`, the whole machine busy,
    the whole machine idle). Differences around a run say where its time went; what the
    machine spent beyond this process and gunicorn is the database server's, on PostgreSQL."""
    totals = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, totals[:8])
    return (
        _process_cpu(Path("/proc/self")),
        sum(_process_cpu(proc) for proc in server_processes(url)),
        (user + nice + system + irq + softirq + steal) / TICK,
        (idle + iowait) / TICK,
    )


def per_call(before, after, calls):
    """cpu_split() differences as milliseconds per call, in words."""
    mine, server, busy, idle = (1000 * (b - a) / calls for a, b in zip(before, after, strict=True))
    return (
        f"load generator {mine:.1f}, gunicorn {server:.1f}, "
        f"the rest (database server) {busy - mine - server:.1f}, idle {idle:.1f} ms a call"
    )


def print_command(script, arguments):
    """The command that reproduces the figures above, with the database it ran on."""
    url = os.environ.get("DATABASE_URL")
    prefix = f"DATABASE_URL={url} " if url else ""
    print(f"command: {prefix}.venv/bin/python benchmarks/{script} {arguments}")
