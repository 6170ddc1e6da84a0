"""Job queue port. Jobs are enqueued by dotted path so the bot and web never import workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class JobOptions:
    queue: str
    job_id: str
    timeout_s: int = 600
    # Seconds to wait before each retry; its length is the number of retries.
    retry_intervals_s: Sequence[int] = field(default_factory=tuple)
    # Dotted path of `callback(job_id: str, error: str)` run once when the job finally fails.
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class EnqueuedJob:
    job_id: str
    queue: str
    position: int  # 1 = next to run; 0 = already running or finished


class JobQueue(Protocol):
    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob: ...

    async def position(self, queue: str, job_id: str) -> int | None:
        """1-based place in the queue, 0 when no longer waiting, None when unknown."""
        ...

    async def depth(self, queue: str) -> int: ...

    async def close(self) -> None: ...


def check_job_call(func_path: str, args: Sequence[object]) -> None:
    """Jobs are enqueued by dotted path and take ids only (never objects, never payloads)."""
    if "." not in func_path:
        raise ValueError(f"job function must be a dotted path, got {func_path!r}")
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, str | int):
            raise TypeError(f"job arguments must be ids (str or int), got {type(arg).__name__}")
