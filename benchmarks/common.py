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
from django.test.utils import setup_test_environment  # noqa: E402


@contextmanager
def throwaway_database():
    """A test database like the suite's, removed afterwards; DEBUG off, as in production."""
    setup_test_environment(debug=False)
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


def server_memory(url, field):
    """`field` of /proc/<pid>/status ("VmHWM": peak, "VmRSS": now), in MiB, of each gunicorn
    process serving `url` (the master and its workers), smallest first."""
    bind = f"127.0.0.1:{url.rsplit(':', 1)[1]}".encode()
    sizes = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and bind in (proc / "cmdline").read_bytes():
                status = (proc / "status").read_text()
                kib = next(
                    line.split()[1] for line in status.splitlines() if line.startswith(field)
                )
                sizes.append(int(kib) / 1024)
        except (OSError, StopIteration):
            continue
    return sorted(sizes)


def print_command(script, arguments):
    """The command that reproduces the figures above, with the database it ran on."""
    url = os.environ.get("DATABASE_URL")
    prefix = f"DATABASE_URL={url} " if url else ""
    print(f"command: {prefix}.venv/bin/python benchmarks/{script} {arguments}")
