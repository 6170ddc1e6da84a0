"""The embedded `stario dev` backend: the same services on a migrated SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import IdempotencyConflictError, InsufficientBalanceError
from stario.core.services import ledger, users
from stario.models.db import create_engine, create_session_factory
from stario.models.migrate import upgrade_to_head


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_signup_and_ledger_rules_hold_on_sqlite(
    sqlite_db: async_sessionmaker[AsyncSession],
) -> None:
    async with sqlite_db() as session:
        signup = await users.register(session, users.TelegramProfile(id=7, first_name="A"))
    assert signup.user.balance == 2
    async with sqlite_db() as session:
        await ledger.debit(session, 7, 2, "job:1:charge")
        again = await ledger.debit(session, 7, 2, "job:1:charge")
        await session.commit()
    assert again.balance_after == 0
    async with sqlite_db() as session:
        with pytest.raises(InsufficientBalanceError):
            await ledger.debit(session, 7, 1, "job:2:charge")
        with pytest.raises(IdempotencyConflictError):
            await ledger.debit(session, 7, 1, "job:1:charge")
        refund = await ledger.reverse(session, "job:1:charge", "job:1:refund")
        await session.commit()
    assert refund.balance_after == 2
    async with sqlite_db() as session:
        assert await ledger.balance_of(session, 7) == 2
        assert [p.idempotency_key for p in await ledger.recent_postings(session, 7)] == [
            "job:1:refund",
            "job:1:charge",
            "signup:7",
        ]


async def test_an_order_runs_end_to_end_on_the_embedded_defaults(
    sqlite_db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """`stario dev`: SQLite, the in-process queue, local files; no bot token, so the finished
    poster is kept as undelivered (it stays in the fan's history)."""
    from stario.core.adapters.queue_inprocess import InProcessJobQueue
    from stario.core.demo_portraits import render_portrait
    from stario.core.services import generation, jobs
    from stario.core.settings import Settings
    from stario.models import JobStatus
    from stario.workers import jobs as worker_jobs
    from tests.factories import add_artist

    engine_url = str(sqlite_db.kw["bind"].url)
    settings = Settings(
        _env_file=None, database_url=engine_url, storage_url=f"file://{tmp_path / 'data'}"
    )
    context = worker_jobs.configure(settings)
    await context.storage.put("artists/sevara/portrait.jpg", render_portrait("sevara").jpeg)
    async with sqlite_db() as session:
        await users.register(session, users.TelegramProfile(id=7, first_name="A"), free_credits=5)
    await add_artist(sqlite_db, photo_key="artists/sevara/portrait.jpg", price_poster=2)

    queue = InProcessJobQueue()
    try:
        async with sqlite_db() as session:
            placed = await generation.place_poster(
                session,
                queue,
                generation.PosterOrder(7, "sevara", "classic", ("Salom!",)),
                request_key="dev-1",
            )
        for _ in range(200):
            async with sqlite_db() as session:
                job = await jobs.get_job(session, placed.job_id)
            if job.status is not JobStatus.QUEUED and job.status is not JobStatus.RUNNING:
                break
            await asyncio.sleep(0.05)
    finally:
        await queue.close()
    assert job.status is JobStatus.UNDELIVERED
    assert job.result_key is not None
    assert await context.storage.exists(job.result_key)
    async with sqlite_db() as session:
        assert await ledger.balance_of(session, 7) == 3
