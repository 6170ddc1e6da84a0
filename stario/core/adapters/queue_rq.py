"""JobQueue on RQ (Redis Queue), and the worker loop that `stario worker` runs.

Jobs are enqueued by dotted path: this module never imports job code, the worker does.

rq 3 behaviours this adapter relies on or works around:

- rq runs a job's `on_failure` callback after *every* failed attempt, before it decides whether
  to retry. `_on_job_failure` therefore skips attempts that still have retries left, so the
  port's `on_failure` runs once, on the final failure.
- rq skips `on_failure` when the work horse dies (out of memory, SIGKILL): `run_worker` installs
  a work-horse-killed handler that applies the same rule. A job abandoned by a dead worker (found
  by registry cleanup) and a job stopped on request also reach the callback, once.
- Retries with intervals go through the ScheduledJobRegistry, which only a worker started with
  `with_scheduler=True` moves back into the queue.
- `unique=True` makes the enqueue atomic (a Lua script): a second enqueue of a known job id
  raises DuplicateJobError and is answered with the existing job's state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from redis import Redis
from rq import Callback, Queue, Retry, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.utils import import_attribute

from stario.core.ports.queue import EnqueuedJob, JobOptions, check_job_call

logger = logging.getLogger(__name__)

_ON_FAILURE_META = "stario_on_failure"
# A finished job stays known this long, so a late duplicate enqueue still finds it.
RESULT_TTL_S = 24 * 3600


class RQJobQueue:
    """JobQueue on one Redis connection; rq's sync API runs in a thread."""

    def __init__(self, redis_url: str) -> None:
        self._redis = Redis.from_url(redis_url)
        self._queues: dict[str, Queue] = {}

    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob:
        check_job_call(func_path, args)
        return await asyncio.to_thread(self._enqueue, func_path, list(args), options)

    async def position(self, queue: str, job_id: str) -> int | None:
        return await asyncio.to_thread(self._position, queue, job_id)

    async def depth(self, queue: str) -> int:
        return int(await asyncio.to_thread(lambda: self._queue(queue).count))

    async def close(self) -> None:
        await asyncio.to_thread(self._redis.close)

    # Sync side ------------------------------------------------------------------------------

    def _queue(self, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues.setdefault(name, Queue(name, connection=self._redis))
        return queue

    def _enqueue(self, func_path: str, args: list[object], options: JobOptions) -> EnqueuedJob:
        queue = self._queue(options.queue)
        intervals = list(options.retry_intervals_s)
        try:
            queue.enqueue_call(
                func_path,
                args=args,
                job_id=options.job_id,
                timeout=options.timeout_s,
                result_ttl=RESULT_TTL_S,
                retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
                meta={_ON_FAILURE_META: options.on_failure} if options.on_failure else None,
                on_failure=Callback(_on_job_failure) if options.on_failure else None,
                on_stopped=Callback(_on_job_stopped) if options.on_failure else None,
                unique=True,
            )
        except DuplicateJobError:
            logger.info("job %s is already known; not enqueued again", options.job_id)
            try:
                origin = Job.fetch(options.job_id, connection=self._redis).origin
            except NoSuchJobError:  # it expired in between: enqueue afresh
                return self._enqueue(func_path, args, options)
            return EnqueuedJob(options.job_id, origin, self._position(origin, options.job_id) or 0)
        return EnqueuedJob(
            options.job_id, options.queue, self._position(options.queue, options.job_id) or 0
        )

    def _position(self, queue_name: str, job_id: str) -> int | None:
        queue = self._queue(queue_name)
        index = queue.get_job_position(job_id)
        if index is not None:
            return int(index) + 1
        # Not waiting in the list: running, scheduled for a retry, finished, failed, or unknown.
        return None if queue.fetch_job(job_id) is None else 0


def run_worker(redis_url: str, queues: Sequence[str], burst: bool = False) -> bool:
    """Work on `queues` until stopped (or until they are empty with `burst`).

    Each job runs in a forked work horse, so a crash or timeout never takes the worker down.
    The scheduler runs alongside, so retries with intervals come back. Returns whether any job
    was run.
    """
    connection = Redis.from_url(redis_url)
    try:
        worker = Worker(
            list(queues), connection=connection, work_horse_killed_handler=_on_work_horse_killed
        )
        return bool(worker.work(burst=burst, with_scheduler=True))
    finally:
        connection.close()


# rq callbacks (run inside the worker) ---------------------------------------------------------


def _on_job_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """rq's on_failure: forwards to the job's callback only when no retry is left."""
    if job.should_retry:
        logger.info("job %s failed; a retry is scheduled", job.id)
        return
    name = exc_type.__name__ if exc_type is not None else "Error"
    _notify_failure(job, f"{name}: {exc_value}" if str(exc_value or "") else name)


def _on_job_stopped(job: Job, connection: Redis) -> None:
    """rq's on_stopped: a job stopped on request never runs again."""
    _notify_failure(job, "JobStopped: the job was stopped on request")


def _on_work_horse_killed(job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
    """Worker hook for a work horse that died mid-job; rq itself skips on_failure then."""
    if not job.should_retry:
        _notify_failure(job, f"WorkHorseKilled: the work horse exited with status {ret_val}")


def _notify_failure(job: Job, error: str) -> None:
    path = (job.meta or {}).get(_ON_FAILURE_META)
    if not path:
        return
    try:
        callback: Callable[[str, str], object] = import_attribute(path)
        callback(job.id, error)
    except Exception:
        logger.exception("failure callback %s for job %s raised", path, job.id)
