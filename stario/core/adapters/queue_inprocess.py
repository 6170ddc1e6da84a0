"""JobQueue inside the running event loop, for `stario dev` without Redis.

It keeps RQ's semantics where they matter: jobs by dotted path, one job at a time per queue, a
retry goes to the back of its queue after its interval, `on_failure` runs once on the final
failure, a known job id is never enqueued twice, and the same position/depth answers.

Each attempt runs in its own daemon thread. A timeout is best effort: the attempt is given up
and counts as failed, but its thread cannot be killed and runs on in the background (being a
daemon thread, it does not hold up the process when it exits). Jobs are kept in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stario.core.ports.queue import EnqueuedJob, JobOptions, check_job_call

logger = logging.getLogger(__name__)


class JobTimeoutError(Exception):
    """An attempt ran past `JobOptions.timeout_s`."""


@dataclass(slots=True)
class _Job:
    func_path: str
    args: tuple[object, ...]
    options: JobOptions
    attempts: int = 0


@dataclass(slots=True)
class _Queue:
    waiting: deque[str] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    consumer: asyncio.Task[None] | None = None


class InProcessJobQueue:
    """One consumer task per queue name, started on the first enqueue to it."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._jobs: dict[str, _Job] = {}
        self._retry_timers: set[asyncio.Task[None]] = set()
        self._closed = False

    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob:
        if self._closed:
            raise RuntimeError("the job queue is closed")
        check_job_call(func_path, args)
        existing = self._jobs.get(options.job_id)
        if existing is not None:
            logger.info("job %s is already known; not enqueued again", options.job_id)
            queue = existing.options.queue
        else:
            self._jobs[options.job_id] = _Job(func_path, tuple(args), options)
            queue = options.queue
            self._push(queue, options.job_id)
        return EnqueuedJob(options.job_id, queue, await self.position(queue, options.job_id) or 0)

    async def position(self, queue: str, job_id: str) -> int | None:
        job = self._jobs.get(job_id)
        if job is None or job.options.queue != queue:
            return None
        waiting = self._queues[queue].waiting
        return waiting.index(job_id) + 1 if job_id in waiting else 0

    async def depth(self, queue: str) -> int:
        state = self._queues.get(queue)
        return len(state.waiting) if state else 0

    async def close(self) -> None:
        self._closed = True
        tasks = [*self._retry_timers]
        tasks += [state.consumer for state in self._queues.values() if state.consumer]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # Internals ------------------------------------------------------------------------------

    def _push(self, queue: str, job_id: str) -> None:
        state = self._queues.get(queue)
        if state is None:
            state = self._queues[queue] = _Queue()
        state.waiting.append(job_id)
        state.wakeup.set()
        if state.consumer is None:
            state.consumer = asyncio.create_task(self._consume(state), name=f"queue:{queue}")

    async def _consume(self, state: _Queue) -> None:
        while True:
            if not state.waiting:
                state.wakeup.clear()
                await state.wakeup.wait()
                continue
            job_id = state.waiting.popleft()
            try:
                await self._run(job_id, self._jobs[job_id])
            except Exception:  # a bug here must not stop the queue
                logger.exception("job queue failed while handling job %s", job_id)

    async def _run(self, job_id: str, job: _Job) -> None:
        job.attempts += 1
        timeout = job.options.timeout_s
        try:
            func = await _in_thread(_import_callable, job.func_path)
            attempt = _in_thread(func, *job.args)
            done, _ = await asyncio.wait({attempt}, timeout=timeout)
            if not done:
                attempt.cancel()  # its thread runs on; nobody waits for it any more
                raise JobTimeoutError(f"job exceeded its timeout of {timeout} s")
            attempt.result()
        except Exception as exc:
            await self._failed(job_id, job, f"{type(exc).__name__}: {exc}", exc)
        else:
            logger.info("job %s finished (attempt %d)", job_id, job.attempts)

    async def _failed(
        self, job_id: str, job: _Job, error: str, exc: BaseException | None = None
    ) -> None:
        intervals = job.options.retry_intervals_s
        retries_done = job.attempts - 1
        if retries_done < len(intervals):
            logger.warning(
                "job %s failed (attempt %d), will retry: %s", job_id, job.attempts, error
            )
            delay = intervals[retries_done]
            if delay > 0:
                timer = asyncio.create_task(self._push_later(job.options.queue, job_id, delay))
                self._retry_timers.add(timer)
                timer.add_done_callback(self._retry_timers.discard)
            else:
                self._push(job.options.queue, job_id)
            return
        logger.error(
            "job %s failed for good after %d attempts: %s",
            job_id,
            job.attempts,
            error,
            exc_info=exc,
        )
        if job.options.on_failure:
            try:
                callback = await _in_thread(_import_callable, job.options.on_failure)
                await _in_thread(callback, job_id, error)
            except Exception:
                logger.exception(
                    "failure callback %s for job %s raised", job.options.on_failure, job_id
                )

    async def _push_later(self, queue: str, job_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._push(queue, job_id)


def _in_thread(func: Callable[..., Any], *args: object) -> asyncio.Future[Any]:
    """Run `func(*args)` in a new daemon thread; the future gets its result or exception."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: object, error: BaseException | None) -> None:
        if future.done():  # given up on (timeout or cancellation)
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def target() -> None:
        try:
            outcome: tuple[object, BaseException | None] = (func(*args), None)
        except Exception as exc:
            outcome = (None, exc)
        except BaseException as exc:  # SystemExit and the like end the job, not the queue
            outcome = (None, RuntimeError(f"job raised {type(exc).__name__}: {exc}"))
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(
        target=target, name=f"job:{getattr(func, '__name__', 'job')}", daemon=True
    ).start()
    return future


def _import_callable(path: str) -> Callable[..., Any]:
    module_name, _, attribute = path.rpartition(".")
    func = getattr(importlib.import_module(module_name), attribute)
    if not callable(func):
        raise TypeError(f"{path} is not callable")
    return func  # type: ignore[no-any-return]
