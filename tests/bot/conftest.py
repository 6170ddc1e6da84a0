"""The bot end to end: the production dispatcher polling the fake Bot API over real HTTP, on the
real PostgreSQL test database and real Redis (keys under a per-test prefix, removed after)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.bot.factory import create_dispatcher
from stario.core.i18n import Translator
from stario.core.runtime import Runtime, build_runtime
from stario.core.settings import Settings
from tests.fakes import FakeTelegram, User
from tests.fakes.telegram_api import Call

Sessions = async_sessionmaker[AsyncSession]
REPLY_TIMEOUT_S = 5.0


@dataclass
class BotUnderTest:
    """The fake Telegram, the running dispatcher, and helpers that play a fan and wait for the
    bot's answer."""

    tg: FakeTelegram
    dp: Dispatcher
    bot: Bot
    runtime: Runtime
    db: Sessions
    translator: Translator
    redis_prefix: str
    _polling: asyncio.Task[None] | None = field(default=None, repr=False)

    def text(self, language: str, key: str, **args: object) -> str:
        return self.translator.get(language, key, **args)

    async def start(self) -> None:
        self._polling = asyncio.create_task(
            self.dp.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
            )
        )
        await self.tg.wait_for("getUpdates")

    async def stop(self) -> None:
        if self._polling is not None and not self._polling.done():
            await self.dp.stop_polling()
            await self._polling

    async def next_call(
        self,
        method: str,
        *,
        after: int,
        chat_id: int | None = None,
        timeout: float = REPLY_TIMEOUT_S,  # noqa: ASYNC109 - a deadline for polling the fake
    ) -> Call:
        """The first `method` call (to `chat_id`) recorded after index `after`."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.tg.calls[after:]:
                if call.method.lower() == method.lower() and (
                    chat_id is None or call.chat_id == chat_id
                ):
                    return call
            if time.monotonic() > deadline:
                recorded = ", ".join(
                    str(c) for c in self.tg.calls[after:] if c.method != "getUpdates"
                )
                raise AssertionError(f"no {method} within {timeout}s; after the mark: {recorded}")
            await asyncio.sleep(0.01)

    async def say(self, fan: User, text: str) -> Call:
        """The fan sends `text`; the bot's next sendMessage to them."""
        mark = len(self.tg.calls)
        self.tg.message(fan, text)
        return await self.next_call("sendMessage", after=mark, chat_id=fan.id)

    async def replies(self, fan: User, text: str, count: int) -> list[Call]:
        """The fan sends `text`; the bot's next `count` sendMessage calls to them."""
        mark = len(self.tg.calls)
        self.tg.message(fan, text)
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            sent = [
                call
                for call in self.tg.calls[mark:]
                if call.method == "sendMessage" and call.chat_id == fan.id
            ]
            if len(sent) >= count:
                return sent[:count]
            assert time.monotonic() < deadline, f"{len(sent)} of {count} replies: {sent}"
            await asyncio.sleep(0.01)

    async def press(self, fan: User, button: str, method: str = "editMessageText") -> Call:
        """The fan presses the inline button whose text contains `button`; the bot's next
        `method` call (editMessageText, sendMessage, answerCallbackQuery...)."""
        mark = len(self.tg.calls)
        self.tg.press(fan, button)
        chat = None if method.lower() == "answercallbackquery" else fan.id
        return await self.next_call(method, after=mark, chat_id=chat)

    async def settle(self, seconds: float = 0.3) -> None:
        """Give the bot time to do anything more it might (wrongly) do."""
        await asyncio.sleep(seconds)

    def fan_message(self, fan: User, content: dict[str, Any]) -> dict[str, Any]:
        """A raw message update from `fan` with `content` (e.g. a sticker)."""
        history = self.tg.chat_history(fan.id)
        message_id = max((m["message_id"] for m in history), default=0) + 1
        return {
            "message": {
                "message_id": message_id,
                "from": fan.to_dict(),
                "chat": {"id": fan.id, "type": "private", "first_name": fan.first_name},
                "date": int(time.time()),
                **content,
            }
        }


def buttons(call: Call) -> list[str]:
    """The texts of the inline buttons a call sent."""
    markup = call.params.get("reply_markup") or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


@pytest.fixture
def bot_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


async def launch(
    settings: Settings, db: Sessions, tg: FakeTelegram, **options: Any
) -> BotUnderTest:
    runtime = await build_runtime(settings.model_copy(update={"telegram_api_url": tg.url}))
    prefix = f"stario-test:{uuid.uuid4().hex[:12]}"
    dp = create_dispatcher(runtime, redis_prefix=prefix, **options)
    return BotUnderTest(
        tg=tg,
        dp=dp,
        bot=tg.make_bot(),
        runtime=runtime,
        db=db,
        translator=dp["translator"],
        redis_prefix=prefix,
    )


async def shut_down(env: BotUnderTest, redis_url: str | None) -> None:
    await env.stop()
    await env.bot.session.close()
    await env.runtime.close()
    if redis_url:
        redis = Redis.from_url(redis_url)
        try:
            keys = [key async for key in redis.scan_iter(f"{env.redis_prefix}:*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def env(
    bot_settings: Settings, db: Sessions, tg: FakeTelegram, redis_url: str
) -> AsyncIterator[BotUnderTest]:
    """The bot polling the fake, with Redis (default rate limit: 20 updates per 10 s)."""
    running = await launch(bot_settings, db, tg)
    await running.start()
    try:
        yield running
    finally:
        await shut_down(running, redis_url)
