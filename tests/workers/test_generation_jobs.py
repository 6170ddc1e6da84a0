"""Orders through the real queue to the fan's chat: real PostgreSQL, real Redis, RQ workers,
the local engines, and the fake Bot API server over HTTP.

These tests are synchronous on purpose: an RQ worker runs jobs in the main thread (its timeouts
are signals), and each job opens its own event loop, as it does in production.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import av
import pytest
import sqlalchemy as sa
from redis import Redis
from rq import SimpleWorker
from rq.registry import StartedJobRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.queue_rq import RQJobQueue
from stario.core.demo_portraits import render_portrait
from stario.core.services import generation, jobs, ledger
from stario.core.services.generation import Deadlines, GreetingOrder, PosterOrder
from stario.core.settings import Settings
from stario.models import Artist, ErrorClass, GenerationJob, JobStatus, VerificationStatus
from stario.models.db import create_engine, create_session_factory
from stario.workers import jobs as worker_jobs
from stario.workers.engines.base import CapacityError, RenderedPoster, UserInputError
from tests.factories import add_artist, add_user
from tests.fakes import DEFAULT_TOKEN, FakeTelegram, User

T = TypeVar("T")
FAN = User(id=5001, first_name="Aziza", language_code="ru")
ADMIN_ID = 9001
PHOTO_KEY = "artists/sevara/portrait.jpg"


@dataclass
class World:
    settings: Settings
    telegram: FakeTelegram
    redis: Redis
    redis_url: str
    queue_names: dict[str, str]

    def run(self, action: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
        async def go() -> T:
            engine = create_engine(self.settings.database_url, pooled=False)
            try:
                return await action(create_session_factory(engine))
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def place_poster(self, key: str = "order-1", deadlines: Deadlines | None = None) -> int:
        order = PosterOrder(
            user_id=FAN.id, artist_slug="sevara", template="neon",
            lines=("Tugʻilgan kuning bilan!", "С днём рождения!"), language="ru",
            chat_id=FAN.id,
        )  # fmt: skip
        return self._place(generation.place_poster, order, key, deadlines)

    def place_greeting(self, key: str = "order-g", text: str = "Aziza, happy birthday!") -> int:
        order = GreetingOrder(
            user_id=FAN.id, artist_slug="sevara", text=text, language="ru", shape="square",
            chat_id=FAN.id,
        )  # fmt: skip
        return self._place(generation.place_greeting, order, key, None)

    def _place(self, place: Callable[..., Awaitable[generation.PlacedJob]], order: object,
               key: str, deadlines: Deadlines | None) -> int:  # fmt: skip
        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            queue = RQJobQueue(self.settings.redis_url or "")
            try:
                async with db() as session:
                    placed = await place(
                        session, queue, order, request_key=key, deadlines=deadlines
                    )
            finally:
                await queue.close()
            return placed.job_id

        return self.run(action)

    def drain(self, queue: str) -> None:
        """One burst of a worker in this process (with its scheduler, so due retries return)."""
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            SimpleWorker([queue], connection=self.redis).work(burst=True, with_scheduler=True)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    def job(self, job_id: int) -> jobs.JobView:
        async def action(db: async_sessionmaker[AsyncSession]) -> jobs.JobView:
            async with db() as session:
                return await jobs.get_job(session, job_id)

        return self.run(action)

    def balance(self) -> int:
        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            async with db() as session:
                return await ledger.balance_of(session, FAN.id)

        return self.run(action)


@pytest.fixture
def world(
    db: async_sessionmaker[AsyncSession], redis_url: str, settings: Settings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:  # fmt: skip
    token = uuid.uuid4().hex[:10]
    # Queue names carry a token so parallel runs on one Redis do not meet.
    names = {kind: f"{name}-{token}" for kind, name in generation.QUEUE_OF.items()}
    monkeypatch.setattr(generation, "QUEUE_OF", names)
    monkeypatch.setattr(generation, "RETRY_INTERVALS_S", (0,))
    # Job ids restart at 1 in every test (the tables are truncated), so RQ's records of
    # earlier tests' jobs, kept to refuse duplicates, must go.
    redis_url = redis_url.rsplit("/", 1)[0] + "/13"
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with FakeTelegram() as telegram:
        configured = settings.model_copy(
            update={
                "redis_url": redis_url,
                "telegram_api_url": telegram.url,
                "admin_ids": frozenset({ADMIN_ID}),
            }
        )
        context = worker_jobs.configure(configured)
        world = World(
            configured, telegram, redis, redis_url, {k.value: v for k, v in names.items()}
        )
        asyncio.run(context.storage.put(PHOTO_KEY, render_portrait("sevara").jpeg, "image/jpeg"))
        world.run(lambda sessions: _add_fan_and_artist(sessions))
        yield world
    redis.flushdb()
    redis.close()


async def _add_fan_and_artist(db: async_sessionmaker[AsyncSession]) -> None:
    await add_user(db, FAN.id, balance=20, language="ru")
    await add_artist(db, photo_key=PHOTO_KEY)


def test_poster_order_is_made_and_delivered_as_photo_and_document(world: World) -> None:
    job_id = world.place_poster()
    assert world.balance() == 18
    world.drain(world.queue_names["poster"])

    photo = world.telegram.wait_for_sync("sendPhoto", predicate=lambda c: not c.failed)
    document = world.telegram.wait_for_sync("sendDocument")
    assert photo.chat_id == FAN.id
    assert "Севара" in photo.params["caption"]
    buttons = [b["text"] for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    assert len(buttons) == 3
    full = document.files["document"].data
    assert full[:3] == b"\xff\xd8\xff"
    job = world.job(job_id)
    assert job.status is JobStatus.DELIVERED
    assert job.telegram_file_id
    assert world.balance() == 18  # charged once, not refunded


def test_greeting_is_delivered_as_streaming_mp4_with_thumbnail(world: World) -> None:
    job_id = world.place_greeting()
    world.drain(world.queue_names["greeting"])

    call = world.telegram.wait_for_sync("sendVideo", predicate=lambda c: not c.failed)
    assert call.params["supports_streaming"] is True
    assert (call.params["width"], call.params["height"]) == (720, 720)
    assert call.params["duration"] >= 1
    assert "thumbnail" in call.files
    video = call.files["video"].data
    with av.open(__import__("io").BytesIO(video)) as container:
        streams = {stream.type: stream for stream in container.streams}
        assert streams["video"].codec_context.name == "h264"
        assert streams["audio"].codec_context.name == "aac"
    assert world.job(job_id).status is JobStatus.DELIVERED
    edits = [c.params["text"] for c in world.telegram.calls_of("editMessageText")]
    sent = world.telegram.sent_texts(FAN.id)
    assert any("Записываем голос" in text for text in edits + sent)


def test_blocked_bot_keeps_the_result_as_undelivered_without_refund(world: World) -> None:
    world.telegram.block_chat(FAN.id)
    job_id = world.place_poster()
    world.drain(world.queue_names["poster"])
    job = world.job(job_id)
    assert job.status is JobStatus.UNDELIVERED
    assert job.result_key is not None
    assert world.balance() == 18


def test_429_and_5xx_on_delivery_are_retried(world: World) -> None:
    world.telegram.fail_next("sendPhoto", status=429, retry_after=1)
    world.telegram.fail_next("sendDocument", status=502, times=2)
    job_id = world.place_poster()
    world.drain(world.queue_names["poster"])
    assert world.job(job_id).status is JobStatus.DELIVERED
    assert len(world.telegram.calls_of("sendPhoto")) == 2
    assert len(world.telegram.calls_of("sendDocument")) == 3


def test_artist_suspended_after_queueing_is_refunded_and_told(world: World) -> None:
    job_id = world.place_poster()

    async def suspend(db: async_sessionmaker[AsyncSession]) -> None:
        async with db() as session:
            await session.execute(
                sa.update(Artist).values(verification_status=VerificationStatus.SUSPENDED)
            )
            await session.commit()

    world.run(suspend)
    world.drain(world.queue_names["poster"])
    job = world.job(job_id)
    assert (job.status, job.error_class) == (JobStatus.FAILED, ErrorClass.USER_INPUT)
    assert world.balance() == 20
    assert any("не принимает заказы" in text for text in world.telegram.sent_texts(FAN.id))


class _FailingPoster:
    name = "failing"
    templates = ("classic", "neon", "minimal")

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def render(self, request: object, progress: object) -> RenderedPoster:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize(
    ("error", "error_class", "message", "attempts"),
    [
        (UserInputError("bad_photo"), ErrorClass.USER_INPUT, "не подошло", 1),
        (CapacityError("CUDA out of memory"), ErrorClass.CAPACITY, "перегружены", 2),
        (RuntimeError("bug"), ErrorClass.INTERNAL, "что-то пошло не так", 1),
    ],
)
def test_engine_errors_refund_once_with_the_right_message(
    world: World, error: Exception, error_class: ErrorClass, message: str, attempts: int
) -> None:
    failing = _FailingPoster(error)
    worker_jobs.context().engines.__dict__["poster"] = failing
    job_id = world.place_poster()
    for _ in range(3):  # the first run, then the retry the scheduler brings back
        world.drain(world.queue_names["poster"])
    job = world.job(job_id)
    assert (job.status, job.error_class) == (JobStatus.FAILED, error_class)
    assert failing.calls == attempts
    assert world.balance() == 20

    async def refunds(db: async_sessionmaker[AsyncSession]) -> int:
        async with db() as session:
            from stario.models import CreditLedger

            return int(
                await session.scalar(
                    sa.select(sa.func.count()).where(
                        CreditLedger.idempotency_key == jobs.refund_key(job_id)
                    )
                )
                or 0
            )

    assert world.run(refunds) == 1
    assert any(message in text for text in world.telegram.sent_texts(FAN.id))
    admin_alerts = world.telegram.sent_texts(ADMIN_ID)
    assert bool(admin_alerts) is (error_class is ErrorClass.INTERNAL)


def test_a_job_runs_once_even_if_enqueued_twice(world: World) -> None:
    job_id = world.place_poster(key="same")
    again = world.place_poster(key="same")
    world.drain(world.queue_names["poster"])
    assert again == job_id
    assert len(world.telegram.calls_of("sendPhoto")) == 1
    assert world.balance() == 18
    assert world.run(_count_jobs) == 1


async def _count_jobs(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(GenerationJob)) or 0
        )


def _start_hanging_worker(world: World, tmp_path: Path) -> subprocess.Popen[bytes]:
    settings = world.settings
    env = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        "DATABASE_URL": settings.database_url,
        "STORAGE_URL": settings.storage_url,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "BOT_TOKEN": DEFAULT_TOKEN,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("slow_worker.py")),
         world.redis_url, world.queue_names["poster"]],
        env=env, cwd=tmp_path, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_until_running(world: World, job_id: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while world.job(job_id).status is not JobStatus.RUNNING:
        assert time.monotonic() < deadline, "the worker did not start the job"
        time.sleep(0.2)


@pytest.mark.parametrize("retries_left", [True, False])
def test_worker_killed_mid_job_is_retried_or_refunded_never_lost_or_charged_twice(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, retries_left: bool
) -> None:
    if not retries_left:
        monkeypatch.setattr(generation, "RETRY_INTERVALS_S", ())
    job_id = world.place_poster()
    worker = _start_hanging_worker(world, tmp_path)
    try:
        _wait_until_running(world, job_id)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, mid-job
        worker.wait(10)
    assert world.job(job_id).status is JobStatus.RUNNING

    # Later, a live worker's maintenance finds the job abandoned (its time has run out).
    queue = world.queue_names["poster"]
    StartedJobRegistry(queue, connection=world.redis).cleanup(timestamp=time.time() + 10_000)
    world.drain(queue)

    job = world.job(job_id)
    if retries_left:
        assert job.status is JobStatus.DELIVERED
        assert world.balance() == 18
    else:
        assert (job.status, job.error_class) == (JobStatus.FAILED, ErrorClass.CAPACITY)
        assert world.balance() == 20
        assert any("перегружены" in text for text in world.telegram.sent_texts(FAN.id))


def test_a_late_result_is_refunded_and_delivered_as_a_gift(world: World) -> None:
    job_id = world.place_poster(deadlines=Deadlines(poster=timedelta(seconds=-1)))
    assert world.balance() == 18
    world.drain(world.queue_names["poster"])
    photo = world.telegram.wait_for_sync("sendPhoto", predicate=lambda c: not c.failed)
    assert "подарок" in photo.params["caption"]
    job = world.job(job_id)
    assert job.status is JobStatus.DELIVERED
    assert job.is_gift
    assert world.balance() == 20
