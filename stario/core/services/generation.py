"""Placing a generation order: validate, charge once, create the job, queue it (DESIGN §5–§6).

The same use case serves the bot, the Mini App and the operator CLI. A `request_key` makes the
order idempotent: a double tap or a repeated update returns the job the first one created.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import (
    NotFoundError,
    QueueUnavailableError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.ports.queue import JobOptions, JobQueue
from stario.core.services import catalog, jobs, ledger, moderation
from stario.core.settings import LANGUAGES
from stario.models import ErrorClass, GenerationJob, JobKind, JobStatus, Product, User, utcnow

log = logging.getLogger(__name__)

QUEUE_OF = {JobKind.GREETING: "video", JobKind.POSTER: "poster", JobKind.FACE: "face"}
ENTRY_POINT_OF = {
    JobKind.GREETING: "stario.workers.jobs.run_greeting",
    JobKind.POSTER: "stario.workers.jobs.run_poster",
}
FAILURE_CALLBACK = "stario.workers.jobs.on_final_failure"
TIMEOUT_S = {JobKind.GREETING: 300, JobKind.POSTER: 120}
# Silent retries of transient and capacity errors, with backoff (seconds before each retry).
RETRY_INTERVALS_S = (5, 30)
POSTER_TEMPLATES = ("classic", "neon", "minimal")
VIDEO_SHAPES = ("vertical", "square")


@dataclass(frozen=True, slots=True)
class GreetingOrder:
    user_id: int
    artist_slug: str
    text: str
    recipient: str = ""
    occasion: str = "custom"
    language: str = "uz"
    shape: str = "vertical"
    chat_id: int | None = None
    status_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class PosterOrder:
    user_id: int
    artist_slug: str
    template: str
    lines: tuple[str, ...]
    language: str = "uz"
    chat_id: int | None = None
    status_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlacedJob:
    job_id: int
    kind: JobKind
    status: JobStatus
    cost: int
    balance_after: int
    queue: str
    position: int
    eta_s: int
    is_repeat: bool = False
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Deadlines:
    greeting: timedelta = timedelta(minutes=15)
    poster: timedelta = timedelta(minutes=5)

    def of(self, kind: JobKind) -> timedelta:
        return self.poster if kind is JobKind.POSTER else self.greeting


async def place_greeting(
    session: AsyncSession,
    queue: JobQueue,
    order: GreetingOrder,
    *,
    request_key: str,
    deadlines: Deadlines | None = None,
) -> PlacedJob:
    artist = await catalog.orderable_artist(session, order.artist_slug, Product.GREETING)
    text = moderation.check_text(order.text, artist.restrictions)
    recipient = (
        moderation.check_text(order.recipient, artist.restrictions, max_seconds=3)
        if (order.recipient.strip())
        else ""
    )
    if order.shape not in VIDEO_SHAPES:
        raise ValidationFailed(f"shape must be one of {VIDEO_SHAPES}")
    params = {
        "artist_slug": artist.slug,
        "artist_name": artist.name_in(_language(order.language)),
        "photo_key": artist.primary_photo_key,
        "text": text,
        "recipient": recipient,
        "occasion": order.occasion[:32],
        "language": _language(order.language),
        "shape": order.shape,
    }
    return await _place(
        session, queue, JobKind.GREETING, order.user_id, artist.id, artist.price_greeting,
        params, request_key, order.chat_id, order.status_message_id, deadlines or Deadlines(),
    )  # fmt: skip


async def place_poster(
    session: AsyncSession,
    queue: JobQueue,
    order: PosterOrder,
    *,
    request_key: str,
    deadlines: Deadlines | None = None,
) -> PlacedJob:
    artist = await catalog.orderable_artist(session, order.artist_slug, Product.POSTER)
    if order.template not in POSTER_TEMPLATES:
        raise ValidationFailed(f"template must be one of {POSTER_TEMPLATES}")
    if not 1 <= len(order.lines) <= 3:
        raise ValidationFailed("a poster takes 1 to 3 lines of text")
    lines = [moderation.check_text(line, artist.restrictions) for line in order.lines]
    params = {
        "artist_slug": artist.slug,
        "artist_name": artist.name_in(_language(order.language)),
        "photo_key": artist.primary_photo_key,
        "template": order.template,
        "lines": lines,
        "language": _language(order.language),
    }
    return await _place(
        session, queue, JobKind.POSTER, order.user_id, artist.id, artist.price_poster,
        params, request_key, order.chat_id, order.status_message_id, deadlines or Deadlines(),
    )  # fmt: skip


async def _place(
    session: AsyncSession,
    queue: JobQueue,
    kind: JobKind,
    user_id: int,
    artist_id: int,
    cost: int,
    params: dict[str, Any],
    request_key: str,
    chat_id: int | None,
    status_message_id: int | None,
    deadlines: Deadlines,
) -> PlacedJob:
    if not request_key or len(request_key) > 128:
        raise ValidationFailed("request key must be 1..128 characters")
    repeat = await _job_for_request(session, request_key)
    if repeat is not None:
        return await _placed(session, queue, repeat, is_repeat=True)

    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    if user.is_banned:
        raise UserBannedError(f"user {user_id} is banned")

    now = utcnow()
    job = GenerationJob(
        user_id=user_id,
        artist_id=artist_id,
        kind=kind,
        status=JobStatus.QUEUED,
        request_key=request_key,
        params=params,
        cost=cost,
        chat_id=chat_id,
        status_message_id=status_message_id,
        queued_at=now,
        delivery_deadline_at=now + deadlines.of(kind),
    )
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:
        # A twin request (double tap) created the job first; it has committed by now.
        await session.rollback()
        repeat = await _job_for_request(session, request_key)
        if repeat is None:
            raise
        return await _placed(session, queue, repeat, is_repeat=True)
    if cost > 0:
        # InsufficientBalanceError propagates; the caller's rollback removes the job too.
        await ledger.debit(session, user_id, cost, jobs.charge_key(job.id), f"{kind.value} order")
    await session.commit()

    try:
        await queue.enqueue(
            ENTRY_POINT_OF[kind],
            [job.id],
            JobOptions(
                queue=QUEUE_OF[kind],
                job_id=queue_job_id(job.id),
                timeout_s=TIMEOUT_S[kind],
                retry_intervals_s=RETRY_INTERVALS_S,
                on_failure=FAILURE_CALLBACK,
            ),
        )
    except Exception as error:  # the queue is down: give the credits back at once
        log.exception("could not queue job %s", job.id)
        await jobs.fail(session, job.id, ErrorClass.INTERNAL, f"queue unavailable: {error}")
        raise QueueUnavailableError(f"job {job.id} could not be queued") from error
    return await _placed(session, queue, job.id, is_repeat=False)


def queue_job_id(job_id: int) -> str:
    return f"stario-job-{job_id}"


def retry_queue_job_id(job_id: int, retry: int) -> str:
    """An admin's retry of a job goes under a fresh queue id (the queue keeps finished ids)."""
    return f"stario-job-{job_id}-r{retry}"


_QUEUE_JOB_ID = re.compile(r"^stario-job-(\d+)(?:-r\d+)?$")


def job_id_from_queue_id(queue_id: str) -> int:
    match = _QUEUE_JOB_ID.match(queue_id)
    if match is None:
        raise ValueError(f"not a Stario job id: {queue_id!r}")
    return int(match.group(1))


async def _job_for_request(session: AsyncSession, request_key: str) -> int | None:
    found: int | None = await session.scalar(
        sa.select(GenerationJob.id).where(GenerationJob.request_key == request_key)
    )
    return found


async def _placed(
    session: AsyncSession, queue: JobQueue, job_id: int, *, is_repeat: bool
) -> PlacedJob:
    job = await jobs.get_job(session, job_id)
    queue_name = QUEUE_OF[job.kind]
    position = 0
    if job.status is JobStatus.QUEUED:
        position = await queue.position(queue_name, queue_job_id(job_id)) or 0
    per_job = await jobs.typical_duration_s(session, job.kind)
    balance = await ledger.balance_of(session, job.user_id)
    return PlacedJob(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        cost=job.cost,
        balance_after=balance,
        queue=queue_name,
        position=position,
        eta_s=math.ceil(per_job * max(position, 1)),
        is_repeat=is_repeat,
        params=job.params,
    )


def _language(language: str) -> str:
    return language if language in LANGUAGES else "uz"
