"""The broadcast sender: an asyncio task in the bot process per broadcast being sent.

- Pace: at most `rate` messages a second over all broadcasts of this process (a token bucket
  holding one token: consecutive sends are at least 1/rate s apart, so any second holds at most
  `rate` of them).
- 429 Too Many Requests: sleeps `retry_after` (the whole sender pauses) and sends again.
- 403 (the fan blocked the bot) or "chat not found": the recipient is skipped and counted.
- 5xx and network errors: retried with backoff, then counted as failed.
- One progress message (the one the /broadcast handler posted) is edited at most every
  `progress_every_s` seconds; at the end it shows the final count, which is also posted anew.
- At most once: each recipient is claimed ("sending", committed) before its message goes out
  and marked after (`stario.core.services.broadcasts`). On startup (`dp.startup`) every
  broadcast still "sending" is resumed: rows a dead sender left "sending" count as failed and
  are never sent again, so a restart sends nobody the message twice. Several processes (webhook
  workers) may all resume one broadcast: their claims never overlap (SKIP LOCKED), but one's
  recovery may count another's in-flight message as failed (a miscount, never a duplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.i18n import Translator
from stario.core.services import broadcasts
from stario.core.services.broadcasts import BroadcastView
from stario.models import RecipientStatus

log = logging.getLogger(__name__)

RATE = 25.0  # messages a second; Telegram allows about 30
PROGRESS_EVERY_S = 3.0
BACKOFF_S = (0.5, 1.0, 2.0, 4.0)
MAX_RETRY_AFTER = 10  # 429s for one message before it counts as failed
MAX_RETRY_AFTER_S = 300.0


class TokenBucket:
    """`rate` tokens a second, holding at most one: `take()` waits for the next token."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval

    def pause(self, seconds: float) -> None:
        """No token before `seconds` from now (Telegram said retry_after)."""
        self._next = max(self._next, time.monotonic() + seconds)


class Broadcaster:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        translator: Translator,
        *,
        rate: float = RATE,
        progress_every_s: float = PROGRESS_EVERY_S,
        backoff_s: tuple[float, ...] = BACKOFF_S,
    ) -> None:
        self.sessions = sessions
        self.translator = translator
        self.bucket = TokenBucket(rate)
        self.progress_every_s = progress_every_s
        self.backoff_s = backoff_s
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._resuming: asyncio.Task[list[int]] | None = None

    # Lifecycle --------------------------------------------------------------------------------

    def start(self, bot: Bot, broadcast_id: int, *, recover: bool = False) -> asyncio.Task[None]:
        """Send broadcast `broadcast_id` (already confirmed) in the background, once."""
        running = self.tasks.get(broadcast_id)
        if running is not None and not running.done():
            return running
        task = asyncio.create_task(
            self._run(bot, broadcast_id, recover=recover), name=f"broadcast-{broadcast_id}"
        )
        self.tasks[broadcast_id] = task
        return task

    async def on_startup(self, bot: Bot) -> None:
        """`dp.startup`: resume every broadcast left "sending" (in the background)."""
        self._resuming = asyncio.create_task(self.resume(bot), name="broadcast-resume")

    async def resume(self, bot: Bot) -> list[int]:
        try:
            async with self.sessions() as session:
                found = await broadcasts.sending(session)
        except Exception:
            log.exception("could not look for broadcasts to resume")
            return []
        for broadcast_id in found:
            log.info("resuming broadcast %s", broadcast_id)
            self.start(bot, broadcast_id, recover=True)
        return found

    async def wait(self) -> None:
        """Until every broadcast started here has ended (tests, shutdown)."""
        if self._resuming is not None:
            await self._resuming
        while pending := [task for task in self.tasks.values() if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def stop(self) -> None:
        """`dp.shutdown`: stop sending; what is left is resumed on the next start."""
        tasks: list[asyncio.Task[Any]] = list(self.tasks.values())
        if self._resuming is not None:
            tasks.append(self._resuming)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # Sending ----------------------------------------------------------------------------------

    async def _run(self, bot: Bot, broadcast_id: int, *, recover: bool) -> None:
        try:
            if recover:
                async with self.sessions() as session:
                    lost = await broadcasts.recover(session, broadcast_id)
                if lost:
                    log.warning("broadcast %s: %s unconfirmed sends counted failed",
                                broadcast_id, lost)  # fmt: skip
            async with self.sessions() as session:
                current = await broadcasts.get(session, broadcast_id)
                language = await broadcasts.language_of(session, current.created_by)
            last_edit = time.monotonic()
            while True:
                async with self.sessions() as session:
                    claimed = await broadcasts.claim(session, broadcast_id)
                if not claimed:
                    break
                for recipient in claimed:
                    outcome = await self._deliver(bot, recipient.user_id, current.text)
                    async with self.sessions() as session:
                        await broadcasts.mark(session, recipient.recipient_id, outcome)
                if time.monotonic() - last_edit >= self.progress_every_s:
                    last_edit = time.monotonic()
                    async with self.sessions() as session:
                        now = await broadcasts.get(session, broadcast_id)
                    await self._edit(bot, now, self._text(language, "broadcast-progress", now))
            async with self.sessions() as session:
                final, finished = await broadcasts.finish(session, broadcast_id)
            if finished:
                text = self._text(language, "broadcast-done", final)
                await self._edit(bot, final, text)
                if final.progress_chat_id is not None:
                    with contextlib.suppress(TelegramAPIError):
                        await bot.send_message(final.progress_chat_id, text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("broadcast %s stopped; it resumes on the next start", broadcast_id)

    async def _deliver(self, bot: Bot, user_id: int, text: str) -> RecipientStatus:
        limited = errors = 0
        while True:
            await self.bucket.take()
            try:
                await bot.send_message(user_id, text, parse_mode=None)
            except TelegramRetryAfter as error:
                limited += 1
                if limited > MAX_RETRY_AFTER:
                    return RecipientStatus.FAILED
                wait = min(float(error.retry_after), MAX_RETRY_AFTER_S)
                log.info("broadcast: Telegram asks to wait %.1f s", wait)
                self.bucket.pause(wait)
            except (TelegramForbiddenError, TelegramNotFound):
                return RecipientStatus.BLOCKED
            except TelegramBadRequest as error:
                if "chat not found" in str(error).lower() or "deactivated" in str(error):
                    return RecipientStatus.BLOCKED
                log.warning("broadcast to %s refused: %s", user_id, error)
                return RecipientStatus.FAILED
            except (TelegramServerError, TelegramNetworkError) as error:
                if errors >= len(self.backoff_s):
                    log.warning("broadcast to %s failed: %s", user_id, error)
                    return RecipientStatus.FAILED
                await asyncio.sleep(self.backoff_s[errors])
                errors += 1
            except TelegramAPIError as error:
                log.warning("broadcast to %s failed: %s", user_id, error)
                return RecipientStatus.FAILED
            else:
                return RecipientStatus.SENT

    def _text(self, language: str | None, key: str, view: BroadcastView) -> str:
        return self.translator.get(
            language, key, id=str(view.id), done=view.done, total=view.total,
            sent=view.sent, skipped=view.skipped, failed=view.failed,
        )  # fmt: skip

    async def _edit(self, bot: Bot, view: BroadcastView, text: str) -> None:
        if view.progress_chat_id is None or view.progress_message_id is None:
            return
        try:
            await bot.edit_message_text(
                text=text, chat_id=view.progress_chat_id, message_id=view.progress_message_id
            )
        except TelegramAPIError as error:  # "message is not modified", deleted...
            log.info("broadcast %s: progress not edited: %s", view.id, error)
