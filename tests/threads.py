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


def crowd(connection, wanted=100):
    """`wanted` threads, or on PostgreSQL as many as it has connections free.

    Each thread holds a connection of its own, and PostgreSQL's usual
    max_connections is 100, some of them in use (this test's own, others').
    """
    if connection.vendor != "postgresql":
        return wanted
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        )
        free = cursor.fetchone()[0]
    # A few spare, for whatever else connects meanwhile.
    return min(wanted, free - 5)


def in_background(function):
    """Start `function()` in a thread with its own connection.

    Returns a function that waits for the thread and gives its result (or
    raises its exception), and whose `.done()` says whether it has finished.
    """
    outcome = {}

    def run():
        try:
            outcome["result"] = function()
        except Exception as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def result(timeout=30):
        thread.join(timeout)
        assert not thread.is_alive(), "still running"
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    result.done = lambda: not thread.is_alive()
    return result
