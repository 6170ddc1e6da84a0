"""The one dispatcher factory, used by long polling (`stario bot`, `stario dev`), by webhook mode
(`stario web`, POST /telegram/webhook) and by the tests.

FSM state lives in Redis (REDIS_URL) so any process can continue a fan's conversation; without
Redis (`stario dev`) it stays in memory. The handler data every handler can ask for:
`runtime`, `settings`, `translator` (from here), `session`, `signup`, `user`, `lang`, `t` (from
the middlewares, see `stario.bot.middlewares`), plus aiogram's `bot`, `state`, `event_update`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from redis.asyncio import Redis

from stario.bot.middlewares import (
    DuplicateUpdateMiddleware,
    RateLimitMiddleware,
    SessionMiddleware,
    UserMiddleware,
)
from stario.core.adapters.telegram import make_bot
from stario.core.i18n import Translator
from stario.core.runtime import Runtime
from stario.core.settings import LANGUAGES
from stario.handlers import build_router

log = logging.getLogger(__name__)

RATE_LIMIT = 20  # updates per fan...
RATE_WINDOW_S = 10  # ...per this many seconds
# The commands fans see in the chat menu, each described by the `cmd-<name>` Fluent key.
FAN_COMMANDS = (
    "start", "menu", "balance", "lang", "help", "paysupport", "terms", "privacy", "cancel",
)  # fmt: skip


def create_dispatcher(
    runtime: Runtime,
    *,
    fsm_storage: BaseStorage | None = None,
    redis_prefix: str = "stario",
    rate_limit: int = RATE_LIMIT,
    rate_window_s: int = RATE_WINDOW_S,
) -> Dispatcher:
    """A dispatcher with the middlewares and the fans' routers. `redis_prefix` namespaces its
    Redis keys (FSM state, seen update ids, rate-limit counters)."""
    settings = runtime.settings
    translator = Translator(settings.default_language)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    storage = fsm_storage or _fsm_storage(settings.redis_url, redis_prefix)
    dp = Dispatcher(storage=storage, runtime=runtime, settings=settings, translator=translator)
    dp.update.outer_middleware(DuplicateUpdateMiddleware(redis, prefix=redis_prefix))
    dp.update.outer_middleware(
        RateLimitMiddleware(
            redis,
            prefix=redis_prefix,
            limit=rate_limit,
            window_s=rate_window_s,
            sessions=runtime.sessions,
            translator=translator,
        )
    )
    dp.update.outer_middleware(SessionMiddleware(runtime.sessions))
    dp.update.outer_middleware(UserMiddleware(translator, settings))
    dp.include_router(build_router())
    dp.startup.register(_on_startup)
    if redis is not None:

        async def close_redis() -> None:
            await redis.aclose()

        dp.shutdown.register(close_redis)
    return dp


async def setup_bot(bot: Bot, translator: Translator) -> None:
    """The fans' command menu in each language (and the default language for the rest)."""
    for language in (None, *LANGUAGES):
        commands = [
            BotCommand(command=name, description=translator.get(language, f"cmd-{name}"))
            for name in FAN_COMMANDS
        ]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )


async def run_polling(
    runtime: Runtime, *, stop: asyncio.Event | None = None, bot: Bot | None = None
) -> None:
    """Long polling until `stop` is set (without one: until SIGINT/SIGTERM)."""
    settings = runtime.settings
    own_bot = bot is None
    bot = bot or make_bot(settings.require_bot_token(), settings.telegram_api_url)
    dp = create_dispatcher(runtime)
    try:
        try:  # a webhook left from webhook mode would make getUpdates fail with 409
            await bot.delete_webhook(drop_pending_updates=False)
        except TelegramAPIError as error:
            log.warning("could not delete the webhook: %s", error)
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=stop is None, close_bot_session=False)
        )
        if stop is None:
            await polling
            return
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if polling.done():
            polling.result()  # polling gave up by itself (a revoked token...): say why
            return
        try:
            await dp.stop_polling()
        except RuntimeError:  # stopped before polling began
            polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
    finally:
        if own_bot:
            await bot.session.close()


def _fsm_storage(redis_url: str | None, prefix: str) -> BaseStorage:
    if redis_url:
        return RedisStorage.from_url(
            redis_url, key_builder=DefaultKeyBuilder(prefix=f"{prefix}:fsm")
        )
    return MemoryStorage()


async def _on_startup(bot: Bot, translator: Translator) -> None:
    try:
        await setup_bot(bot, translator)
    except TelegramAPIError as error:  # the bot still works without its command menu
        log.warning("could not set the bot's commands: %s", error)
