"""What admins and operators do: roles, credits, bans, user look-up, statistics, jobs.

Roles come from the database (`users.role`); `ADMIN_IDS` only bootstraps admins at sign-up.
Operators may look (`/stats`, `/user`, `/jobs`) and fix jobs (`/retry`, `/refund_job`); money,
bans, artists and broadcasts are for admins (`STAFF_ROLES` / `ADMIN_ROLES`).

Every action writes the audit log in the transaction that makes the change. "Today" is the
calendar day in Tashkent (UTC+5, no daylight saving): the first market's operators read it so.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, QueueUnavailableError, StarioError, ValidationFailed
from stario.core.ports.queue import JobOptions, JobQueue
from stario.core.services import jobs, ledger
from stario.core.services.generation import (
    ENTRY_POINT_OF,
    FAILURE_CALLBACK,
    QUEUE_OF,
    RETRY_INTERVALS_S,
    TIMEOUT_S,
    retry_queue_job_id,
)
from stario.models import (
    AuditLog,
    ErrorClass,
    GenerationJob,
    JobKind,
    JobStatus,
    Order,
    OrderStatus,
    PaymentProvider,
    Role,
    User,
    utcnow,
)

STAFF_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})
ADMIN_ROLES = frozenset({Role.ADMIN})
LOCAL_DAY = timezone(timedelta(hours=5))  # Asia/Tashkent
MAX_REASON = 200
_USERNAME = re.compile(r"^@?([A-Za-z0-9_]{3,64})$")
RETRYABLE = (JobStatus.FAILED, JobStatus.UNDELIVERED)


class JobNotRetryableError(StarioError):
    """Only failed or undelivered jobs can be retried."""

    key = "admin-retry-refused"

    def __init__(self, job_id: int, status: str) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id} is {status}: not retryable")


@dataclass(frozen=True, slots=True)
class JobLine:
    id: int
    user_id: int
    kind: JobKind
    status: JobStatus
    cost: int
    attempts: int
    error_class: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserSummary:
    id: int
    username: str | None
    first_name: str
    language: str
    role: Role
    is_banned: bool
    balance: int
    paid_orders: int
    jobs_total: int
    last_jobs: list[JobLine]
    created_at: datetime
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class Revenue:
    orders: int
    amount: int  # soums for Payme and Click, Stars for Telegram Stars
    currency: str


@dataclass(frozen=True, slots=True)
class Stats:
    day_start: datetime
    users_total: int
    users_new: int
    users_active: int
    jobs_by_status: dict[str, int]
    failure_rate: float | None  # failed / ended (delivered, undelivered, failed); None if none
    p50_s: float | None
    p95_s: float | None
    revenue: dict[str, Revenue]


@dataclass(frozen=True, slots=True)
class Grant:
    audit_id: int
    user_id: int
    credits: int
    balance_after: int


# Roles ------------------------------------------------------------------------------------------


async def role_of(session: AsyncSession, user_id: int) -> Role | None:
    role: Role | None = await session.scalar(sa.select(User.role).where(User.id == user_id))
    return role


async def is_staff(session: AsyncSession, user_id: int) -> bool:
    return await role_of(session, user_id) in STAFF_ROLES


async def is_admin(session: AsyncSession, user_id: int) -> bool:
    return await role_of(session, user_id) in ADMIN_ROLES


# Users ------------------------------------------------------------------------------------------


async def resolve_user(session: AsyncSession, query: str) -> int:
    """A user id from "123456" or "@username" (case-insensitive); NotFoundError if unknown."""
    query = query.strip()
    if query.isdigit() and len(query) <= 20:
        found = await session.scalar(sa.select(User.id).where(User.id == int(query)))
    else:
        match = _USERNAME.match(query)
        if match is None:
            raise ValidationFailed(f"not a user id or @username: {query!r}")
        found = await session.scalar(
            sa.select(User.id)
            .where(sa.func.lower(User.username) == match.group(1).lower())
            .order_by(User.last_seen_at.desc().nulls_last())
            .limit(1)
        )
    if found is None:
        raise NotFoundError(f"user {query!r} not found")
    return int(found)


async def find_user(session: AsyncSession, query: str, *, last: int = 5) -> UserSummary:
    user = await session.get_one(User, await resolve_user(session, query))
    paid = await _count(session, Order, Order.user_id == user.id, Order.status == OrderStatus.PAID)
    total = await _count(session, GenerationJob, GenerationJob.user_id == user.id)
    recent = await session.scalars(
        sa.select(GenerationJob)
        .where(GenerationJob.user_id == user.id)
        .order_by(GenerationJob.id.desc())
        .limit(last)
    )
    return UserSummary(
        id=user.id,
        username=user.username,
        first_name=user.first_name,
        language=user.language,
        role=user.role,
        is_banned=user.is_banned,
        balance=user.balance,
        paid_orders=paid,
        jobs_total=total,
        last_jobs=[_line(job) for job in recent],
        created_at=user.created_at,
        last_seen_at=user.last_seen_at,
    )


async def grant(
    session: AsyncSession, actor_id: int, user_id: int, credits: int, reason: str
) -> Grant:
    """Credit `credits` to the user: the audit row first, then the posting `grant:<audit_id>`
    (one command, one grant: a repeated update never reaches here twice, and the key makes
    even a repeated call with the same audit row credit once)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(f"a grant needs a reason of 1..{MAX_REASON} characters")
    if isinstance(credits, bool) or not 0 < credits <= ledger.MAX_AMOUNT:
        raise ValidationFailed(f"credits must be 1..{ledger.MAX_AMOUNT}")
    await _existing_user(session, user_id)
    row = _audit(
        session, actor_id, "admin.grant", "user", user_id, {"credits": credits, "reason": reason}
    )
    await session.flush()
    posting = await ledger.credit(session, user_id, credits, f"grant:{row.id}", reason)
    await session.commit()
    return Grant(row.id, user_id, credits, posting.balance_after)


async def set_banned(session: AsyncSession, actor_id: int, user_id: int, banned: bool) -> bool:
    """Ban or unban; returns whether anything changed. Staff cannot be banned."""
    user = await _existing_user(session, user_id)
    if banned and (user.role in STAFF_ROLES or user_id == actor_id):
        raise ValidationFailed("staff cannot be banned; demote them first")
    changed = user.is_banned != banned
    user.is_banned = banned
    action = "admin.ban" if banned else "admin.unban"
    _audit(session, actor_id, action, "user", user_id, {"changed": changed})
    await session.commit()
    return changed


# Statistics -------------------------------------------------------------------------------------


def day_start(now: datetime) -> datetime:
    local = now.astimezone(LOCAL_DAY)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def stats(session: AsyncSession, now: datetime | None = None) -> Stats:
    since = day_start(now or utcnow())
    users_total = await _count(session, User)
    users_new = await _count(session, User, User.created_at >= since)
    users_active = await _count(session, User, User.last_seen_at >= since)
    by_status = {
        str(status): int(count)
        for status, count in await session.execute(
            sa.select(GenerationJob.status, sa.func.count())
            .where(GenerationJob.created_at >= since)
            .group_by(GenerationJob.status)
        )
    }
    failed = by_status.get(JobStatus.FAILED.value, 0)
    ended = failed + sum(
        by_status.get(status.value, 0) for status in (JobStatus.DELIVERED, JobStatus.UNDELIVERED)
    )
    durations = sorted(
        (finished - started).total_seconds()
        for started, finished in await session.execute(
            sa.select(GenerationJob.started_at, GenerationJob.finished_at).where(
                GenerationJob.finished_at >= since,
                GenerationJob.started_at.is_not(None),
                GenerationJob.result_key.is_not(None),
            )
        )
        if started is not None and finished is not None and finished >= started
    )
    return Stats(
        day_start=since,
        users_total=users_total,
        users_new=users_new,
        users_active=users_active,
        jobs_by_status=by_status,
        failure_rate=failed / ended if ended else None,
        p50_s=_percentile(durations, 50),
        p95_s=_percentile(durations, 95),
        revenue=await _revenue(session, since),
    )


async def _revenue(session: AsyncSession, since: datetime) -> dict[str, Revenue]:
    rows = await session.execute(
        sa.select(
            Order.provider,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Order.amount_tiyin), 0),
            sa.func.coalesce(sa.func.sum(Order.amount_stars), 0),
        )
        .where(Order.status == OrderStatus.PAID, Order.paid_at >= since)
        .group_by(Order.provider)
    )
    revenue: dict[str, Revenue] = {}
    for provider, count, tiyin, stars in rows:
        if provider is PaymentProvider.STARS:
            revenue[provider.value] = Revenue(int(count), int(stars), "XTR")
        else:
            revenue[provider.value] = Revenue(int(count), int(tiyin) // 100, "UZS")
    return revenue


def _percentile(sorted_values: list[float], percent: int) -> float | None:
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    cuts = statistics.quantiles(sorted_values, n=100, method="inclusive")
    return cuts[percent - 1] if percent < 100 else sorted_values[-1]


# Jobs -------------------------------------------------------------------------------------------


async def list_jobs(
    session: AsyncSession, statuses: tuple[JobStatus, ...], *, limit: int = 10
) -> dict[JobStatus, list[JobLine]]:
    """The newest `limit` jobs of each status."""
    listing: dict[JobStatus, list[JobLine]] = {}
    for status in statuses:
        found = await session.scalars(
            sa.select(GenerationJob)
            .where(GenerationJob.status == status)
            .order_by(GenerationJob.id.desc())
            .limit(limit)
        )
        listing[status] = [_line(job) for job in found]
    return listing


async def retry(session: AsyncSession, queue: JobQueue, actor_id: int, job_id: int) -> JobLine:
    """Queue a failed or undelivered job again, under a fresh queue id.

    A job whose result exists (undelivered) is only delivered again: the worker skips
    generation when `result_key` is set. Nothing is ever charged again: a failed job was
    refunded, so its re-run is a gift (never refunded twice either); the delivery deadline is
    dropped so the worker does not refund an undelivered job for being late."""
    job = await _lock_job(session, job_id)
    if job.kind not in ENTRY_POINT_OF or job.status not in RETRYABLE:
        raise JobNotRetryableError(job_id, job.status.value)
    previous = job.status
    retries = int(job.params.get("admin_retries", 0)) + 1
    if previous is JobStatus.FAILED and job.cost > 0:
        job.is_gift = True
    job.status = JobStatus.QUEUED
    job.params = {**job.params, "admin_retries": retries}
    job.error_class = None
    job.error_message = None
    job.delivery_error = None
    job.delivery_deadline_at = None
    job.queued_at = utcnow()
    details = {"from": previous.value, "retry": retries, "delivery_only": bool(job.result_key)}
    _audit(session, actor_id, "admin.job_retry", "job", job_id, details)
    await session.commit()
    try:
        await queue.enqueue(
            ENTRY_POINT_OF[job.kind],
            [job_id],
            JobOptions(
                queue=QUEUE_OF[job.kind],
                job_id=retry_queue_job_id(job_id, retries),
                timeout_s=TIMEOUT_S[job.kind],
                retry_intervals_s=RETRY_INTERVALS_S,
                on_failure=FAILURE_CALLBACK,
            ),
        )
    except Exception as error:  # put it back as it was: nothing is lost, nothing charged
        job = await _lock_job(session, job_id)
        job.status = previous
        job.error_message = f"retry could not be queued: {error}"[:2000]
        await session.commit()
        raise QueueUnavailableError(f"job {job_id} could not be queued") from error
    return _line(await _lock_job(session, job_id, lock=False))


async def refund_job(session: AsyncSession, actor_id: int, job_id: int) -> jobs.Ending:
    """End a queued or running job as failed and refund it (once; an ended job is left as
    it is and reported unchanged)."""
    await _lock_job(session, job_id, lock=False)
    row = _audit(session, actor_id, "admin.job_refund", "job", job_id, {})
    ending = await jobs.fail(
        session, job_id, ErrorClass.INTERNAL, f"ended and refunded by admin {actor_id}"
    )
    row.details = {"changed": ending.changed, "refunded": ending.refunded}
    await session.commit()
    return ending


# Helpers ----------------------------------------------------------------------------------------


def record(
    session: AsyncSession,
    actor_id: int,
    action: str,
    target_type: str | None,
    target_id: object,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to the caller's transaction and return it (its id after a flush)."""
    return _audit(session, actor_id, action, target_type, target_id, details or {})


def _audit(
    session: AsyncSession,
    actor_id: int,
    action: str,
    target_type: str | None,
    target_id: object,
    details: dict[str, Any],
) -> AuditLog:
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    session.add(row)
    return row


async def _existing_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user


async def _lock_job(session: AsyncSession, job_id: int, *, lock: bool = True) -> GenerationJob:
    query = sa.select(GenerationJob).where(GenerationJob.id == job_id)
    if lock:
        query = query.with_for_update()
    job = await session.scalar(query.execution_options(populate_existing=True))
    if job is None:
        raise NotFoundError(f"job {job_id} not found")
    return job


async def _count(session: AsyncSession, model: type[Any], *where: Any) -> int:
    return int(
        await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
    )


def _line(job: GenerationJob) -> JobLine:
    return JobLine(
        id=job.id,
        user_id=job.user_id,
        kind=job.kind,
        status=job.status,
        cost=job.cost,
        attempts=job.attempts,
        error_class=job.error_class.value if job.error_class else None,
        created_at=job.created_at,
    )
