"""The Face Quiz (issue 6): placing a quiz, its daily free allowance, results and leaderboards.

Mode `one` compares the fan's selfie with one artist, mode `all` ("who do I look like?") with
every artist a fan may take the quiz with now (verified, active, quiz enabled, consent for
`face_quiz`: `catalog.availability_problem`).

Limits: `free_per_day` quizzes per fan per UTC day are free; each one after costs `price`
credits, charged when the quiz is accepted (`job:<id>:charge`, once for a repeated update) and
refunded exactly once when it fails for any reason (`stario.core.services.jobs`). A quiz that
failed or was cancelled does not use up a free one.

Privacy: the selfie is stored by the caller under a random `selfies/...` key that only the job
knows; the job deletes it right after reading it. Nothing derived from it is stored: a result
is the fan, the artist, the score, the badge and the time.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from stario.core.errors import (
    ArtistUnavailableError,
    NotFoundError,
    QueueUnavailableError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.ports.queue import JobOptions, JobQueue
from stario.core.ports.storage import Storage
from stario.core.services import catalog, jobs, ledger
from stario.core.services.generation import PlacedJob, queue_job_id
from stario.core.settings import LANGUAGES
from stario.models import (
    Artist,
    ErrorClass,
    FaceQuizResult,
    GenerationJob,
    JobKind,
    JobStatus,
    Product,
    User,
    VerificationStatus,
    utcnow,
)

log = logging.getLogger(__name__)

QUEUE = "face"
ENTRY_POINT = "stario.workers.quiz.run_face_quiz"
FAILURE_CALLBACK = "stario.workers.quiz.on_final_failure"
TIMEOUT_S = 60
# Not retried: the job deletes the selfie as soon as it has read it, so a retry has nothing.
DEADLINE = timedelta(minutes=2)
SELFIE_PREFIX = "selfies/"
MAX_SELFIE_BYTES = 10 * 1024 * 1024
UPLOAD_URL_TTL = timedelta(seconds=300)
SELFIE_MAX_AGE = UPLOAD_URL_TTL + DEADLINE + timedelta(minutes=3)
LEADERBOARD_SIZE = 10
# Badges by calibrated score (the engine's similarity_percent of the distance), highest first.
# Engines map their same-person threshold to 75 % and the median distance between different
# people to 30 % (stario.workers.engines.face_local): "twin" means the engine would call it the
# same person; "lookalike" is far closer than most strangers; "vibe" closer than the median
# stranger; "opposites" the rest.
BADGES: tuple[tuple[int, str], ...] = (
    (75, "twin"),
    (50, "lookalike"),
    (30, "vibe"),
    (0, "opposites"),
)


class Mode(StrEnum):
    ONE = "one"  # against one artist
    ALL = "all"  # who do I look like?


@dataclass(frozen=True, slots=True)
class Quote:
    """What the fan's next quiz costs now: free (`cost` 0, `free_left` > 0) or `cost` credits."""

    cost: int
    free_left: int
    balance: int

    @property
    def affordable(self) -> bool:
        return self.balance >= self.cost


@dataclass(frozen=True, slots=True)
class QuizOrder:
    user_id: int
    mode: Mode
    selfie_key: str
    artist_slug: str | None = None  # mode one only
    language: str = "uz"
    chat_id: int | None = None
    status_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    free_per_day: int = 3
    price: int = 1


@dataclass(frozen=True, slots=True)
class BoardEntry:
    first_name: str
    score: int
    badge: str


@dataclass(frozen=True, slots=True)
class ResultView:
    id: int
    user_id: int
    artist_id: int
    artist_slug: str
    score: int
    badge: str
    on_leaderboard: bool


@dataclass(frozen=True, slots=True)
class CardArtist:
    """What a result card and its buttons show of the matched artist."""

    id: int
    slug: str
    names: dict[str, str]
    primary_photo_key: str | None
    takes_greetings: bool

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.slug


@dataclass(frozen=True, slots=True)
class SharedResult:
    """A fan's own result as their inline share card shows it."""

    artist: CardArtist
    score: int
    badge: str
    photo_file_id: str | None  # the result card Telegram already has, if it was delivered


def badge_for(score: int) -> str:
    return next(badge for floor, badge in BADGES if score >= floor)


def new_selfie_key() -> str:
    """A fresh key no one can guess, for one selfie."""
    return f"{SELFIE_PREFIX}{secrets.token_hex(16)}"


def is_selfie_key(key: str) -> bool:
    rest = key.removeprefix(SELFIE_PREFIX)
    return key.startswith(SELFIE_PREFIX) and len(rest) == 32 and rest.isalnum()


async def delete_stale_selfies(storage: Storage) -> int:
    """The safety net for selfies no job will read (a job the queue lost, an unused upload):
    the sweeper removes any older than the longest legitimate wait."""
    return await storage.delete_older_than(SELFIE_PREFIX, SELFIE_MAX_AGE)


async def selfie_upload_url(storage: Storage) -> tuple[str, str]:
    """For the Mini App: a new selfie key and a presigned PUT URL for it, valid 300 s."""
    key = new_selfie_key()
    return key, await storage.presigned_put_url(key, UPLOAD_URL_TTL)


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def quote(
    session: AsyncSession, user_id: int, limits: Limits, now: datetime | None = None
) -> Quote:
    used = await _free_used_today(session, user_id, now or utcnow())
    free_left = max(0, limits.free_per_day - used)
    balance = await ledger.balance_of(session, user_id)
    return Quote(cost=0 if free_left else limits.price, free_left=free_left, balance=balance)


async def check_artist(session: AsyncSession, slug: str) -> catalog.ArtistView:
    """The artist, if fans may take the quiz with them now; else ArtistUnavailableError."""
    return await catalog.orderable_artist(session, slug, Product.FACE_QUIZ)


async def check_artist_id(session: AsyncSession, artist_id: int) -> catalog.ArtistView:
    slug = await session.scalar(sa.select(Artist.slug).where(Artist.id == artist_id))
    if slug is None:
        raise ArtistUnavailableError(str(artist_id), "unknown artist")
    return await check_artist(session, slug)


async def artist_for_card(session: AsyncSession, artist_id: int) -> CardArtist:
    artist = await session.scalar(
        sa.select(Artist)
        .where(Artist.id == artist_id)
        .options(selectinload(Artist.photos), selectinload(Artist.restriction))
    )
    if artist is None:
        raise NotFoundError(f"artist {artist_id} not found")
    view = catalog.to_view(artist)
    problem = catalog.availability_problem(artist, Product.GREETING, utcnow())
    return CardArtist(
        id=view.id, slug=view.slug, names=view.names, primary_photo_key=view.primary_photo_key,
        takes_greetings=problem is None,
    )  # fmt: skip


async def quiz_artist_ids(
    session: AsyncSession, slug: str | None, now: datetime | None = None
) -> list[int]:
    """The artists a quiz compares with: the one of `slug` (ArtistUnavailableError if the
    quiz is not open with them), or every artist the quiz is open with."""
    if slug is not None:
        return [(await catalog.orderable_artist(session, slug, Product.FACE_QUIZ, now)).id]
    artists = await session.scalars(
        sa.select(Artist)
        .where(
            Artist.verification_status == VerificationStatus.VERIFIED,
            Artist.is_active,
            Artist.quiz_enabled,
        )
        .options(selectinload(Artist.restriction))
    )
    moment = now or utcnow()
    return [
        artist.id
        for artist in artists
        if catalog.availability_problem(artist, Product.FACE_QUIZ, moment) is None
    ]


async def place_quiz(
    session: AsyncSession,
    queue: JobQueue,
    order: QuizOrder,
    *,
    request_key: str,
    limits: Limits,
) -> PlacedJob:
    """Accept a quiz: free or charged once, then queued on `face`. A repeated `request_key`
    returns the first job (`is_repeat`): its caller must delete the selfie it stored again."""
    if not request_key or len(request_key) > 128:
        raise ValidationFailed("request key must be 1..128 characters")
    if not is_selfie_key(order.selfie_key):
        raise ValidationFailed("not a selfie key")
    if order.mode is Mode.ONE and not order.artist_slug:
        raise ValidationFailed("mode one needs an artist")
    repeat = await _job_for_request(session, request_key)
    if repeat is not None:
        return await _placed(session, repeat, is_repeat=True)

    artist_id, artist_name = None, ""
    language = order.language if order.language in LANGUAGES else "uz"
    if order.mode is Mode.ONE and order.artist_slug:
        artist = await check_artist(session, order.artist_slug)
        artist_id, artist_name = artist.id, artist.name_in(language)
    # The fan's row lock serialises their quizzes, so two at once cannot both take the last
    # free one.
    user = await session.scalar(sa.select(User).where(User.id == order.user_id).with_for_update())
    if user is None:
        raise NotFoundError(f"user {order.user_id} not found")
    if user.is_banned:
        raise UserBannedError(f"user {order.user_id} is banned")
    now = utcnow()
    used = await _free_used_today(session, order.user_id, now)
    cost = 0 if used < limits.free_per_day else limits.price
    job = GenerationJob(
        user_id=order.user_id,
        artist_id=artist_id,
        kind=JobKind.FACE,
        status=JobStatus.QUEUED,
        request_key=request_key,
        params={
            "mode": order.mode.value,
            "artist_slug": order.artist_slug if order.mode is Mode.ONE else None,
            "artist_name": artist_name,
            "selfie_key": order.selfie_key,
            "language": language,
        },
        cost=cost,
        chat_id=order.chat_id,
        status_message_id=order.status_message_id,
        queued_at=now,
        delivery_deadline_at=now + DEADLINE,
    )
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:
        await session.rollback()  # a twin update created it first; it has committed by now
        repeat = await _job_for_request(session, request_key)
        if repeat is None:
            raise
        return await _placed(session, repeat, is_repeat=True)
    if cost:
        await ledger.debit(session, order.user_id, cost, jobs.charge_key(job.id), "face quiz")
    await session.commit()
    await _enqueue(session, queue, job.id)
    return await _placed(session, job.id, is_repeat=False)


async def _enqueue(session: AsyncSession, queue: JobQueue, job_id: int) -> None:
    options = JobOptions(
        queue=QUEUE, job_id=queue_job_id(job_id), timeout_s=TIMEOUT_S, on_failure=FAILURE_CALLBACK
    )
    try:
        await queue.enqueue(ENTRY_POINT, [job_id], options)
    except Exception as error:  # the queue is down: refund at once
        log.exception("could not queue quiz job %s", job_id)
        await jobs.fail(session, job_id, ErrorClass.INTERNAL, f"queue unavailable: {error}")
        raise QueueUnavailableError(f"job {job_id} could not be queued") from error


async def shareable_result(
    session: AsyncSession, result_id: int, user_id: int
) -> SharedResult | None:
    """Result `result_id` if it is `user_id`'s own: an inline query can name any id, and a fan
    shares only their own."""
    row = (
        await session.execute(
            sa.select(FaceQuizResult, GenerationJob.telegram_file_id)
            .outerjoin(GenerationJob, GenerationJob.id == FaceQuizResult.job_id)
            .where(FaceQuizResult.id == result_id, FaceQuizResult.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        return None
    result, file_id = row
    artist = await artist_for_card(session, result.artist_id)
    return SharedResult(artist, result.score, result.badge, file_id)


async def record_result(
    session: AsyncSession,
    job_id: int,
    artist_id: int,
    score: int,
    result_key: str,
    meta: dict[str, object],
) -> ResultView:
    """Store the outcome of a quiz job (once per job) and the job's result card key."""
    job = await jobs.get_job(session, job_id)
    result = await session.scalar(sa.select(FaceQuizResult).where(FaceQuizResult.job_id == job_id))
    if result is None:
        result = FaceQuizResult(
            user_id=job.user_id,
            artist_id=artist_id,
            job_id=job_id,
            score=score,
            badge=badge_for(score),
        )
        session.add(result)
        await session.flush()
    result_id = result.id
    await jobs.store_result(session, job_id, result_key, {**meta, "result_id": result_id})
    return await get_result(session, result_id)


async def get_result(session: AsyncSession, result_id: int) -> ResultView:
    row = (
        await session.execute(
            sa.select(FaceQuizResult, Artist.slug)
            .join(Artist, Artist.id == FaceQuizResult.artist_id)
            .where(FaceQuizResult.id == result_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"quiz result {result_id} not found")
    result, slug = row
    return ResultView(
        id=result.id, user_id=result.user_id, artist_id=result.artist_id, artist_slug=slug,
        score=result.score, badge=result.badge, on_leaderboard=result.on_leaderboard,
    )  # fmt: skip


async def set_on_leaderboard(
    session: AsyncSession, user_id: int, result_id: int, shown: bool
) -> ResultView:
    """The fan opts one of their own results in (or out of) the leaderboard."""
    result = await session.get(FaceQuizResult, result_id)
    if result is None or result.user_id != user_id:
        raise NotFoundError(f"quiz result {result_id} is not theirs")
    result.on_leaderboard = shown
    await session.commit()
    return await get_result(session, result_id)


async def leaderboard(
    session: AsyncSession, artist_id: int, since: datetime | None = None
) -> list[BoardEntry]:
    """The top scores of fans who opted in, one entry per fan (their best), highest first;
    `since` (e.g. the start of today, UTC) limits it to recent results."""
    best = sa.func.max(FaceQuizResult.score).label("best")
    statement = (
        sa.select(FaceQuizResult.user_id, best, sa.func.min(FaceQuizResult.created_at))
        .where(FaceQuizResult.artist_id == artist_id, FaceQuizResult.on_leaderboard)
        .group_by(FaceQuizResult.user_id)
    )
    if since is not None:
        statement = statement.where(FaceQuizResult.created_at >= since)
    ranked = statement.subquery()
    rows = await session.execute(
        sa.select(User.first_name, ranked.c.best)
        .join(ranked, ranked.c.user_id == User.id)
        .order_by(ranked.c.best.desc(), ranked.c[2], User.id)
        .limit(LEADERBOARD_SIZE)
    )
    return [
        BoardEntry(first_name=_first_name(name), score=int(score), badge=badge_for(int(score)))
        for name, score in rows
    ]


def _first_name(name: str | None) -> str:
    """First name only, and only its first word: no surnames on a public board."""
    words = (name or "").split()
    return words[0][:32] if words else "—"


async def _free_used_today(session: AsyncSession, user_id: int, now: datetime) -> int:
    count = await session.scalar(
        sa.select(sa.func.count(GenerationJob.id)).where(
            GenerationJob.user_id == user_id,
            GenerationJob.kind == JobKind.FACE,
            GenerationJob.cost == 0,
            GenerationJob.created_at >= day_start(now),
            GenerationJob.status.not_in((JobStatus.FAILED, JobStatus.CANCELLED)),
        )
    )
    return int(count or 0)


async def _job_for_request(session: AsyncSession, request_key: str) -> int | None:
    found: int | None = await session.scalar(
        sa.select(GenerationJob.id).where(GenerationJob.request_key == request_key)
    )
    return found


async def _placed(session: AsyncSession, job_id: int, *, is_repeat: bool) -> PlacedJob:
    job = await jobs.get_job(session, job_id)
    per_job = await jobs.typical_duration_s(session, JobKind.FACE)
    return PlacedJob(
        job_id=job.id, kind=job.kind, status=job.status, cost=job.cost,
        balance_after=await ledger.balance_of(session, job.user_id), queue=QUEUE, position=0,
        eta_s=math.ceil(per_job), is_repeat=is_repeat, params=job.params,
    )  # fmt: skip
