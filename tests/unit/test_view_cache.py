"""The per-snapshot view cache: LRU by version, and one computation for concurrent misses."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.view_cache import IdentityCache, VersionedCache


def _concurrently(cache: VersionedCache, compute, n: int = 6, kind: str = "panels") -> list:
    results: list = [None] * n
    start = threading.Barrier(n)

    def call(i: int) -> None:
        start.wait()
        results[i] = cache.memoised(kind, "v1", ("2023",), compute)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_misses_of_one_entry_compute_it_once():
    cache, calls = VersionedCache(size=4), []

    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other caller to arrive while it runs
        return {"rows": len(calls)}

    results = _concurrently(cache, compute)
    assert len(calls) == 1
    assert all(r is results[0] for r in results) and results[0] == {"rows": 1}
    assert cache.memoised("panels", "v1", ("2023",), compute) is results[0]  # kept
    assert cache.memoised("panels", "v2", ("2023",), compute) == {"rows": 2}  # a new version recomputes


def test_waiters_compute_their_own_when_the_first_fails_or_is_not_kept():
    cache, calls = VersionedCache(size=4), []
    lock = threading.Lock()

    def failing_first():
        with lock:
            calls.append(1)
            first = len(calls) == 1
        time.sleep(0.2)
        if first:
            raise RuntimeError("the snapshot went away")
        return "ok"

    results = []
    errors = []

    def call():
        try:
            results.append(cache.memoised("summary", "v1", "k", failing_first))
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 1 and results and all(r == "ok" for r in results)
    # A value not worth keeping is not kept: the next caller computes again.
    assert cache.memoised("x", "v1", "k", lambda: "", keep=bool) == ""
    assert cache.memoised("x", "v1", "k", lambda: "again") == "again"


def test_least_recently_used_entries_go_and_no_version_is_never_kept():
    cache = VersionedCache(size=2)
    for key in ("a", "b", "c"):
        cache.memoised("k", "v", key, lambda key=key: key.upper())
    assert cache.memoised("k", "v", "a", lambda: "recomputed") == "recomputed"
    assert cache.memoised("k", None, "z", lambda: 1) == 1
    assert cache.memoised("k", None, "z", lambda: 2) == 2


@pytest.mark.parametrize("n", [2, 8])
def test_distinct_keys_do_not_wait_for_each_other(n):
    cache = VersionedCache(size=16)
    release = threading.Event()
    results = {}

    def slow():
        release.wait(5)
        return "slow"

    holder = threading.Thread(
        target=lambda: results.setdefault("slow", cache.memoised("k", "v", "slow", slow))
    )
    holder.start()
    for i in range(n):
        assert cache.memoised("k", "v", i, lambda i=i: i) == i
    assert holder.is_alive()  # the other keys were served while the slow one was still computing
    release.set()
    holder.join(5)
    assert results["slow"] == "slow"


def test_identity_cache_computes_once_per_object_and_keeps_no_failure():
    cache = IdentityCache(2)
    calls = []

    def size(obj):
        calls.append(obj)
        if obj.get("bad"):
            raise ValueError("no")
        return len(obj)

    first, same_content = {"a": 1}, {"a": 1}
    assert cache.get(first, size) == 1 and cache.get(first, size) == 1
    assert cache.get(same_content, size) == 1  # another object: computed anew
    assert len(calls) == 2 and calls[0] is first and calls[1] is same_content
    with pytest.raises(ValueError):
        cache.get({"bad": True}, size)
    cache.get({"b": 1, "c": 2}, size)  # past the size: starts over
    assert cache.get(first, size) == 1 and sum(c is first for c in calls) == 2
