"""The periodic safety net: late jobs refunded and told once, lost jobs ended once."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.bot.maintenance import STUCK_AFTER, sweep_once
from stario.core.adapters.storage_local import LocalStorage
from stario.core.i18n import Translator
from stario.core.services import generation, jobs, ledger, quiz
from stario.core.services.generation import Deadlines, GreetingOrder
from stario.models import (
    CreditPackage,
    ErrorClass,
    GenerationJob,
    JobStatus,
    Order,
    OrderStatus,
    PaymentProvider,
    utcnow,
)
from tests.factories import add_artist, add_user
from tests.fakes import FakeTelegram
from tests.integration.test_generation import RecordingQueue

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def place(db: Sessions, key: str, deadline: timedelta) -> int:
    async with db() as session:
        placed = await generation.place_greeting(
            session,
            RecordingQueue(),
            GreetingOrder(user_id=1, artist_slug="sevara", text="Salom!", chat_id=1),
            request_key=key,
            deadlines=Deadlines(greeting=deadline),
        )
    return placed.job_id


async def test_late_jobs_are_refunded_and_told_once(db: Sessions, telegram: FakeTelegram) -> None:
    await add_user(db, 1, balance=10, language="uz")
    await add_artist(db)
    late = await place(db, "late", timedelta(seconds=-5))
    on_time = await place(db, "on-time", timedelta(minutes=10))
    bot = telegram.make_bot()
    try:
        assert await sweep_once(db, bot, Translator()) == 1
        assert await sweep_once(db, bot, Translator()) == 0
    finally:
        await bot.session.close()
    texts = telegram.sent_texts(1)
    assert len(texts) == 1
    assert f"№{late} buyurtma" in texts[0]
    async with db() as session:
        assert await ledger.balance_of(session, 1) == 5  # the late job's 5 came back
        assert (await jobs.get_job(session, late)).is_gift
        assert not (await jobs.get_job(session, on_time)).is_gift


async def test_jobs_running_too_long_lost_their_worker_and_are_ended_once(
    db: Sessions, telegram: FakeTelegram
) -> None:
    await add_user(db, 1, balance=10, language="ru")
    await add_artist(db)
    job_id = await place(db, "stuck", timedelta(hours=1))
    async with db() as session:
        await jobs.start(session, job_id)
        await session.execute(
            sa.update(GenerationJob).values(started_at=utcnow() - STUCK_AFTER - timedelta(1))
        )
        await session.commit()
    bot = telegram.make_bot()
    try:
        assert await sweep_once(db, bot, Translator()) == 1
        assert await sweep_once(db, bot, Translator()) == 0
    finally:
        await bot.session.close()
    async with db() as session:
        job = await jobs.get_job(session, job_id)
        assert (job.status, job.error_class) == (JobStatus.FAILED, ErrorClass.CAPACITY)
        assert await ledger.balance_of(session, 1) == 10
    assert len(telegram.sent_texts(1)) == 1


async def test_pending_orders_past_their_window_expire(db: Sessions) -> None:
    await add_user(db, 1)
    async with db() as session:
        package = CreditPackage(code="start", credits=5, price_uzs=15_000, price_stars=50)
        session.add(package)
        await session.flush()
        for minutes in (-1, 30):
            session.add(
                Order(
                    user_id=1, package_id=package.id, provider=PaymentProvider.PAYME, credits=5,
                    amount_tiyin=1_500_000, amount_stars=50,
                    expires_at=utcnow() + timedelta(minutes=minutes),
                )
            )  # fmt: skip
        await session.commit()
    assert await sweep_once(db, None, Translator()) == 1
    async with db() as session:
        statuses = list(await session.scalars(sa.select(Order.status).order_by(Order.id)))
    assert statuses == [OrderStatus.EXPIRED, OrderStatus.PENDING]


async def test_selfies_no_job_will_read_are_deleted(db: Sessions, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "http://files.test", b"secret")
    await storage.put("selfies/orphan", b"face")
    await storage.put("selfies/waiting", b"face")
    old = time.time() - quiz.SELFIE_MAX_AGE.total_seconds() - 1
    os.utime(tmp_path / "selfies" / "orphan", (old, old))

    assert await sweep_once(db, None, Translator(), storage) == 1

    assert not await storage.exists("selfies/orphan")
    assert await storage.exists("selfies/waiting")
