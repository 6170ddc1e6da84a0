"""InProcessJobQueue: the same contract as the RQ adapter, with no Redis at all.

Jobs record what they did in files under the test's tmp_path.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from stario.core.adapters.queue_factory import build_queue
from stario.core.adapters.queue_inprocess import InProcessJobQueue
from stario.core.adapters.queue_rq import RQJobQueue
from stario.core.ports.queue import EnqueuedJob, JobOptions
from stario.core.settings import Settings
from tests.integration import queue_jobs

JOBS = queue_jobs.__name__
CALLBACK = f"{JOBS}.record_failure"


@dataclass
class Env:
    target: str
    queue: InProcessJobQueue

    @property
    def store(self) -> queue_jobs.Store:
        return queue_jobs.Store(self.target)

    def failures(self, job_id: str) -> list[str]:
        return self.store.items(f"failed:{job_id}")


@pytest.fixture
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Env]:
    monkeypatch.setenv(queue_jobs.CALLBACK_TARGET, str(tmp_path))
    queue = InProcessJobQueue()
    yield Env(str(tmp_path), queue)
    await queue.close()


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = 5) -> None:
    deadline = time.monotonic() + within
    while not await _holds(check):
        assert time.monotonic() < deadline, "the jobs did not get done in time"
        await asyncio.sleep(0.01)


async def _holds(check: Callable[[], bool | Awaitable[bool]]) -> bool:
    result = check()
    return await result if inspect.isawaitable(result) else result


async def waiting(env: Env, queue: str, depth: int) -> bool:
    return await env.queue.depth(queue) == depth


def new_id() -> str:
    return f"job-{uuid.uuid4().hex[:8]}"


async def test_enqueue_by_dotted_path_runs_the_function(env: Env) -> None:
    job_id = new_id()

    enqueued = await env.queue.enqueue(
        f"{JOBS}.write_value", [env.target, "out", "hello"], JobOptions("video", job_id)
    )

    assert enqueued == EnqueuedJob(job_id, "video", 1)
    await eventually(lambda: env.store.get("out") == "hello")
    assert await env.queue.position("video", job_id) == 0
    assert await env.queue.depth("video") == 0


async def test_positions_and_depth_of_waiting_jobs(env: Env) -> None:
    blocker = new_id()
    await env.queue.enqueue(
        f"{JOBS}.sleep_then_write", [env.target, "blocker", 1], JobOptions("poster", blocker)
    )
    await eventually(lambda: waiting(env, "poster", 0))  # the blocker is running
    job_ids = [new_id() for _ in range(3)]

    enqueued = [
        await env.queue.enqueue(
            f"{JOBS}.write_value", [env.target, job_id, "x"], JobOptions("poster", job_id)
        )
        for job_id in job_ids
    ]

    assert [job.position for job in enqueued] == [1, 2, 3]
    assert [await env.queue.position("poster", job_id) for job_id in job_ids] == [1, 2, 3]
    assert await env.queue.position("poster", blocker) == 0
    assert await env.queue.depth("poster") == 3
    assert await env.queue.position("poster", "unknown") is None
    assert await env.queue.position("other", job_ids[0]) is None
    assert await env.queue.depth("empty") == 0

    await eventually(lambda: all(env.store.get(job_id) == "x" for job_id in job_ids))
    assert env.store.get("blocker") == "woke"
    assert [await env.queue.position("poster", job_id) for job_id in job_ids] == [0, 0, 0]
    assert await env.queue.depth("poster") == 0


async def test_retries_with_backoff_then_success(env: Env) -> None:
    job_id = new_id()
    options = JobOptions("face", job_id, retry_intervals_s=(1, 1), on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.fail_then_succeed", [env.target, "out", 2], options)
    await eventually(lambda: env.store.get("out:attempts") == "1")

    # Waiting for its retry, the job is out of the queue, like a scheduled RQ job.
    assert await env.queue.position("face", job_id) == 0
    assert await env.queue.depth("face") == 0

    await eventually(lambda: env.store.get("out") == "done")
    assert env.store.get("out:attempts") == "3"
    times = [float(t) for t in env.store.items("out:times")]
    assert times[1] - times[0] >= 0.9
    assert times[2] - times[1] >= 0.9
    assert env.failures(job_id) == []


async def test_final_failure_calls_the_callback_once(env: Env) -> None:
    job_id = new_id()
    options = JobOptions("video", job_id, retry_intervals_s=(0, 0), on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.always_fail", [env.target, "out"], options)

    await eventually(lambda: env.failures(job_id) != [])
    await asyncio.sleep(0.1)  # no further attempt or callback follows
    assert env.store.get("out:attempts") == "3"
    assert env.failures(job_id) == ["ValueError: this job always fails"]
    assert await env.queue.position("video", job_id) == 0


async def test_timeout_gives_up_on_a_sleeping_job(env: Env) -> None:
    sleeper, after = new_id(), new_id()
    options = JobOptions("video", sleeper, timeout_s=1, on_failure=CALLBACK)
    await env.queue.enqueue(f"{JOBS}.sleep_then_write", [env.target, "out", 3], options)
    await env.queue.enqueue(
        f"{JOBS}.write_value", [env.target, "after", "ran"], JobOptions("video", after)
    )
    started = time.monotonic()

    await eventually(lambda: env.store.get("after") == "ran")

    assert time.monotonic() - started < 2.5
    assert env.store.get("out") is None
    [error] = env.failures(sleeper)
    assert error.startswith("JobTimeoutError")


async def test_duplicate_job_id_does_not_run_twice(env: Env) -> None:
    job_id = new_id()
    path, video = f"{JOBS}.write_value", JobOptions("video", job_id)

    first = await env.queue.enqueue(path, [env.target, "out", "first"], video)
    again = await env.queue.enqueue(path, [env.target, "out", "2nd"], video)
    elsewhere = await env.queue.enqueue(path, [env.target, "out", "3rd"], JobOptions("x", job_id))

    assert first == again == elsewhere == EnqueuedJob(job_id, "video", 1)
    assert await env.queue.depth("video") == 1
    assert await env.queue.depth("x") == 0
    await eventually(lambda: env.store.get("out") == "first")

    late = await env.queue.enqueue(path, [env.target, "out", "late"], video)
    await asyncio.sleep(0.1)
    assert late == EnqueuedJob(job_id, "video", 0)
    assert env.store.get("out") == "first"
    assert env.store.get("out:runs") == "1"


async def test_unimportable_function_fails_the_job(env: Env) -> None:
    job_id = new_id()
    options = JobOptions("video", job_id, on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.no_such_job", [], options)

    await eventually(lambda: env.failures(job_id) != [])
    [error] = env.failures(job_id)
    assert error.startswith("AttributeError")


async def test_a_raising_callback_is_logged(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    job_id = new_id()
    options = JobOptions("video", job_id, on_failure=f"{JOBS}.no_such_callback")

    await env.queue.enqueue(f"{JOBS}.always_fail", [env.target, "out"], options)

    await eventually(lambda: "no_such_callback" in caplog.text)
    assert "failure callback" in caplog.text


async def test_job_arguments_must_be_ids(env: Env) -> None:
    options = JobOptions("video", new_id())
    with pytest.raises(TypeError, match="ids"):
        await env.queue.enqueue(f"{JOBS}.write_value", [env.target, 1.5, "x"], options)
    with pytest.raises(ValueError, match="dotted path"):
        await env.queue.enqueue("write_value", [], options)
    assert await env.queue.depth("video") == 0


async def test_close_cancels_consumers_and_retry_timers(tmp_path: Path) -> None:
    queue = InProcessJobQueue()
    options = JobOptions("video", new_id(), retry_intervals_s=(60,))
    await queue.enqueue(f"{JOBS}.always_fail", [str(tmp_path), "out"], options)
    await eventually(lambda: queue_jobs.Store(str(tmp_path)).get("out:attempts") == "1")
    tasks = [task for task in asyncio.all_tasks() if task.get_name() == "queue:video"]

    await queue.close()

    assert tasks
    assert all(task.done() for task in tasks)
    with pytest.raises(RuntimeError, match="closed"):
        await queue.enqueue(f"{JOBS}.write_value", [str(tmp_path), "out", "x"], options)


def test_build_queue_follows_redis_url() -> None:
    assert isinstance(build_queue(Settings(_env_file=None)), InProcessJobQueue)
    rq_queue = build_queue(Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/14"))
    assert isinstance(rq_queue, RQJobQueue)
