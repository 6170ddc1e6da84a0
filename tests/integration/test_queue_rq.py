"""RQJobQueue and run_worker against a real Redis.

Redis comes from the shared `redis_url` fixture (TEST_REDIS_URL), which stops the run at once
when Redis is unreachable. Each test's queue names, job ids and keys carry its own token and are
deleted afterwards, so parallel runs on the same Redis do not clash. Jobs run in an in-process
rq.SimpleWorker (no fork), except in the run_worker test.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.job import Job, JobStatus

from stario.core.adapters.queue_rq import RQJobQueue, run_worker
from stario.core.ports.queue import EnqueuedJob, JobOptions
from tests.integration import queue_jobs

JOBS = queue_jobs.__name__
CALLBACK = f"{JOBS}.record_failure"


@dataclass
class Env:
    token: str
    url: str
    redis: Redis
    queue: RQJobQueue

    def name(self, suffix: str) -> str:
        return f"{self.token}-{suffix}"

    def get(self, key: str) -> str | None:
        raw = self.redis.get(self.name(key))
        return None if raw is None else queue_jobs.as_text(raw)

    def failures(self, job_id: str) -> list[str]:
        return [queue_jobs.as_text(raw) for raw in self.redis.lrange(f"failed:{job_id}", 0, -1)]

    def drain(self, *queues: str) -> None:
        """One burst of an in-process worker with its scheduler (due retries come back)."""
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            worker = SimpleWorker(
                list(queues), connection=self.redis, name=self.name(uuid.uuid4().hex[:8])
            )
            worker.work(burst=True, with_scheduler=True)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    def drain_until(self, done: Callable[[], bool], *queues: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the jobs did not get done in time"
            self.drain(*queues)
            time.sleep(0.1)


@pytest.fixture
async def env(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Env]:
    monkeypatch.setenv(queue_jobs.CALLBACK_TARGET, redis_url)
    token = f"stario-test-{uuid.uuid4().hex[:12]}"
    client: Redis = Redis.from_url(redis_url)
    queue = RQJobQueue(redis_url)
    yield Env(token, redis_url, client, queue)
    await queue.close()
    for key in client.scan_iter(match=f"*{token}*"):
        client.delete(key)
    for member in client.smembers("rq:queues"):
        if token in queue_jobs.as_text(member):
            client.srem("rq:queues", member)
    client.close()


async def test_enqueue_by_dotted_path_runs_the_function(env: Env) -> None:
    queue, job_id = env.name("video"), env.name("job")

    enqueued = await env.queue.enqueue(
        f"{JOBS}.write_value", [env.url, env.name("out"), "hello"], JobOptions(queue, job_id)
    )

    assert enqueued == EnqueuedJob(job_id, queue, 1)
    assert await env.queue.depth(queue) == 1
    env.drain(queue)
    assert env.get("out") == "hello"
    assert await env.queue.position(queue, job_id) == 0
    assert await env.queue.depth(queue) == 0


async def test_positions_and_depth_of_waiting_jobs(env: Env) -> None:
    queue = env.name("poster")
    job_ids = [env.name(f"job{n}") for n in range(3)]

    enqueued = [
        await env.queue.enqueue(
            f"{JOBS}.write_value", [env.url, env.name(job_id), "x"], JobOptions(queue, job_id)
        )
        for job_id in job_ids
    ]

    assert [job.position for job in enqueued] == [1, 2, 3]
    assert [await env.queue.position(queue, job_id) for job_id in job_ids] == [1, 2, 3]
    assert await env.queue.depth(queue) == 3
    assert await env.queue.position(queue, env.name("unknown")) is None
    assert await env.queue.position(env.name("other"), job_ids[0]) is None
    assert await env.queue.depth(env.name("empty")) == 0

    env.drain(queue)
    assert [await env.queue.position(queue, job_id) for job_id in job_ids] == [0, 0, 0]
    assert await env.queue.depth(queue) == 0


async def test_retries_with_backoff_then_success(env: Env) -> None:
    queue, job_id = env.name("face"), env.name("job")
    options = JobOptions(queue, job_id, retry_intervals_s=(1, 1), on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.fail_then_succeed", [env.url, env.name("out"), 2], options)
    env.drain(queue)

    # The first attempt failed: the job waits in the scheduler, not in the queue.
    assert env.get("out:attempts") == "1"
    assert Job.fetch(job_id, connection=env.redis).get_status() == JobStatus.SCHEDULED
    assert await env.queue.position(queue, job_id) == 0
    assert await env.queue.depth(queue) == 0

    env.drain_until(lambda: env.get("out") == "done", queue)
    assert env.get("out:attempts") == "3"
    times = [float(t) for t in env.redis.lrange(env.name("out:times"), 0, -1)]
    assert times[2] - times[0] > 1.0, "the retries ran without their intervals"
    assert env.failures(job_id) == []


async def test_final_failure_calls_the_callback_once(env: Env) -> None:
    queue, job_id = env.name("video"), env.name("job")
    options = JobOptions(queue, job_id, retry_intervals_s=(0, 0), on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.always_fail", [env.url, env.name("out")], options)
    env.drain(queue)

    assert env.get("out:attempts") == "3"
    assert env.failures(job_id) == ["ValueError: this job always fails"]
    assert Job.fetch(job_id, connection=env.redis).get_status() == JobStatus.FAILED
    assert await env.queue.position(queue, job_id) == 0


async def test_timeout_kills_a_sleeping_job(env: Env) -> None:
    queue, job_id = env.name("video"), env.name("job")
    options = JobOptions(queue, job_id, timeout_s=1, on_failure=CALLBACK)

    await env.queue.enqueue(f"{JOBS}.sleep_then_write", [env.url, env.name("out"), 30], options)
    started = time.monotonic()
    env.drain(queue)

    assert time.monotonic() - started < 10
    assert env.get("out") is None
    [error] = env.failures(job_id)
    assert error.startswith("JobTimeoutException")


async def test_duplicate_job_id_does_not_run_twice(env: Env) -> None:
    queue, job_id = env.name("video"), env.name("job")
    path = f"{JOBS}.write_value"

    first = await env.queue.enqueue(
        path, [env.url, env.name("out"), "first"], JobOptions(queue, job_id)
    )
    again = await env.queue.enqueue(
        path, [env.url, env.name("out"), "second"], JobOptions(queue, job_id)
    )
    elsewhere = await env.queue.enqueue(
        path, [env.url, env.name("out"), "third"], JobOptions(env.name("poster"), job_id)
    )

    assert first == again == elsewhere == EnqueuedJob(job_id, queue, 1)
    assert await env.queue.depth(queue) == 1
    assert await env.queue.depth(env.name("poster")) == 0
    env.drain(queue, env.name("poster"))

    late = await env.queue.enqueue(
        path, [env.url, env.name("out"), "late"], JobOptions(queue, job_id)
    )
    env.drain(queue)
    assert late == EnqueuedJob(job_id, queue, 0)
    assert env.get("out") == "first"
    assert env.get("out:runs") == "1"


async def test_job_arguments_must_be_ids(env: Env) -> None:
    options = JobOptions(env.name("video"), env.name("job"))
    with pytest.raises(TypeError, match="ids"):
        await env.queue.enqueue(f"{JOBS}.write_value", [env.url, {"a": 1}, "x"], options)
    with pytest.raises(ValueError, match="dotted path"):
        await env.queue.enqueue("write_value", [], options)
    assert await env.queue.depth(env.name("video")) == 0


async def test_run_worker_forks_and_reports_a_killed_work_horse(env: Env) -> None:
    queue = env.name("video")
    await env.queue.enqueue(
        f"{JOBS}.write_value", [env.url, env.name("out"), "ok"], JobOptions(queue, env.name("a"))
    )
    killed_id = env.name("killed")
    options = JobOptions(queue, killed_id, on_failure=CALLBACK)
    await env.queue.enqueue(f"{JOBS}.kill_own_process", [os.getpid()], options)

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert run_worker(env.url, [queue], burst=True)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

    assert env.get("out") == "ok"
    [error] = env.failures(killed_id)
    assert error.startswith("WorkHorseKilled")
    assert Job.fetch(killed_id, connection=env.redis).get_status() == JobStatus.FAILED
