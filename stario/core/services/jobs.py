"""The life of a generation job after it was placed (DESIGN §6).

queued → running → delivered | undelivered, or → failed (refunded), or cancelled (refunded).
Every path that ends a paid job without a result refunds it through the ledger's reversal of
`job:<id>:charge`, which happens at most once however many paths race to end the job.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError
from stario.core.services import ledger
from stario.models import ErrorClass, GenerationJob, JobKind, JobStatus, User, utcnow

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
ENDED = (JobStatus.DELIVERED, JobStatus.UNDELIVERED, JobStatus.FAILED, JobStatus.CANCELLED)
# Seconds a job of each kind is assumed to take before any has been measured.
DEFAULT_DURATION_S = {JobKind.GREETING: 8.0, JobKind.POSTER: 1.0, JobKind.FACE: 1.0}


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    user_id: int
    artist_id: int | None
    kind: JobKind
    status: JobStatus
    params: dict[str, Any]
    cost: int
    attempts: int
    language: str
    chat_id: int | None
    status_message_id: int | None
    result_key: str | None
    telegram_file_id: str | None
    is_gift: bool
    error_class: ErrorClass | None
    delivery_deadline_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Ending:
    """How a job ended: `refunded` is True only for the call that actually refunded it."""

    job: JobView
    refunded: bool
    changed: bool


def charge_key(job_id: int) -> str:
    return f"job:{job_id}:charge"


def refund_key(job_id: int) -> str:
    return f"job:{job_id}:refund"


async def get_job(session: AsyncSession, job_id: int) -> JobView:
    found = (
        await session.execute(
            sa.select(GenerationJob, User.language)
            .join(User, User.id == GenerationJob.user_id)
            .where(GenerationJob.id == job_id)
        )
    ).one_or_none()
    if found is None:
        raise NotFoundError(f"job {job_id} not found")
    return _view(found[0], found[1])


async def start(session: AsyncSession, job_id: int) -> JobView | None:
    """Mark a job running for one more attempt; None if it is no longer runnable."""
    job = await _lock(session, job_id)
    if job.status not in ACTIVE:
        await session.commit()
        return None
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.started_at = utcnow()
    await session.commit()
    return await get_job(session, job_id)


async def store_result(
    session: AsyncSession, job_id: int, result_key: str, meta: dict[str, Any]
) -> JobView:
    """The result is in object storage: from now on the job can only end delivered/undelivered.

    `meta` (size, duration) is kept in `params["result"]` for sending it again later."""
    job = await _lock(session, job_id)
    job.result_key = result_key
    job.params = {**job.params, "result": meta}
    job.finished_at = utcnow()
    await session.commit()
    return await get_job(session, job_id)


async def mark_delivered(
    session: AsyncSession, job_id: int, telegram_file_id: str | None
) -> JobView:
    job = await _lock(session, job_id)
    job.status = JobStatus.DELIVERED
    job.telegram_file_id = telegram_file_id or job.telegram_file_id
    job.delivered_at = utcnow()
    job.delivery_error = None
    await session.commit()
    return await get_job(session, job_id)


async def mark_undelivered(session: AsyncSession, job_id: int, reason: str) -> JobView:
    """The result exists but the chat is unreachable: kept in history, not refunded."""
    job = await _lock(session, job_id)
    job.status = JobStatus.UNDELIVERED
    job.delivery_error = reason[:256]
    await session.commit()
    return await get_job(session, job_id)


async def fail(
    session: AsyncSession, job_id: int, error_class: ErrorClass, message: str
) -> Ending:
    """End a job without a result and refund it (exactly once)."""
    return await _end(session, job_id, JobStatus.FAILED, error_class, message)


async def cancel(session: AsyncSession, job_id: int, actor_id: int | None) -> Ending:
    """Cancel a job that has not started yet; refunds it."""
    job = await _lock(session, job_id)
    if job.status is not JobStatus.QUEUED:
        await session.commit()
        return Ending(await get_job(session, job_id), refunded=False, changed=False)
    return await _end(session, job_id, JobStatus.CANCELLED, None, f"cancelled by {actor_id}")


async def refund_overdue(session: AsyncSession, now: datetime | None = None) -> list[Ending]:
    """Refund paid jobs that missed their delivery deadline; they may still finish, as gifts."""
    ids = await session.scalars(
        sa.select(GenerationJob.id).where(
            GenerationJob.status.in_(ACTIVE),
            GenerationJob.delivery_deadline_at < (now or utcnow()),
            GenerationJob.is_gift.is_(False),
            GenerationJob.cost > 0,
        )
    )
    endings = [await refund_late(session, job_id) for job_id in list(ids)]
    return [ending for ending in endings if ending.changed]


async def refund_late(session: AsyncSession, job_id: int) -> Ending:
    """Refund a job past its deadline and make it a gift; nothing if already done or ended."""
    job = await _lock(session, job_id)
    deadline = job.delivery_deadline_at
    late = deadline is not None and deadline < utcnow()
    if job.status not in ACTIVE or job.is_gift or job.cost == 0 or not late:
        await session.commit()
        return Ending(await get_job(session, job_id), refunded=False, changed=False)
    await ledger.reverse(
        session, charge_key(job_id), refund_key(job_id), "missed its delivery deadline"
    )
    job.is_gift = True
    await session.commit()
    return Ending(await get_job(session, job_id), refunded=True, changed=True)


async def stuck_running(
    session: AsyncSession, older_than: timedelta, now: datetime | None = None
) -> list[int]:
    """Jobs marked running longer ago than any attempt may last: their worker died."""
    cutoff = (now or utcnow()) - older_than
    ids = await session.scalars(
        sa.select(GenerationJob.id).where(
            GenerationJob.status == JobStatus.RUNNING, GenerationJob.started_at < cutoff
        )
    )
    return list(ids)


async def typical_duration_s(session: AsyncSession, kind: JobKind, sample: int = 50) -> float:
    """Median start-to-result time of recent jobs of this kind (for ETAs)."""
    rows = await session.execute(
        sa.select(GenerationJob.started_at, GenerationJob.finished_at)
        .where(
            GenerationJob.kind == kind,
            GenerationJob.finished_at.is_not(None),
            GenerationJob.started_at.is_not(None),
            GenerationJob.result_key.is_not(None),
        )
        .order_by(GenerationJob.id.desc())
        .limit(sample)
    )
    durations = [
        (finished - started).total_seconds()
        for started, finished in rows
        if started is not None and finished is not None and finished >= started
    ]
    return statistics.median(durations) if durations else DEFAULT_DURATION_S[kind]


async def _end(
    session: AsyncSession,
    job_id: int,
    status: JobStatus,
    error_class: ErrorClass | None,
    message: str,
) -> Ending:
    job = await _lock(session, job_id)
    if job.status in ENDED:
        await session.commit()
        return Ending(await get_job(session, job_id), refunded=False, changed=False)
    refunded = False
    if job.cost > 0 and not job.is_gift:
        await ledger.reverse(session, charge_key(job_id), refund_key(job_id), message[:200])
        refunded = True
    job.status = status
    job.error_class = error_class
    job.error_message = message[:2000]
    job.finished_at = utcnow()
    await session.commit()
    return Ending(await get_job(session, job_id), refunded=refunded, changed=True)


async def _lock(session: AsyncSession, job_id: int) -> GenerationJob:
    job = await session.scalar(
        sa.select(GenerationJob)
        .where(GenerationJob.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise NotFoundError(f"job {job_id} not found")
    return job


def _view(job: GenerationJob, language: str) -> JobView:
    return JobView(
        id=job.id,
        user_id=job.user_id,
        artist_id=job.artist_id,
        kind=job.kind,
        status=job.status,
        params=dict(job.params),
        cost=job.cost,
        attempts=job.attempts,
        language=language,
        chat_id=job.chat_id,
        status_message_id=job.status_message_id,
        result_key=job.result_key,
        telegram_file_id=job.telegram_file_id,
        is_gift=job.is_gift,
        error_class=job.error_class,
        delivery_deadline_at=job.delivery_deadline_at,
        created_at=job.created_at,
    )
