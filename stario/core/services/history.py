"""A fan's past orders (greetings and posters), newest first, and one order of theirs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError
from stario.core.services import jobs
from stario.core.services.jobs import JobView
from stario.models import GenerationJob, JobKind

KINDS = (JobKind.GREETING, JobKind.POSTER)


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
