"""The credit ledger on real PostgreSQL: exactly-once postings under concurrency."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import (
    IdempotencyConflictError,
    InsufficientBalanceError,
    InvalidAmountError,
    NotFoundError,
    StarioError,
)
from stario.core.services import ledger
from stario.models import CreditLedger, PostingKind, User

Sessions = async_sessionmaker[AsyncSession]


async def make_user(db: Sessions, user_id: int, balance: int = 0) -> None:
    async with db() as session:
        session.add(User(id=user_id, first_name=f"u{user_id}"))
        await session.flush()
        if balance:
            await ledger.credit(session, user_id, balance, f"seed:{user_id}")
        await session.commit()


async def in_tx(
    db: Sessions, action: Callable[[AsyncSession], Awaitable[ledger.Posting]]
) -> ledger.Posting:
    async with db() as session:
        posting = await action(session)
        await session.commit()
        return posting


async def balance_and_sum(db: Sessions, user_id: int) -> tuple[int, int]:
    async with db() as session:
        balance = await ledger.balance_of(session, user_id)
        total = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(CreditLedger.amount), 0)).where(
                CreditLedger.user_id == user_id
            )
        )
    return balance, int(total or 0)


async def test_credit_then_debit_moves_the_balance_and_records_postings(db: Sessions) -> None:
    await make_user(db, 1)
    credit = await in_tx(db, lambda s: ledger.credit(s, 1, 7, "pay:test:1", "bought"))
    debit = await in_tx(db, lambda s: ledger.debit(s, 1, 3, "job:1:charge"))
    assert (credit.kind, credit.amount, credit.balance_after) == (PostingKind.CREDIT, 7, 7)
    assert (debit.kind, debit.amount, debit.balance_after) == (PostingKind.DEBIT, -3, 4)
    assert await balance_and_sum(db, 1) == (4, 4)


async def test_repeating_a_key_returns_the_first_posting_and_changes_nothing(db: Sessions) -> None:
    await make_user(db, 1)
    first = await in_tx(db, lambda s: ledger.credit(s, 1, 5, "pay:payme:abc"))
    again = await in_tx(db, lambda s: ledger.credit(s, 1, 5, "pay:payme:abc"))
    assert again == first
    assert await balance_and_sum(db, 1) == (5, 5)


@pytest.mark.parametrize(
    "repeat",
    [
        lambda s: ledger.credit(s, 1, 6, "pay:x:1"),  # other amount
        lambda s: ledger.debit(s, 1, 5, "pay:x:1"),  # other kind
        lambda s: ledger.credit(s, 2, 5, "pay:x:1"),  # other user
    ],
)
async def test_repeating_a_key_with_a_different_posting_is_an_error(
    db: Sessions, repeat: Callable[[AsyncSession], Awaitable[ledger.Posting]]
) -> None:
    await make_user(db, 1, balance=10)
    await make_user(db, 2)
    await in_tx(db, lambda s: ledger.credit(s, 1, 5, "pay:x:1"))
    with pytest.raises(IdempotencyConflictError):
        await in_tx(db, repeat)
    assert await balance_and_sum(db, 1) == (15, 15)
    assert await balance_and_sum(db, 2) == (0, 0)


async def test_insufficient_balance_raises_and_changes_nothing(db: Sessions) -> None:
    await make_user(db, 1, balance=2)
    with pytest.raises(InsufficientBalanceError) as raised:
        await in_tx(db, lambda s: ledger.debit(s, 1, 3, "job:9:charge"))
    assert (raised.value.balance, raised.value.needed) == (2, 3)
    assert await balance_and_sum(db, 1) == (2, 2)
    async with db() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(CreditLedger)) == 1


@pytest.mark.parametrize("amount", [0, -1, -100, 1.5, "3", None, True, 10**9])
async def test_amounts_that_are_not_positive_integers_are_refused(
    db: Sessions, amount: object
) -> None:
    await make_user(db, 1, balance=5)
    bad: Any = amount
    with pytest.raises(InvalidAmountError):
        await in_tx(db, lambda s: ledger.credit(s, 1, bad, "bad:1"))
    with pytest.raises(InvalidAmountError):
        await in_tx(db, lambda s: ledger.debit(s, 1, bad, "bad:2"))
    assert await balance_and_sum(db, 1) == (5, 5)


@pytest.mark.parametrize("key", ["", "   ", "k" * 129])
async def test_malformed_keys_are_refused(db: Sessions, key: str) -> None:
    await make_user(db, 1)
    with pytest.raises(StarioError):
        await in_tx(db, lambda s: ledger.credit(s, 1, 1, key))


async def test_posting_for_an_unknown_user_is_not_found(db: Sessions) -> None:
    with pytest.raises(NotFoundError):
        await in_tx(db, lambda s: ledger.credit(s, 404, 1, "pay:x:404"))


async def test_reverse_undoes_a_debit_exactly_once(db: Sessions) -> None:
    await make_user(db, 1, balance=5)
    await in_tx(db, lambda s: ledger.debit(s, 1, 5, "job:1:charge"))
    refund = await in_tx(db, lambda s: ledger.reverse(s, "job:1:charge", "job:1:refund"))
    same = await in_tx(db, lambda s: ledger.reverse(s, "job:1:charge", "job:1:refund"))
    other_key = await in_tx(db, lambda s: ledger.reverse(s, "job:1:charge", "admin:refund:1"))
    assert refund == same == other_key
    assert (refund.kind, refund.amount, refund.balance_after) == (PostingKind.REVERSAL, 5, 5)
    assert await balance_and_sum(db, 1) == (5, 5)


async def test_reversing_spent_credits_is_refused_without_a_negative_balance(
    db: Sessions,
) -> None:
    await make_user(db, 1)
    await in_tx(db, lambda s: ledger.credit(s, 1, 5, "pay:stars:c1"))
    await in_tx(db, lambda s: ledger.debit(s, 1, 4, "job:1:charge"))
    with pytest.raises(InsufficientBalanceError):
        await in_tx(db, lambda s: ledger.reverse(s, "pay:stars:c1", "refund:stars:c1"))
    assert await balance_and_sum(db, 1) == (1, 1)


async def test_reverse_of_an_unknown_posting_is_not_found(db: Sessions) -> None:
    await make_user(db, 1)
    with pytest.raises(NotFoundError):
        await in_tx(db, lambda s: ledger.reverse(s, "nope", "refund:nope"))


async def test_database_refuses_a_negative_balance_even_bypassing_the_service(
    db: Sessions,
) -> None:
    await make_user(db, 1)
    async with db() as session:
        with pytest.raises(sa.exc.IntegrityError):
            await session.execute(sa.update(User).where(User.id == 1).values(balance=-1))


async def test_50_concurrent_debits_against_10_credits_exactly_10_succeed(db: Sessions) -> None:
    await make_user(db, 1, balance=10)

    async def one(index: int) -> bool:
        try:
            await in_tx(db, lambda s: ledger.debit(s, 1, 1, f"job:{index}:charge"))
        except InsufficientBalanceError:
            return False
        return True

    results = await asyncio.gather(*(one(index) for index in range(50)))
    assert sum(results) == 10
    assert await balance_and_sum(db, 1) == (0, 0)


async def test_20_concurrent_credits_with_one_key_make_one_posting(db: Sessions) -> None:
    await make_user(db, 1)
    postings = await asyncio.gather(
        *(in_tx(db, lambda s: ledger.credit(s, 1, 3, "pay:click:777")) for _ in range(20))
    )
    assert len({posting.id for posting in postings}) == 1
    assert await balance_and_sum(db, 1) == (3, 3)


async def test_random_mix_of_1000_concurrent_postings_keeps_balance_equal_to_ledger(
    db: Sessions,
) -> None:
    rng = random.Random(20261122)
    users = list(range(1, 21))
    for user_id in users:
        await make_user(db, user_id, balance=5)
    semaphore = asyncio.Semaphore(16)

    async def one(index: int) -> None:
        user_id = rng.choice(users)
        amount = rng.randint(1, 4)
        # Some keys repeat on purpose, so duplicates race too.
        key = f"mix:{rng.randint(0, 700)}"
        operation = rng.choice(["credit", "debit", "debit", "reverse"])
        async with semaphore:
            try:
                if operation == "credit":
                    await in_tx(db, lambda s: ledger.credit(s, user_id, amount, key))
                elif operation == "debit":
                    await in_tx(db, lambda s: ledger.debit(s, user_id, amount, key))
                else:
                    await in_tx(db, lambda s: ledger.reverse(s, key, f"rev:{index}"))
            except StarioError:
                pass  # refused postings (conflicts, short balance) must change nothing

    await asyncio.gather(*(one(index) for index in range(1000)))
    for user_id in users:
        balance, total = await balance_and_sum(db, user_id)
        assert balance == total
        assert balance >= 0
    async with db() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(CreditLedger))
    assert count is not None
    assert count > 200
