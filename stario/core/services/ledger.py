"""The credit ledger (DESIGN §5): every balance change is one posting with a unique key.

Rules:
- A posting's key is its identity. Repeating a key returns the first posting and changes
  nothing; repeating it with another user, kind or amount is an IdempotencyConflictError.
- The cached `users.balance` changes in the same transaction as the posting, under a row lock
  on the user, so concurrent postings for one user serialise and the balance never goes below 0.
- An original posting is reversed at most once, whatever key the reversal comes with.

These functions flush but do not commit: the use case that calls them commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from stario.core.errors import (
    IdempotencyConflictError,
    InsufficientBalanceError,
    InvalidAmountError,
    NotFoundError,
    ValidationFailed,
)
from stario.models import CreditLedger, PostingKind, User, utcnow
from stario.models.db import dialect_insert

MAX_KEY_LENGTH = 128
MAX_AMOUNT = 10_000_000


@dataclass(frozen=True, slots=True)
class Posting:
    id: int
    user_id: int
    kind: PostingKind
    amount: int  # signed: positive adds credits, negative takes them
    balance_after: int
    idempotency_key: str
    reason: str
    reverses_id: int | None
    created_at: datetime


async def credit(
    session: AsyncSession, user_id: int, amount: int, key: str, reason: str = ""
) -> Posting:
    """Add `amount` credits to the user's balance."""
    return await _post(session, user_id, PostingKind.CREDIT, _positive(amount), key, reason)


async def debit(
    session: AsyncSession, user_id: int, amount: int, key: str, reason: str = ""
) -> Posting:
    """Take `amount` credits; InsufficientBalanceError (and no change) if the balance is short."""
    return await _post(session, user_id, PostingKind.DEBIT, -_positive(amount), key, reason)


async def reverse(session: AsyncSession, original_key: str, key: str, reason: str = "") -> Posting:
    """Undo the posting recorded under `original_key`, exactly once.

    Reversing a credit takes the credits back and is refused with InsufficientBalanceError
    when they were already spent (the balance never goes negative).
    """
    original = await _find_by_key(session, _checked_key(original_key))
    if original is None:
        raise NotFoundError(f"no posting with key {original_key!r}")
    if original.kind is PostingKind.REVERSAL:
        raise ValidationFailed("a reversal cannot itself be reversed")
    existing = await _find_reversal_of(session, original.id)
    if existing is not None:
        return existing
    return await _post(
        session,
        original.user_id,
        PostingKind.REVERSAL,
        -original.amount,
        key,
        reason,
        reverses_id=original.id,
    )


async def balance_of(session: AsyncSession, user_id: int) -> int:
    balance = await session.scalar(sa.select(User.balance).where(User.id == user_id))
    if balance is None:
        raise NotFoundError(f"user {user_id} not found")
    return balance


async def recent_postings(session: AsyncSession, user_id: int, limit: int = 10) -> list[Posting]:
    rows = await session.scalars(
        sa.select(CreditLedger)
        .where(CreditLedger.user_id == user_id)
        .order_by(CreditLedger.id.desc())
        .limit(limit)
    )
    return [_to_posting(row) for row in rows]


async def _post(
    session: AsyncSession,
    user_id: int,
    kind: PostingKind,
    amount: int,
    key: str,
    reason: str,
    *,
    reverses_id: int | None = None,
) -> Posting:
    key = _checked_key(key)
    # Lock the user row first: postings for one user (and so every repeat of one key) serialise
    # here, and the key lookup below sees whatever a concurrent twin has committed.
    balance = await session.scalar(
        sa.select(User.balance).where(User.id == user_id).with_for_update()
    )
    if balance is None:
        raise NotFoundError(f"user {user_id} not found")

    existing = await _find_by_key(session, key)
    if existing is not None:
        if (existing.user_id, existing.kind, existing.amount) != (user_id, kind, amount):
            raise IdempotencyConflictError(
                f"key {key!r} was used for {existing.kind} {existing.amount} "
                f"to user {existing.user_id}"
            )
        return existing

    new_balance = balance + amount
    if new_balance < 0:
        raise InsufficientBalanceError(user_id, balance, -amount)

    # ON CONFLICT: a twin key for another user may have landed since the lookup above.
    row = (
        await session.execute(
            dialect_insert(session, CreditLedger)
            .values(
                user_id=user_id,
                kind=kind,
                amount=amount,
                balance_after=new_balance,
                idempotency_key=key,
                reason=reason[:256],
                reverses_id=reverses_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(CreditLedger.id, CreditLedger.created_at)
        )
    ).one_or_none()
    if row is None:
        raise IdempotencyConflictError(f"key {key!r} or its reversal target is already used")
    await session.execute(
        sa.update(User)
        .where(User.id == user_id)
        .values(balance=new_balance)
        .execution_options(synchronize_session=False)
    )
    await _refresh_cached_user(session, user_id, new_balance)
    return Posting(
        id=row.id,
        user_id=user_id,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        idempotency_key=key,
        reason=reason[:256],
        reverses_id=reverses_id,
        created_at=row.created_at,
    )


async def _refresh_cached_user(session: AsyncSession, user_id: int, balance: int) -> None:
    """Keep a User already loaded in this session in step with the row we just updated."""
    cached = session.identity_map.get(session.identity_key(User, user_id))
    if isinstance(cached, User):
        set_committed_value(cached, "balance", balance)


async def _find_by_key(session: AsyncSession, key: str) -> Posting | None:
    row = await session.scalar(sa.select(CreditLedger).where(CreditLedger.idempotency_key == key))
    return None if row is None else _to_posting(row)


async def _find_reversal_of(session: AsyncSession, original_id: int) -> Posting | None:
    row = await session.scalar(
        sa.select(CreditLedger).where(CreditLedger.reverses_id == original_id)
    )
    return None if row is None else _to_posting(row)


def _to_posting(row: CreditLedger) -> Posting:
    return Posting(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        amount=row.amount,
        balance_after=row.balance_after,
        idempotency_key=row.idempotency_key,
        reason=row.reason,
        reverses_id=row.reverses_id,
        created_at=row.created_at,
    )


def _positive(amount: object) -> int:
    # bool is an int subclass; True is not "1 credit".
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmountError(f"amount must be an integer, got {type(amount).__name__}")
    if amount <= 0:
        raise InvalidAmountError(f"amount must be positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise InvalidAmountError(f"amount {amount} exceeds the limit of {MAX_AMOUNT}")
    return amount


def _checked_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"idempotency key must be 1..{MAX_KEY_LENGTH} characters")
    return key
