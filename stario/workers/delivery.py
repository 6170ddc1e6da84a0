"""Talking to the fan's chat from a worker: progress edits, the result, failure notices.

Telegram's 429 is honoured (`retry_after`), 5xx and network errors are retried with backoff,
and a blocked bot or a vanished chat raises ChatUnreachable so the job is kept as undelivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from stario.core.i18n import Translator

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 6
MAX_RETRY_AFTER_S = 60.0
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
PROGRESS_EVERY_S = 3.0


class ChatUnreachable(Exception):
    """The bot was blocked, or the chat no longer exists."""


async def with_retries(call: Callable[[], Awaitable[T]], what: str) -> T:
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await call()
        except TelegramRetryAfter as error:
            wait = min(float(error.retry_after), MAX_RETRY_AFTER_S)
            log.info("%s: Telegram asks to wait %.1f s", what, wait)
        except (TelegramServerError, TelegramNetworkError) as error:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            log.info("%s: %s, retrying in %.1f s", what, error.__class__.__name__, wait)
        except TelegramForbiddenError as error:
            raise ChatUnreachable(str(error)) from error
        except TelegramNotFound as error:
            raise ChatUnreachable(str(error)) from error
        except TelegramBadRequest as error:
            if "chat not found" in str(error).lower():
                raise ChatUnreachable(str(error)) from error
            raise
        await asyncio.sleep(wait)
    raise TelegramNetworkError(method=None, message=f"{what}: gave up after retries")  # type: ignore[arg-type]


@dataclass(slots=True)
class ChatReporter:
    """Edits one status message in a chat, at most once every PROGRESS_EVERY_S seconds."""

    bot: Bot | None  # None: no BOT_TOKEN (e.g. `stario dev` without a bot), nothing is sent
    translator: Translator
    chat_id: int | None
    message_id: int | None
    language: str
    job_id: int
    _last_edit: float = 0.0
    _last_text: str = ""

    async def stage(self, stage: str, *, force: bool = False) -> None:
        text = self.translator.get(self.language, f"job-stage-{stage}", job=self.job_id)
        now = time.monotonic()
        if self.bot is None or self.chat_id is None or text == self._last_text:
            return
        if not force and now - self._last_edit < PROGRESS_EVERY_S:
            return
        self._last_edit, self._last_text = now, text
        bot, chat_id, message_id = self.bot, self.chat_id, self.message_id
        try:
            if message_id is None:
                sent = await with_retries(lambda: bot.send_message(chat_id, text), "status")
                self.message_id = sent.message_id
            else:
                await with_retries(
                    lambda: bot.edit_message_text(
                        text=text, chat_id=chat_id, message_id=message_id
                    ),
                    "progress",
                )
        except (TelegramBadRequest, ChatUnreachable) as error:
            # Progress is a courtesy: a failed edit never fails the job.
            log.info("progress edit for job %s skipped: %s", self.job_id, error)

    async def clear(self) -> None:
        if self.bot is None or self.chat_id is None or self.message_id is None:
            return
        try:
            await self.bot.delete_message(self.chat_id, self.message_id)
        except Exception as error:  # a leftover status message is harmless
            log.info("could not delete status message of job %s: %s", self.job_id, error)

    async def say(self, text: str) -> None:
        bot, chat_id = self.bot, self.chat_id
        if bot is None or chat_id is None:
            return
        await send_text(bot, chat_id, text)


async def send_text(bot: Bot, chat_id: int, text: str) -> None:
    await with_retries(lambda: bot.send_message(chat_id, text), "message")


def result_keyboard(
    translator: Translator, language: str, job_id: int, artist_slug: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=translator.get(language, "btn-generate-again"), callback_data=f"again:{job_id}"
    )
    builder.button(text=translator.get(language, "btn-order-another"), callback_data="menu:order")
    builder.button(
        text=translator.get(language, "btn-share"), switch_inline_query=f"artist_{artist_slug}"
    )
    builder.adjust(2, 1)
    return builder.as_markup()


async def send_video(
    bot: Bot,
    chat_id: int,
    *,
    video: bytes | str,
    width: int,
    height: int,
    duration_s: float,
    thumbnail: bytes | None,
    caption: str,
    keyboard: InlineKeyboardMarkup,
) -> str:
    """Send the greeting; returns Telegram's file_id (re-sending it later costs no upload)."""
    media = video if isinstance(video, str) else BufferedInputFile(video, "greeting.mp4")
    thumb = BufferedInputFile(thumbnail, "thumbnail.jpg") if thumbnail else None
    message = await with_retries(
        lambda: bot.send_video(
            chat_id,
            video=media,
            width=width,
            height=height,
            duration=max(1, round(duration_s)),
            thumbnail=thumb,
            supports_streaming=True,
            caption=caption,
            reply_markup=keyboard,
        ),
        "send video",
    )
    if message.video is None:
        raise TelegramNetworkError(method=None, message="sendVideo returned no video")  # type: ignore[arg-type]
    return message.video.file_id


async def send_poster(
    bot: Bot,
    chat_id: int,
    *,
    preview: bytes | str,
    full: bytes,
    caption: str,
    document_caption: str,
    keyboard: InlineKeyboardMarkup,
) -> str:
    """Send the poster as a photo and the full-resolution file as a document; the photo's
    file_id is returned."""
    photo = preview if isinstance(preview, str) else BufferedInputFile(preview, "poster.jpg")
    message = await with_retries(
        lambda: bot.send_photo(chat_id, photo=photo, caption=caption, reply_markup=keyboard),
        "send poster",
    )
    await with_retries(
        lambda: bot.send_document(
            chat_id,
            document=BufferedInputFile(full, "stario-poster.jpg"),
            caption=document_caption,
            disable_content_type_detection=True,
        ),
        "send poster file",
    )
    if not message.photo:
        raise TelegramNetworkError(method=None, message="sendPhoto returned no photo")  # type: ignore[arg-type]
    return message.photo[-1].file_id
