"""Argon2id hashes of codes, at most ARGON2_CONCURRENCY at a time in a process."""

import threading
import time
from unittest import mock

import pytest

from duoportal import hashing


class SlowHasher:
    """Records how many hashes run at once."""

    def __init__(self):
        self.running = self.most = 0
        self.lock = threading.Lock()

    def verify(self, stored, plaintext):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return True


@pytest.mark.parametrize("concurrency", [1, 2])
def test_it_runs_no_more_hashes_at_once_than_allowed(settings, concurrency):
    settings.ARGON2_CONCURRENCY = concurrency
    slow = SlowHasher()
    with mock.patch.object(hashing, "_hasher", return_value=slow):
        threads = [threading.Thread(target=hashing.code_matches, args=("h", "1")) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert slow.most == concurrency


def test_a_hash_matches_only_its_code():
    stored = hashing.hash_code("012345678")

    assert stored.startswith("$argon2id$")
    assert hashing.code_matches(stored, "012345678")
    assert not hashing.code_matches(stored, "012345679")
    assert not hashing.code_matches("not a hash", "012345678")
