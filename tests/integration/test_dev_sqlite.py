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
