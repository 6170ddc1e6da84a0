"""Sample job functions for the job queue tests, enqueued by dotted path.

Each job takes a `target` saying where to record what it did: a `redis://` URL (the RQ tests) or
a directory (the in-process tests, which need no Redis). The failure callback only gets
`(job_id, error)`, so it reads its target from the CALLBACK_TARGET environment variable.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from redis import Redis

CALLBACK_TARGET = "STARIO_TEST_QUEUE_CALLBACK_TARGET"


def as_text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class Store:
    """Counters, values and lists in Redis or in files under a directory."""

    def __init__(self, target: str) -> None:
        self._redis = Redis.from_url(target) if target.startswith("redis://") else None
        self._dir = Path(target)

    def incr(self, key: str) -> int:
        if self._redis is not None:
            return int(self._redis.incr(key))
        value = int(self.get(key) or 0) + 1
        self.set(key, str(value))
        return value

    def set(self, key: str, value: str) -> None:
        if self._redis is not None:
            self._redis.set(key, value)
        else:
            (self._dir / key).write_text(value)

    def get(self, key: str) -> str | None:
        if self._redis is not None:
            raw = self._redis.get(key)
            return None if raw is None else as_text(raw)
        path = self._dir / key
        return path.read_text() if path.exists() else None

    def append(self, key: str, value: str) -> None:
        if self._redis is not None:
            self._redis.rpush(key, value)
        else:
            with (self._dir / key).open("a") as file:
                file.write(value.replace("\n", " ") + "\n")

    def items(self, key: str) -> list[str]:
        if self._redis is not None:
            return [as_text(raw) for raw in self._redis.lrange(key, 0, -1)]
        path = self._dir / key
        return path.read_text().splitlines() if path.exists() else []

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()


def write_value(target: str, key: str, value: str) -> str:
    store = Store(target)
    store.incr(f"{key}:runs")
    store.set(key, value)
    store.close()
    return value


def fail_then_succeed(target: str, key: str, failures: int) -> None:
    store = Store(target)
    attempt = store.incr(f"{key}:attempts")
    store.append(f"{key}:times", str(time.monotonic()))
    if attempt <= failures:
        store.close()
        raise RuntimeError(f"planned failure {attempt} of {failures}")
    store.set(key, "done")
    store.close()


def always_fail(target: str, key: str) -> None:
    store = Store(target)
    store.incr(f"{key}:attempts")
    store.close()
    raise ValueError("this job always fails")


def sleep_then_write(target: str, key: str, seconds: int) -> None:
    time.sleep(seconds)
    Store(target).set(key, "woke")


def kill_own_process(parent_pid: int) -> None:
    """Die like an out-of-memory kill would; refuses to run in the test process itself."""
    if os.getpid() == parent_pid:
        raise RuntimeError("kill_own_process must run in a forked work horse")
    os.kill(os.getpid(), signal.SIGKILL)


def record_failure(job_id: str, error: str) -> None:
    """The `on_failure` callback: appends the error to `failed:<job_id>`."""
    store = Store(os.environ[CALLBACK_TARGET])
    store.append(f"failed:{job_id}", error)
    store.close()
