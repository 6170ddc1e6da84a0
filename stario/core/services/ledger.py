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
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
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
    rows = await session.execute(
        sa.select(*_POSTING_COLUMNS)
        .where(_LEDGER.c.user_id == user_id)
        .order_by(_LEDGER.c.id.desc())
        .limit(limit)
    )
    return [_posting_from_row(row) for row in rows]


_USERS = cast(sa.Table, User.__table__)
_LEDGER = cast(sa.Table, CreditLedger.__table__)
_POSTING_COLUMNS = [
    _LEDGER.c[name]
    for name in (
        "id",
        "user_id",
        "kind",
        "amount",
        "balance_after",
        "idempotency_key",
        "reason",
        "reverses_id",
        "created_at",
    )
]

# Statements are built once: building and caching them per call costs more CPU than the
# round trips to PostgreSQL.
_LOCK_USER_AND_FIND_KEY = (
    sa.select(_USERS.c.balance, *_POSTING_COLUMNS)
    .select_from(_USERS.outerjoin(_LEDGER, _LEDGER.c.idempotency_key == sa.bindparam("key")))
    .where(_USERS.c.id == sa.bindparam("user_id"))
    .with_for_update(of=_USERS)
)
_FIND_KEY = sa.select(*_POSTING_COLUMNS).where(_LEDGER.c.idempotency_key == sa.bindparam("key"))
_INSERT_VALUES: dict[str, Any] = {
    name: sa.bindparam(name)
    for name in (
        "user_id",
        "kind",
        "amount",
        "balance_after",
        "idempotency_key",
        "reason",
        "reverses_id",
        "created_at",
    )
}
_INSERT_POSTING = (
    sqlite.insert(_LEDGER).values(_INSERT_VALUES).on_conflict_do_nothing().returning(_LEDGER.c.id)
)
_SET_BALANCE = (
    sa.update(_USERS)
    .where(_USERS.c.id == sa.bindparam("user_id"))
    .values(balance=sa.bindparam("balance_after"))
)
# PostgreSQL does both in one round trip: the balance moves only if the posting went in.
_INSERT_POSTING_AND_SET_BALANCE_PG = sa.text(
    """
    WITH posted AS (
        INSERT INTO credit_ledger (user_id, kind, amount, balance_after, idempotency_key,
                                   reason, reverses_id, created_at)
        VALUES (:user_id, :kind, :amount, :balance_after, :idempotency_key,
                :reason, :reverses_id, :created_at)
        ON CONFLICT DO NOTHING
        RETURNING id
    ), moved AS (
        UPDATE users SET balance = :balance_after
        WHERE id = :user_id AND EXISTS (SELECT 1 FROM posted)
    )
    SELECT id FROM posted
    """
)


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
    reason = reason[:256]
    # Lock the user row: postings for one user (and so every repeat of one key) serialise here.
    found = (
        await session.execute(_LOCK_USER_AND_FIND_KEY, {"user_id": user_id, "key": key})
    ).one_or_none()
    if found is None:
        raise NotFoundError(f"user {user_id} not found")
    balance = found.balance
    if found.id is not None:
        return _same_posting(_posting_from_row(found), user_id, kind, amount)

    new_balance = balance + amount
    if new_balance < 0:
        # After waiting for the lock, PostgreSQL re-reads the user row but not the joined
        # ledger row: a twin that just committed this key is only seen by a fresh lookup.
        twin = await _find_by_key(session, key)
        if twin is not None:
            return _same_posting(twin, user_id, kind, amount)
        raise InsufficientBalanceError(user_id, balance, -amount)

    now = utcnow()
    inserted_id = await _insert_posting_and_set_balance(
        session,
        {
            "user_id": user_id,
            "kind": kind.value,
            "amount": amount,
            "balance_after": new_balance,
            "idempotency_key": key,
            "reason": reason,
            "reverses_id": reverses_id,
            "created_at": now,
        },
    )
    if inserted_id is None:
        # The key (or the reversal target) was taken by a concurrent transaction that has
        # committed by now; nothing of ours was written.
        twin = await _find_by_key(session, key)
        if twin is None:
            raise IdempotencyConflictError(f"posting {reverses_id} is already reversed")
        return _same_posting(twin, user_id, kind, amount)
    await _refresh_cached_user(session, user_id, new_balance)
    return Posting(
        id=inserted_id,
        user_id=user_id,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        idempotency_key=key,
        reason=reason,
        reverses_id=reverses_id,
        created_at=now,
    )


async def _insert_posting_and_set_balance(
    session: AsyncSession, values: dict[str, Any]
) -> int | None:
    """The new posting's id, or None (and nothing written) if its key is already taken."""
    if session.get_bind().dialect.name == "postgresql":
        posted: int | None = await session.scalar(_INSERT_POSTING_AND_SET_BALANCE_PG, values)
        return posted
    inserted_id: int | None = await session.scalar(_INSERT_POSTING, values)
    if inserted_id is not None:
        await session.execute(
            _SET_BALANCE, {"user_id": values["user_id"], "balance_after": values["balance_after"]}
        )
    return inserted_id


def _same_posting(existing: Posting, user_id: int, kind: PostingKind, amount: int) -> Posting:
    """A repeated key returns its first posting, if it asks for the same thing."""
    if (existing.user_id, existing.kind, existing.amount) != (user_id, kind, amount):
        raise IdempotencyConflictError(
            f"key {existing.idempotency_key!r} was used for {existing.kind} {existing.amount} "
            f"to user {existing.user_id}"
        )
    return existing


async def _refresh_cached_user(session: AsyncSession, user_id: int, balance: int) -> None:
    """Keep a User already loaded in this session in step with the row we just updated."""
    cached = session.identity_map.get(session.identity_key(User, user_id))
    if isinstance(cached, User):
        set_committed_value(cached, "balance", balance)


async def _find_by_key(session: AsyncSession, key: str) -> Posting | None:
    row = (await session.execute(_FIND_KEY, {"key": key})).one_or_none()
    return None if row is None else _posting_from_row(row)


async def _find_reversal_of(session: AsyncSession, original_id: int) -> Posting | None:
    row = (
        await session.execute(
            sa.select(*_POSTING_COLUMNS).where(_LEDGER.c.reverses_id == original_id)
        )
    ).one_or_none()
    return None if row is None else _posting_from_row(row)


def _posting_from_row(row: sa.Row[Any]) -> Posting:
    return Posting(
        id=row.id,
        user_id=row.user_id,
        kind=PostingKind(row.kind),
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
