"""Run one function from many threads at once, each on its own database connection."""

import threading

from django.db import connections


def race(count, function):
    """Call `function()` from `count` threads released together; return their results.

    Any exception in a thread fails the caller: a race must never raise.
    """
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            result = function()
            with lock:
                results.append(result)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == count
    return results


def thread_count(connection):
    # At least 50 on PostgreSQL, the production database; 30 on SQLite.
    return 50 if connection.vendor == "postgresql" else 30
