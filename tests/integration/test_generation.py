"""Placing orders on real PostgreSQL: validation before any charge, one charge per order,
and refunds exactly once whatever ends the job."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import (
    ArtistUnavailableError,
    InsufficientBalanceError,
    ModerationRefusedError,
    QueueUnavailableError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.ports.queue import EnqueuedJob, JobOptions
from stario.core.services import generation, jobs, ledger
from stario.core.services.generation import Deadlines, GreetingOrder, PosterOrder
from stario.models import (
    CreditLedger,
    ErrorClass,
    GenerationJob,
    JobKind,
    JobStatus,
    VerificationStatus,
)
from tests.factories import add_artist, add_user

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class RecordingQueue:
    """A JobQueue that records what was enqueued (the RQ adapter has its own tests)."""

    enqueued: list[tuple[str, Sequence[object], JobOptions]] = field(default_factory=list)
    broken: bool = False

    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob:
        if self.broken:
            raise ConnectionError("redis down")
        self.enqueued.append((func_path, args, options))
        return EnqueuedJob(options.job_id, options.queue, len(self.enqueued))

    async def position(self, queue: str, job_id: str) -> int | None:
        ids = [options.job_id for _, _, options in self.enqueued]
        return ids.index(job_id) + 1 if job_id in ids else None

    async def depth(self, queue: str) -> int:
        return len(self.enqueued)

    async def close(self) -> None:
        return None


def greeting(
    user_id: int = 1, text: str = "Happy birthday, dear Aziza!", **kw: object
) -> GreetingOrder:
    return GreetingOrder(user_id=user_id, artist_slug="sevara", text=text, chat_id=user_id, **kw)  # type: ignore[arg-type]


async def place(
    db: Sessions, queue: RecordingQueue, order: GreetingOrder, key: str = "k1"
) -> generation.PlacedJob:
    async with db() as session:
        return await generation.place_greeting(session, queue, order, request_key=key)


async def balance(db: Sessions, user_id: int = 1) -> int:
    async with db() as session:
        return await ledger.balance_of(session, user_id)


async def count(db: Sessions, model: type[object]) -> int:
    async with db() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def test_greeting_order_charges_once_and_queues_by_dotted_path(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db)
    queue = RecordingQueue()
    placed = await place(db, queue, greeting(recipient="Aziza", shape="square"))

    assert (placed.cost, placed.balance_after, placed.position) == (5, 7, 1)
    assert placed.status is JobStatus.QUEUED
    assert placed.eta_s > 0
    func_path, args, options = queue.enqueued[0]
    assert func_path == "stario.workers.jobs.run_greeting"
    assert args == [placed.job_id]
    assert (options.queue, options.job_id) == ("video", f"stario-job-{placed.job_id}")
    assert options.on_failure == "stario.workers.jobs.on_final_failure"
    assert options.retry_intervals_s
    async with db() as session:
        job = await jobs.get_job(session, placed.job_id)
    assert job.params["photo_key"] == "artists/sevara/portrait.jpg"
    assert job.params["shape"] == "square"
    assert job.delivery_deadline_at is not None


async def test_repeated_confirm_returns_the_same_job_and_charges_once(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db)
    queue = RecordingQueue()
    first = await place(db, queue, greeting(), key="draft:1:42")
    again = await place(db, queue, greeting(), key="draft:1:42")
    assert again.job_id == first.job_id
    assert again.is_repeat
    assert await balance(db) == 7
    assert len(queue.enqueued) == 1


async def test_two_concurrent_confirms_of_one_draft_charge_once(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db)
    queue = RecordingQueue()
    results = await asyncio.gather(
        *(place(db, queue, greeting(), key="draft:1:7") for _ in range(5))
    )
    assert len({result.job_id for result in results}) == 1
    assert await balance(db) == 7
    assert await count(db, GenerationJob) == 1
    assert len(queue.enqueued) == 1


async def test_insufficient_balance_creates_nothing(db: Sessions) -> None:
    await add_user(db, 1, balance=4)
    await add_artist(db)
    queue = RecordingQueue()
    with pytest.raises(InsufficientBalanceError):
        await place(db, queue, greeting())
    assert await count(db, GenerationJob) == 0
    assert await balance(db) == 4
    assert queue.enqueued == []


@pytest.mark.parametrize(
    "artist",
    [
        {"status": VerificationStatus.PENDING},
        {"status": VerificationStatus.SUSPENDED},
        {"active": False},
        {"consent_scope": ["poster"]},
        {"consent_days": -1},
        {"products_allowed": ["poster"]},
    ],
)
async def test_unavailable_artists_cannot_be_ordered(
    db: Sessions, artist: dict[str, object]
) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db, **artist)  # type: ignore[arg-type]
    with pytest.raises(ArtistUnavailableError):
        await place(db, RecordingQueue(), greeting())
    assert await balance(db) == 12


async def test_unknown_artist_is_unavailable(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    with pytest.raises(ArtistUnavailableError):
        await place(db, RecordingQueue(), greeting())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Visit https://spam.example now", "moderation-link"),
        ("Call me +998 90 123 45 67", "moderation-phone"),
        ("Follow @someone today", "moderation-mention"),
        ("You are a bitch", "moderation-profanity"),
        ("Ты сука", "moderation-profanity"),
        ("Let us talk about casino tonight", "moderation-blocked-word"),
        ("word " * 80, "moderation-too-long"),
        ("   ", "moderation-empty"),
    ],
)
async def test_moderation_refuses_before_any_charge(db: Sessions, text: str, reason: str) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db, blocked_words=["casino"], max_seconds=20)
    with pytest.raises(ModerationRefusedError) as refused:
        await place(db, RecordingQueue(), greeting(text=text))
    assert reason in refused.value.reasons
    assert await balance(db) == 12


async def test_banned_fan_cannot_order(db: Sessions) -> None:
    await add_user(db, 1, balance=12, banned=True)
    await add_artist(db)
    with pytest.raises(UserBannedError):
        await place(db, RecordingQueue(), greeting())


async def test_queue_down_refunds_at_once(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db)
    with pytest.raises(QueueUnavailableError):
        await place(db, RecordingQueue(broken=True), greeting())
    assert await balance(db) == 12
    async with db() as session:
        job = await session.scalar(sa.select(GenerationJob))
    assert job is not None
    assert (job.status, job.error_class) == (JobStatus.FAILED, ErrorClass.INTERNAL)


async def test_poster_order_validates_template_and_lines(db: Sessions) -> None:
    await add_user(db, 1, balance=12)
    await add_artist(db)
    queue = RecordingQueue()
    async with db() as session:
        placed = await generation.place_poster(
            session,
            queue,
            PosterOrder(1, "sevara", "neon", ("Tabriklayman!", "Aziza uchun")),
            request_key="p1",
        )
        assert (placed.kind, placed.cost, placed.queue) == (JobKind.POSTER, 2, "poster")
        for bad in (
            PosterOrder(1, "sevara", "gothic", ("x",)),
            PosterOrder(1, "sevara", "neon", ()),
        ):
            with pytest.raises(ValidationFailed):
                await generation.place_poster(session, queue, bad, request_key="p2")
    assert await balance(db) == 10


async def test_failing_a_job_refunds_exactly_once_even_when_raced(db: Sessions) -> None:
    await add_user(db, 1, balance=5)
    await add_artist(db)
    placed = await place(db, RecordingQueue(), greeting())
    assert await balance(db) == 0

    async def fail_once() -> jobs.Ending:
        async with db() as session:
            return await jobs.fail(session, placed.job_id, ErrorClass.CAPACITY, "boom")

    endings = await asyncio.gather(*(fail_once() for _ in range(8)))
    assert sum(ending.refunded for ending in endings) == 1
    assert await balance(db) == 5
    async with db() as session:
        refunds = await session.scalar(
            sa.select(sa.func.count()).where(CreditLedger.idempotency_key.like("job:%:refund"))
        )
    assert refunds == 1


async def test_late_job_is_refunded_once_then_delivered_as_a_gift(db: Sessions) -> None:
    await add_user(db, 1, balance=5)
    await add_artist(db)
    async with db() as session:
        placed = await generation.place_greeting(
            session,
            RecordingQueue(),
            greeting(),
            request_key="late",
            deadlines=Deadlines(greeting=timedelta(seconds=-1)),
        )
    async with db() as session:
        late = await jobs.refund_overdue(session)
    async with db() as session:
        assert await jobs.refund_overdue(session) == []
    assert [ending.job.id for ending in late] == [placed.job_id]
    assert late[0].job.is_gift
    assert await balance(db) == 5
    async with db() as session:
        ending = await jobs.fail(session, placed.job_id, ErrorClass.INTERNAL, "later failure")
    assert not ending.refunded
    assert await balance(db) == 5


async def test_cancel_before_start_refunds_but_not_after_start(db: Sessions) -> None:
    await add_user(db, 1, balance=10)
    await add_artist(db)
    queue = RecordingQueue()
    first = await place(db, queue, greeting(), key="a")
    second = await place(db, queue, greeting(), key="b")
    async with db() as session:
        await jobs.start(session, second.job_id)
        cancelled = await jobs.cancel(session, first.job_id, actor_id=1)
        refused = await jobs.cancel(session, second.job_id, actor_id=1)
    assert cancelled.refunded
    assert cancelled.job.status is JobStatus.CANCELLED
    assert not refused.changed
    assert await balance(db) == 5
