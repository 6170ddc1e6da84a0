"""Ledger throughput and latency on PostgreSQL (issue: foundation, figures).

32 concurrent clients post to 1,000 users, half credits and half debits, each posting in its own
transaction (as the bot and the payment webhooks do). Prints postings/s, median and p95 latency,
then checks that every user's balance equals the sum of their ledger.

    python scripts/bench_ledger.py [--postings 20000] [--clients 32] [--users 1000]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/stario_bench]

The database named in the URL is created if missing, and emptied and migrated on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stario.core.services import ledger
from stario.models import CreditLedger, User
from stario.models.db import create_engine, create_session_factory
from stario.models.migrate import upgrade_to_head
from tests.conftest import ensure_database, reset_schema

STARTING_BALANCE = 1_000


async def prepare(url: str, users: int) -> None:
    await ensure_database(url)
    engine = create_engine(url, pool_size=2)
    await reset_schema(engine)
    await engine.dispose()
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(User),
            [
                {"id": user_id, "first_name": f"bench{user_id}", "balance": STARTING_BALANCE}
                for user_id in range(1, users + 1)
            ],
        )
        await connection.execute(
            sa.insert(CreditLedger),
            [
                {
                    "user_id": user_id,
                    "kind": "credit",
                    "amount": STARTING_BALANCE,
                    "balance_after": STARTING_BALANCE,
                    "idempotency_key": f"bench:seed:{user_id}",
                    "reason": "bench seed",
                }
                for user_id in range(1, users + 1)
            ],
        )
    await engine.dispose()


async def run(url: str, postings: int, clients: int, users: int) -> list[float]:
    engine = create_engine(url, pool_size=clients)
    sessions = create_session_factory(engine)
    rng = random.Random(7)
    plan = [
        (rng.randint(1, users), rng.randint(1, 3), index % 2 == 0) for index in range(postings)
    ]
    latencies: list[float] = []
    next_index = 0

    async def client() -> None:
        nonlocal next_index
        while next_index < len(plan):
            index = next_index
            next_index += 1
            user_id, amount, is_credit = plan[index]
            post = ledger.credit if is_credit else ledger.debit
            started = time.perf_counter()
            async with sessions() as session:
                await post(session, user_id, amount, f"bench:{index}")
                await session.commit()
            latencies.append(time.perf_counter() - started)

    # Warm the pool so connection set-up is not measured as posting latency.
    await asyncio.gather(*(_ping(sessions) for _ in range(clients)))
    await asyncio.gather(*(client() for _ in range(clients)))
    await engine.dispose()
    return latencies


async def _ping(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await session.execute(sa.text("SELECT 1"))


async def check(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:
        mismatched = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM users u LEFT JOIN ("
                " SELECT user_id, sum(amount) AS total FROM credit_ledger GROUP BY user_id"
                ") l ON l.user_id = u.id WHERE u.balance <> coalesce(l.total, 0)"
            )
        )
    await engine.dispose()
    return int(mismatched or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/stario_bench"
    )
    args = parser.parse_args()

    asyncio.run(prepare(args.database_url, args.users))
    started = time.perf_counter()
    latencies = asyncio.run(run(args.database_url, args.postings, args.clients, args.users))
    elapsed = time.perf_counter() - started
    mismatched = asyncio.run(check(args.database_url))

    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"postings: {len(latencies)} by {args.clients} clients over {args.users} users")
    print(f"throughput: {len(latencies) / elapsed:,.0f} postings/s")
    print(f"latency median: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"latency p95: {p95 * 1000:.1f} ms")
    print(f"balance equals ledger sum: {'yes' if mismatched == 0 else f'NO ({mismatched} users)'}")
    return 0 if mismatched == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
