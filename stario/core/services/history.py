"""A fan's past orders (greetings and posters), newest first, and one order of theirs; their
balance with the last postings (the Balance screen)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError
from stario.core.services import jobs
from stario.core.services.jobs import JobView
from stario.core.services.ledger import Posting
from stario.models import CreditLedger, GenerationJob, JobKind, User

KINDS = (JobKind.GREETING, JobKind.POSTER)


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    postings: list[Posting]  # newest first


async def statement(session: AsyncSession, user_id: int, *, last: int = 5) -> Statement:
    """The balance and the last postings in one statement, which is its own consistent
    snapshot: no transaction is opened for it (one round trip instead of three)."""
    if not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    rows = (await session.execute(_STATEMENT, {"user_id": user_id, "last": last})).all()
    if not rows:
        raise NotFoundError(f"user {user_id} not found")
    postings = [
        Posting(**{column.key: getattr(row, column.key) for column in _POSTING})
        for row in rows
        if row.id is not None
    ]
    return Statement(int(rows[0].balance), postings)


_POSTING = [
    CreditLedger.id, CreditLedger.user_id, CreditLedger.kind, CreditLedger.amount,
    CreditLedger.balance_after, CreditLedger.idempotency_key, CreditLedger.reason,
    CreditLedger.reverses_id, CreditLedger.created_at,
]  # fmt: skip
_RECENT = (
    sa.select(CreditLedger.id)
    .where(CreditLedger.user_id == sa.bindparam("user_id"))
    .order_by(CreditLedger.id.desc())
    .limit(sa.bindparam("last"))
)
# Built once: building it per call cost more than running it.
_STATEMENT = (
    sa.select(User.balance, *_POSTING)
    .select_from(User)
    .outerjoin(
        CreditLedger, sa.and_(CreditLedger.user_id == User.id, CreditLedger.id.in_(_RECENT))
    )
    .where(User.id == sa.bindparam("user_id"))
    .order_by(CreditLedger.id.desc())
)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    orders: list[JobView]
    page: int  # 0-based, clamped
    pages: int  # at least 1
    total: int


async def list_orders(
    session: AsyncSession, user_id: int, *, page: int = 0, per_page: int = 5
) -> HistoryPage:
    mine = sa.and_(GenerationJob.user_id == user_id, GenerationJob.kind.in_(KINDS))
    total = int(
        await session.scalar(sa.select(sa.func.count()).select_from(GenerationJob).where(mine))
        or 0
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    ids = await session.scalars(
        sa.select(GenerationJob.id)
        .where(mine)
        .order_by(GenerationJob.id.desc())
        .offset(page * per_page)
        .limit(per_page)
    )
    return HistoryPage([await jobs.get_job(session, job_id) for job_id in ids], page, pages, total)


async def own_order(session: AsyncSession, user_id: int, job_id: int) -> JobView:
    """The fan's own greeting or poster order; NotFoundError for anyone else's."""
    job = await jobs.get_job(session, job_id)
    if job.user_id != user_id or job.kind not in KINDS:
        raise NotFoundError(f"job {job_id} is not an order of user {user_id}")
    return job
