"""RQ job entry points. They take a job id only; everything else is loaded from the database.

Error classes (DESIGN §6):
- user input (no face, unusable photo or text, artist no longer available): refund, a specific
  message, no retry;
- transient and capacity errors: raised, so the queue retries them with backoff; when retries
  run out `on_final_failure` refunds and tells the fan;
- anything else is internal: refund, apology, admin alert, no retry.
Whatever ends a job, the refund happens once (the ledger reverses `job:<id>:charge` once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.storage_factory import build_storage
from stario.core.adapters.telegram import bot_from_settings
from stario.core.i18n import Translator
from stario.core.ports.storage import Storage
from stario.core.services import catalog, jobs
from stario.core.services.generation import job_id_from_queue_id
from stario.core.settings import Settings, load_settings
from stario.models import Artist, ErrorClass, JobKind, JobStatus, Product, utcnow
from stario.models.db import create_engine, create_session_factory
from stario.workers import delivery
from stario.workers.engines.base import CapacityError, TransientEngineError, UserInputError
from stario.workers.engines.registry import Engines
from stario.workers.pipelines import make_greeting, make_poster

log = logging.getLogger(__name__)

FAILURE_MESSAGE_OF = {
    "no_face": "job-failed-no-face",
    "bad_photo": "job-failed-bad-photo",
    "empty_text": "job-failed-text",
    "text_too_long": "job-failed-text",
    "artist_unavailable": "job-failed-artist-unavailable",
}
TELEGRAM_DOWN = (TelegramServerError, TelegramNetworkError)
PRODUCT_OF = {JobKind.GREETING: Product.GREETING, JobKind.POSTER: Product.POSTER}


@dataclass
class WorkerContext:
    """What a worker process builds once: settings, engines, storage, texts."""

    settings: Settings
    engines: Engines
    storage: Storage
    translator: Translator


_context: WorkerContext | None = None


def configure(settings: Settings) -> WorkerContext:
    """Build this process's context (the `stario worker` command and tests call it)."""
    global _context
    _context = WorkerContext(
        settings=settings,
        engines=Engines(settings),
        storage=build_storage(settings),
        translator=Translator(settings.default_language),
    )
    return _context


def context() -> WorkerContext:
    return _context or configure(load_settings())


def run_greeting(job_id: int) -> None:
    asyncio.run(_run(context(), int(job_id)))


def run_poster(job_id: int) -> None:
    asyncio.run(_run(context(), int(job_id)))


def on_final_failure(queue_job_id: str, error: str) -> None:
    """Called once when the queue gives up on a job (retries exhausted, worker killed)."""
    error_class = ErrorClass.CAPACITY
    if error.startswith(TransientEngineError.__name__):
        error_class = ErrorClass.TRANSIENT
    asyncio.run(_give_up(context(), job_id_from_queue_id(queue_job_id), error_class, error))


@dataclass
class _Job:
    ctx: WorkerContext
    sessions: async_sessionmaker[AsyncSession]
    bot: Bot | None


@asynccontextmanager
async def _open(ctx: WorkerContext) -> AsyncIterator[_Job]:
    engine = create_engine(ctx.settings.database_url, pooled=False)
    bot = bot_from_settings(ctx.settings)
    try:
        yield _Job(ctx, create_session_factory(engine), bot)
    finally:
        if bot is not None:
            await bot.session.close()
        await engine.dispose()


async def _run(ctx: WorkerContext, job_id: int) -> None:
    async with _open(ctx) as run:
        async with run.sessions() as session:
            job = await jobs.start(session, job_id)
        if job is None:
            log.info("job %s is no longer runnable; skipped", job_id)
            return
        reporter = _reporter(run, job)
        try:
            if job.result_key is None:
                await _check_artist(run, job)
                await _generate(run, job, reporter)
            await _deliver(run, job_id, reporter)
        except UserInputError as error:
            await _end(run, job_id, ErrorClass.USER_INPUT, str(error), error.reason)
        except (CapacityError, TransientEngineError, OSError, TimeoutError, *TELEGRAM_DOWN):
            raise  # the queue retries with backoff (delivery only, once the result exists)
        except Exception as error:
            log.exception("job %s failed", job_id)
            await _end(run, job_id, ErrorClass.INTERNAL, f"{type(error).__name__}: {error}")


async def _check_artist(run: _Job, job: jobs.JobView) -> None:
    """The artist may have been suspended (or lost consent) since the order was queued."""
    async with run.sessions() as session:
        artist = await session.get(Artist, job.artist_id) if job.artist_id else None
        if artist is None:
            raise UserInputError("artist_unavailable", "artist deleted")
        await session.refresh(artist, ["restriction"])
        problem = catalog.availability_problem(artist, PRODUCT_OF[job.kind], utcnow())
    if problem is not None:
        raise UserInputError("artist_unavailable", problem)


async def _generate(run: _Job, job: jobs.JobView, reporter: delivery.ChatReporter) -> None:
    loop = asyncio.get_running_loop()

    def progress(stage: str) -> None:  # called from the engine's thread
        asyncio.run_coroutine_threadsafe(reporter.stage(stage), loop)

    photo_key = job.params.get("photo_key")
    if not photo_key:
        raise UserInputError("bad_photo", "the artist has no photo")
    photo = await run.ctx.storage.get(str(photo_key))
    engines = run.ctx.engines
    if job.kind is JobKind.GREETING:
        video = await asyncio.to_thread(make_greeting, engines, photo, job.params, progress)
        await run.ctx.storage.put(_key(job.id, "greeting.mp4"), video.mp4, "video/mp4")
        await run.ctx.storage.put(
            _key(job.id, "thumbnail.jpg"), video.thumbnail_jpeg, "image/jpeg"
        )
        meta = {"width": video.width, "height": video.height, "duration_s": video.duration_s}
        result_key = _key(job.id, "greeting.mp4")
    else:
        poster = await asyncio.to_thread(make_poster, engines, photo, job.params, progress)
        await run.ctx.storage.put(_key(job.id, "poster.jpg"), poster.jpeg, "image/jpeg")
        await run.ctx.storage.put(_key(job.id, "preview.jpg"), poster.preview_jpeg, "image/jpeg")
        meta = {"width": poster.width, "height": poster.height}
        result_key = _key(job.id, "poster.jpg")
    async with run.sessions() as session:
        await jobs.store_result(session, job.id, result_key, meta)


async def _deliver(run: _Job, job_id: int, reporter: delivery.ChatReporter) -> None:
    async with run.sessions() as session:
        await jobs.refund_late(session, job_id)
        job = await jobs.get_job(session, job_id)
    if job.chat_id is None or run.bot is None:
        async with run.sessions() as session:
            await jobs.mark_undelivered(session, job_id, "no chat or no bot token")
        return
    await reporter.stage("sending", force=True)
    translator, language = run.ctx.translator, job.language
    artist = str(job.params.get("artist_name", ""))
    caption_key = "job-caption-greeting" if job.kind is JobKind.GREETING else "job-caption-poster"
    caption = "\n".join(
        line
        for line in (
            translator.get(language, caption_key, artist=artist),
            translator.get(language, "job-caption-gift") if job.is_gift else "",
            translator.get(language, "job-caption-ai", artist=artist),
        )
        if line
    )
    keyboard = delivery.result_keyboard(
        translator, language, job.id, str(job.params.get("artist_slug", ""))
    )
    storage, result = run.ctx.storage, job.params.get("result", {})
    try:
        if job.kind is JobKind.GREETING:
            file_id = await delivery.send_video(
                run.bot,
                job.chat_id,
                video=job.telegram_file_id or await storage.get(_key(job.id, "greeting.mp4")),
                width=int(result.get("width", 720)),
                height=int(result.get("height", 1280)),
                duration_s=float(result.get("duration_s", 1.0)),
                thumbnail=await storage.get(_key(job.id, "thumbnail.jpg")),
                caption=caption,
                keyboard=keyboard,
            )
        else:
            file_id = await delivery.send_poster(
                run.bot,
                job.chat_id,
                preview=job.telegram_file_id or await storage.get(_key(job.id, "preview.jpg")),
                full=await storage.get(_key(job.id, "poster.jpg")),
                caption=caption,
                document_caption=translator.get(language, "job-document-poster"),
                keyboard=keyboard,
            )
    except delivery.ChatUnreachable as error:
        async with run.sessions() as session:
            await jobs.mark_undelivered(session, job_id, str(error))
        return
    async with run.sessions() as session:
        await jobs.mark_delivered(session, job_id, file_id)
    await reporter.clear()


async def _end(
    run: _Job, job_id: int, error_class: ErrorClass, detail: str, reason: str | None = None
) -> None:
    async with run.sessions() as session:
        ending = await jobs.fail(session, job_id, error_class, detail)
    if not ending.changed:
        return
    job = ending.job
    key = {
        ErrorClass.USER_INPUT: FAILURE_MESSAGE_OF.get(reason or "", "job-failed-text"),
        ErrorClass.CAPACITY: "job-failed-capacity",
        ErrorClass.TRANSIENT: "job-failed-capacity",
        ErrorClass.INTERNAL: "job-failed-internal",
    }[error_class]
    translator = run.ctx.translator
    reporter = _reporter(run, job)
    text = translator.get(
        job.language, key, job=job.id, artist=str(job.params.get("artist_name", ""))
    )
    try:
        await reporter.clear()
        await reporter.say(text)
    except delivery.ChatUnreachable:
        log.info("job %s: fan unreachable for the failure notice", job_id)
    if error_class is ErrorClass.INTERNAL:
        await _alert_admins(run, job, detail)


async def _give_up(ctx: WorkerContext, job_id: int, error_class: ErrorClass, detail: str) -> None:
    async with _open(ctx) as run:
        async with run.sessions() as session:
            job = await jobs.get_job(session, job_id)
        if job.status is JobStatus.RUNNING and job.result_key is not None:
            # Made but never handed over (Telegram down for all retries): keep it in history.
            async with run.sessions() as session:
                await jobs.mark_undelivered(session, job_id, detail)
            return
        await _end(run, job_id, error_class, detail)


async def _alert_admins(run: _Job, job: jobs.JobView, detail: str) -> None:
    bot = run.bot
    if bot is None:
        return
    for admin_id in run.ctx.settings.admin_ids:
        text = run.ctx.translator.get(
            None, "admin-job-failed", job=job.id, kind=job.kind.value,
            error_class=ErrorClass.INTERNAL.value, detail=detail[:300],
        )  # fmt: skip
        try:
            await delivery.send_text(bot, admin_id, text)
        except Exception as error:  # an alert that cannot be sent must not hide the failure
            log.warning("admin alert to %s failed: %s", admin_id, error)


def _reporter(run: _Job, job: jobs.JobView) -> delivery.ChatReporter:
    return delivery.ChatReporter(
        bot=run.bot,
        translator=run.ctx.translator,
        chat_id=job.chat_id,
        message_id=job.status_message_id,
        language=job.language,
        job_id=job.id,
    )


def _key(job_id: int, name: str) -> str:
    return f"results/{job_id}/{name}"
