"""Face Quiz jobs on the `face` queue: the quiz itself and the artists' gallery vectors.

`run_face_quiz(job_id)`: reads the selfie from object storage and deletes it at once (in a
`finally`, whatever happens next), embeds it in memory (no temporary file, never logged),
searches the gallery of the configured engine, stores only the score and badge
(`FaceQuizResult`), renders the result card from the artist's photo and sends it. Any failure
(no face, several faces, ... or an internal error) refunds a paid quiz exactly once and tells
the fan so; quizzes are not retried, since the selfie is gone once read.

`index_artist_photo(photo_id, notify_chat_id)`: the vector of an artist photo for the configured
engine (queued when an admin sets a photo); `index_missing` does it for every photo lacking one
(`stario face-index`).

The gallery is cached per process and engine, reloaded when its signature (vector count, newest
id) changes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as url_quote

import numpy as np
import numpy.typing as npt
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.telegram import bot_from_settings
from stario.core.errors import ArtistUnavailableError, NotFoundError, ObjectNotFoundError
from stario.core.ports.storage import Storage
from stario.core.services import face_gallery_store as store
from stario.core.services import jobs, quiz
from stario.core.services.generation import job_id_from_queue_id
from stario.models import ErrorClass, JobStatus
from stario.models.db import create_engine, create_session_factory
from stario.workers import delivery
from stario.workers.engines.base import FaceEngine, UserInputError
from stario.workers.face_gallery import FaceGallery
from stario.workers.jobs import WorkerContext, context
from stario.workers.quiz_card import CardText, render_card

log = logging.getLogger(__name__)

# Engine refusals (and the job's own) the fan gets a specific message for.
REASONS = frozenset({
    "bad_photo", "photo_too_large", "animated", "no_face", "many_faces", "face_too_small",
    "face_blurry", "selfie_gone", "artist_unavailable", "gallery_empty",
})  # fmt: skip
TOP_MATCHES = 5


# --- The gallery ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedGallery:
    signature: tuple[int, int]  # face_gallery_store.signature when it was loaded
    index: FaceGallery


_galleries: dict[str, CachedGallery] = {}


async def gallery_of(session: AsyncSession, engine: str, dimension: int) -> FaceGallery:
    """The engine's gallery, loaded once per process and again when its signature changes."""
    signature = await store.signature(session, engine)
    cached = _galleries.get(engine)
    if cached is not None and cached.signature == signature:
        return cached.index
    rows = [row for row in await store.load(session, engine) if len(row.vector) == 4 * dimension]
    vectors = np.frombuffer(b"".join(row.vector for row in rows), dtype="<f4")
    index = FaceGallery(vectors.reshape(len(rows), dimension), [row.artist_id for row in rows])
    _galleries[engine] = CachedGallery(signature, index)
    return index


def vector_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


# --- Entry points --------------------------------------------------------------------------


def run_face_quiz(job_id: int) -> None:
    asyncio.run(_quiz(context(), int(job_id)))


def on_final_failure(queue_job_id: str, error: str) -> None:
    """The queue gave up on a quiz (timed out, worker killed): refund, tell, drop the selfie."""
    asyncio.run(_give_up(context(), job_id_from_queue_id(queue_job_id), error))


def index_artist_photo(photo_id: int, notify_chat_id: int = 0) -> None:
    asyncio.run(_index_one(context(), int(photo_id), int(notify_chat_id)))


@dataclass
class _Run:
    ctx: WorkerContext
    sessions: async_sessionmaker[AsyncSession]
    bot: Bot | None

    @property
    def engine(self) -> FaceEngine:
        return self.ctx.engines.face


@asynccontextmanager
async def _open(ctx: WorkerContext) -> AsyncIterator[_Run]:
    engine = create_engine(ctx.settings.database_url, pooled=False)
    bot = bot_from_settings(ctx.settings)
    try:
        yield _Run(ctx, create_session_factory(engine), bot)
    finally:
        if bot is not None:
            await bot.session.close()
        await engine.dispose()


# --- The quiz ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Match:
    artist_id: int
    distance: float
    score: int


async def _quiz(ctx: WorkerContext, job_id: int) -> None:
    async with _open(ctx) as run:
        async with run.sessions() as session:
            selfie_key = str((await jobs.get_job(session, job_id)).params.get("selfie_key", ""))
            job = await jobs.start(session, job_id)
        if job is None:
            await _drop(ctx.storage, selfie_key)
            log.info("quiz job %s is no longer runnable; skipped", job_id)
            return
        try:
            match = await _match(run, job, await _take(ctx.storage, selfie_key))
            await _deliver(run, job, match)
        except UserInputError as error:
            await _fail(run, job_id, ErrorClass.USER_INPUT, error.reason, error.reason)
        except Exception as error:
            log.exception("quiz job %s failed", job_id)
            await _fail(run, job_id, ErrorClass.INTERNAL, "internal", type(error).__name__)


async def _take(storage: Storage, key: str) -> bytes:
    """The selfie's bytes; the object is deleted whether reading it worked or not."""
    try:
        return await storage.get(key)
    except ObjectNotFoundError:
        raise UserInputError("selfie_gone") from None
    finally:
        await _drop(storage, key)


async def _drop(storage: Storage, key: str) -> None:
    if quiz.is_selfie_key(key):
        await storage.delete(key)


async def _match(run: _Run, job: jobs.JobView, selfie: bytes) -> _Match:
    engine = run.engine
    embedding = await asyncio.to_thread(engine.embed_selfie, selfie)
    del selfie
    slug = job.params.get("artist_slug") if job.params.get("mode") == quiz.Mode.ONE else None
    async with run.sessions() as session:
        try:
            allowed = await quiz.quiz_artist_ids(session, str(slug) if slug else None)
        except ArtistUnavailableError:
            raise UserInputError("artist_unavailable") from None
        gallery = await gallery_of(session, engine.name, engine.dimension)
    found = gallery.best_per_artist(embedding.vector, allowed, 1) if allowed else []
    if not found:
        raise UserInputError("gallery_empty")
    best = found[0]
    score = min(100, max(0, round(engine.similarity_percent(best.distance))))
    return _Match(best.artist_id, best.distance, score)


async def _deliver(run: _Run, job: jobs.JobView, match: _Match) -> None:
    translator, language = run.ctx.translator, job.language
    async with run.sessions() as session:
        artist = await quiz.artist_for_card(session, match.artist_id)
    name = artist.name_in(language)
    badge = quiz.badge_for(match.score)
    photo = await _artist_photo(run.ctx.storage, artist.primary_photo_key)
    text = CardText(
        headline=translator.get(language, "quiz-card-headline", artist=name),
        badge=translator.get(language, f"quiz-badge-{badge}"),
        artist_name=name,
        footer=translator.get(language, "quiz-card-footer"),
    )
    card = await asyncio.to_thread(render_card, photo, match.score, badge, text)
    result_key = f"results/{job.id}/quiz.jpg"
    await run.ctx.storage.put(result_key, card, "image/jpeg")
    async with run.sessions() as session:
        result = await quiz.record_result(
            session, job.id, match.artist_id, match.score, result_key,
            {"score": match.score, "badge": badge, "artist_id": match.artist_id},
        )  # fmt: skip
    if job.chat_id is None or run.bot is None:
        async with run.sessions() as session:
            await jobs.mark_undelivered(session, job.id, "no chat or no bot token")
        return
    mode_key = "quiz-caption-all" if job.params.get("mode") == quiz.Mode.ALL else "quiz-caption"
    caption = translator.get(
        language, mode_key, artist=name, score=match.score,
        badge=translator.get(language, f"quiz-badge-{badge}"),
    )  # fmt: skip
    keyboard = await result_keyboard(run, job, result, artist.slug, name, artist.takes_greetings)
    reporter = _reporter(run, job)
    bot, chat_id = run.bot, job.chat_id
    try:
        message = await delivery.with_retries(
            lambda: bot.send_photo(
                chat_id, BufferedInputFile(card, "stario-quiz.jpg"), caption=caption,
                reply_markup=keyboard,
            ),
            "send quiz card",
        )  # fmt: skip
    except delivery.ChatUnreachable as error:
        async with run.sessions() as session:
            await jobs.mark_undelivered(session, job.id, str(error))
        return
    async with run.sessions() as session:
        await jobs.mark_delivered(
            session, job.id, message.photo[-1].file_id if message.photo else None
        )
    await reporter.clear()


async def result_keyboard(
    run: _Run, job: jobs.JobView, result: quiz.ResultView, slug: str, name: str,
    takes_greetings: bool,
) -> InlineKeyboardMarkup:  # fmt: skip
    """Try again · Share · Share my card · Order a greeting · Show me on the leaderboard. The
    callback data follow `stario.handlers.quiz.QuizCb` and `stario.handlers.common.OrderCb`
    (tested)."""
    t = run.ctx.translator
    language = job.language
    again_artist = result.artist_id if job.params.get("mode") == quiz.Mode.ONE else 0
    rows = [
        [InlineKeyboardButton(text=t.get(language, "quiz-btn-again"),
                              callback_data=f"quiz:again:{again_artist}:0")],
    ]  # fmt: skip
    share = await _share_url(run, language, slug, name, result.score)
    if share is not None:
        rows[0].append(InlineKeyboardButton(text=t.get(language, "quiz-btn-share"), url=share))
    rows.append([InlineKeyboardButton(
        text=t.get(language, "quiz-btn-share-card"), switch_inline_query=f"quiz_{result.id}"
    )])  # fmt: skip
    if takes_greetings:
        rows.append([InlineKeyboardButton(
            text=t.get(language, "quiz-btn-order-greeting", artist=name),
            callback_data=f"ord:greeting:{result.artist_id}",
        )])  # fmt: skip
    rows.append([InlineKeyboardButton(
        text=t.get(language, "quiz-btn-show-me"),
        callback_data=f"quiz:show:{result.artist_id}:{result.id}",
    )])  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _share_url(run: _Run, language: str, slug: str, name: str, score: int) -> str | None:
    if run.bot is None:
        return None
    try:
        me = await delivery.with_retries(run.bot.me, "getMe")
    except Exception as error:  # no share button rather than no result
        log.info("no bot username for the share link: %s", error)
        return None
    if not me.username:
        return None
    link = f"https://t.me/{me.username}?start=quiz_{slug}"
    text = run.ctx.translator.get(language, "quiz-share-text", artist=name, score=score)
    return f"https://t.me/share/url?url={url_quote(link, safe='')}&text={url_quote(text, safe='')}"


async def _artist_photo(storage: Storage, key: str | None) -> bytes | None:
    if key is None:
        return None
    try:
        return await storage.get(key)
    except (ObjectNotFoundError, OSError) as error:
        log.warning("artist photo %s unavailable for a quiz card: %s", key, error)
        return None


async def _fail(run: _Run, job_id: int, error_class: ErrorClass, reason: str, detail: str) -> None:
    async with run.sessions() as session:
        ending = await jobs.fail(session, job_id, error_class, detail)
    if not ending.changed:
        return
    job, t = ending.job, run.ctx.translator
    key = f"quiz-error-{reason.replace('_', '-')}" if reason in REASONS else "quiz-error-internal"
    cost_line = "quiz-not-charged" if ending.refunded else "quiz-free-not-counted"
    text = "\n\n".join((t.get(job.language, key), t.get(job.language, cost_line)))
    again_artist = (job.artist_id or 0) if job.params.get("mode") == quiz.Mode.ONE else 0
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=t.get(job.language, "quiz-btn-again"), callback_data=f"quiz:again:{again_artist}:0",
    )]])  # fmt: skip
    reporter = _reporter(run, job)
    await reporter.clear()
    bot, chat_id = run.bot, job.chat_id
    if bot is None or chat_id is None:
        return
    try:
        await delivery.with_retries(
            lambda: bot.send_message(chat_id, text, reply_markup=keyboard), "quiz failure"
        )
    except delivery.ChatUnreachable:
        log.info("quiz job %s: fan unreachable for the failure notice", job_id)


async def _give_up(ctx: WorkerContext, job_id: int, detail: str) -> None:
    async with _open(ctx) as run:
        async with run.sessions() as session:
            job = await jobs.get_job(session, job_id)
        await _drop(ctx.storage, str(job.params.get("selfie_key", "")))
        if job.status is JobStatus.RUNNING and job.result_key is not None:
            async with run.sessions() as session:
                await jobs.mark_undelivered(session, job_id, detail)
            return
        await _fail(run, job_id, ErrorClass.CAPACITY, "internal", detail[:200])


def _reporter(run: _Run, job: jobs.JobView) -> delivery.ChatReporter:
    return delivery.ChatReporter(
        bot=run.bot, translator=run.ctx.translator, chat_id=job.chat_id,
        message_id=job.status_message_id, language=job.language, job_id=job.id,
    )  # fmt: skip


# --- The gallery's vectors -----------------------------------------------------------------


async def _index_one(ctx: WorkerContext, photo_id: int, notify_chat_id: int) -> None:
    async with _open(ctx) as run:
        try:
            outcome = await _index(run, photo_id)
        except NotFoundError:
            log.info("artist photo %s is gone; nothing to index", photo_id)
            return
        if notify_chat_id and run.bot is not None:
            text = ctx.translator.get(
                None, f"quiz-admin-photo-{outcome.status}", slug=outcome.slug,
                reason=outcome.reason, engine=run.engine.name,
            )  # fmt: skip
            try:
                await delivery.send_text(run.bot, notify_chat_id, text)
            except delivery.ChatUnreachable:
                log.info("could not tell admin %s about photo %s", notify_chat_id, photo_id)


@dataclass(frozen=True, slots=True)
class IndexOutcome:
    photo_id: int
    slug: str
    status: str  # indexed, no-face
    reason: str = ""
    milliseconds: float = 0.0


async def _index(run: _Run, photo_id: int) -> IndexOutcome:
    async with run.sessions() as session:
        ref = await store.photo(session, photo_id)
    data = await run.ctx.storage.get(ref.storage_key)
    engine = run.engine
    started = time.perf_counter()
    try:
        embedding = await asyncio.to_thread(engine.embed_photo, data)
    except UserInputError as error:  # the photo stays; it just cannot serve the quiz
        log.info("artist photo %s (%s): %s", photo_id, ref.slug, error.reason)
        return IndexOutcome(photo_id, ref.slug, "no-face", error.reason)
    async with run.sessions() as session:
        await store.save_vector(
            session, photo_id, engine.name, engine.dimension, vector_bytes(embedding.vector)
        )
    milliseconds = (time.perf_counter() - started) * 1000
    return IndexOutcome(photo_id, ref.slug, "indexed", milliseconds=round(milliseconds, 1))


async def index_missing(ctx: WorkerContext, artist_slug: str | None) -> dict[str, Any]:
    """Compute the vectors the configured engine lacks (of one artist, or of all)."""
    async with _open(ctx) as run:
        async with run.sessions() as session:
            missing = await store.photos_missing(session, run.engine.name, artist_slug)
        outcomes = [await _index(run, photo.id) for photo in missing]
    return {
        "engine": ctx.engines.face.name,
        "indexed": sum(outcome.status == "indexed" for outcome in outcomes),
        "no_face": [
            {"photo_id": o.photo_id, "artist": o.slug, "reason": o.reason}
            for o in outcomes if o.status != "indexed"
        ],
    }  # fmt: skip


async def match_selfie(
    ctx: WorkerContext, selfie: bytes, artist_slug: str | None
) -> dict[str, Any]:
    """`stario face-match`: the best gallery matches for a selfie, as JSON-ready data."""
    engine = ctx.engines.face
    async with _open(ctx) as run:
        started = time.perf_counter()
        embedding = await asyncio.to_thread(engine.embed_selfie, selfie)
        async with run.sessions() as session:
            allowed = await quiz.quiz_artist_ids(session, artist_slug)
            gallery = await gallery_of(session, engine.name, engine.dimension)
            found = (
                gallery.best_per_artist(embedding.vector, allowed, TOP_MATCHES) if allowed else []
            )
            cards = {match.artist_id: await quiz.artist_for_card(session, match.artist_id)
                     for match in found}  # fmt: skip
        milliseconds = (time.perf_counter() - started) * 1000
    language = ctx.settings.default_language
    return {
        "engine": engine.name,
        "gallery_size": len(gallery),
        "matches": [
            {"artist": cards[match.artist_id].slug,
             "name": cards[match.artist_id].name_in(language),
             "similarity_percent": round(engine.similarity_percent(match.distance), 1),
             "distance": round(match.distance, 4)}
            for match in found
        ],
        "face_box": list(embedding.box),
        "milliseconds": round(milliseconds, 1),
    }  # fmt: skip
