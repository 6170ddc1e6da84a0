"""The one dispatcher factory, used by long polling (`stario bot`, `stario dev`), by webhook mode
(`stario web`, POST /telegram/webhook) and by the tests.

FSM state lives in Redis (REDIS_URL) so any process can continue a fan's conversation; without
Redis (`stario dev`) it stays in memory. The handler data every handler can ask for:
`runtime`, `settings`, `translator` (from here), `state`, `raw_state`, `session`, `signup`,
`user`, `lang`, `t` (from the middlewares, see `stario.bot.middlewares`), plus aiogram's `bot`,
`event_update`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, Router, methods
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods.base import Response
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from redis.asyncio import ConnectionPool, Redis

from stario.bot.broadcaster import RATE as BROADCAST_RATE
from stario.bot.broadcaster import Broadcaster
from stario.bot.fsm import FSMPrefetchMiddleware
from stario.bot.middlewares import (
    GuardMiddleware,
    SessionMiddleware,
    UserCache,
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
USER_CACHE_TTL_S = 60  # a fan's cached profile; see stario.bot.middlewares.UserCache
# Updates handled at once by one process: polling takes no more (webhook mode: Telegram opens
# at most 40 connections, see stario.webapp.telegram). Each uses one Redis connection at a time.
UPDATES_IN_FLIGHT = 64
REDIS_CONNECTIONS = 2 * UPDATES_IN_FLIGHT  # and the broadcaster's, with room to spare
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
    user_cache_ttl_s: int = USER_CACHE_TTL_S,
    broadcast_rate: float = BROADCAST_RATE,
) -> Dispatcher:
    """A dispatcher with the middlewares and the fans' routers. `redis_prefix` namespaces its
    Redis keys (FSM state, seen update ids, rate-limit counters, cached fans);
    `user_cache_ttl_s=0` turns the fans' cache off (every update registers the fan);
    `broadcast_rate` caps the broadcast sender's messages a second (`broadcaster` in the data;
    it resumes unfinished broadcasts at startup)."""
    _keep_response_models()
    # aiogram logs every update at INFO ("Update id=... is handled"): at hundreds a second that
    # is noise (the web app's /metrics counts them); its warnings and errors still show.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    settings = runtime.settings
    translator = Translator(settings.default_language)
    redis = _redis(settings.redis_url) if settings.redis_url else None
    cache = (
        UserCache(redis, prefix=redis_prefix, ttl_s=user_cache_ttl_s)
        if redis is not None and user_cache_ttl_s > 0
        else None
    )
    storage = fsm_storage or _fsm_storage(redis, redis_prefix)
    broadcaster = Broadcaster(runtime.sessions, translator, rate=broadcast_rate)
    dp = Dispatcher(
        storage=storage,
        disable_fsm=True,  # FSMPrefetchMiddleware below takes the place of aiogram's
        runtime=runtime,
        settings=settings,
        translator=translator,
        broadcaster=broadcaster,
    )
    fsm = FSMPrefetchMiddleware(dp.fsm)
    dp.update.outer_middleware(
        GuardMiddleware(
            redis,
            prefix=redis_prefix,
            limit=rate_limit,
            window_s=rate_window_s,
            sessions=runtime.sessions,
            translator=translator,
            cache=cache,
            fsm=fsm,
        )
    )
    dp.update.outer_middleware(fsm)
    dp.update.outer_middleware(SessionMiddleware(runtime.sessions))
    dp.update.outer_middleware(UserMiddleware(translator, settings, cache))
    router = build_router()
    _resolve_magic_filters_inline(router)
    dp.include_router(router)
    dp.startup.register(_on_startup)
    dp.startup.register(broadcaster.on_startup)
    dp.shutdown.register(broadcaster.stop)
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
            dp.start_polling(
                bot,
                handle_signals=stop is None,
                close_bot_session=False,
                tasks_concurrency_limit=UPDATES_IN_FLIGHT,
            )
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


@functools.cache
def _keep_response_models() -> tuple[object, ...]:
    """aiogram parses every Bot API answer with `Response[method.__returning__]`, a pydantic
    generic model that pydantic caches only weakly: unless something keeps it alive it is
    rebuilt (milliseconds of schema building) for most API calls. Keep one of each, once."""
    return tuple(
        {
            Response.__class_getitem__(method.__returning__)
            for method in vars(methods).values()
            if isinstance(method, type)
            and issubclass(method, methods.TelegramMethod)
            and method is not methods.TelegramMethod
        }
    )


def _resolve_magic_filters_inline(router: Router) -> None:
    """aiogram runs a filter that is not a coroutine function in a worker thread (one thread
    hop per filter per update); magic filters (`F.chat.type == ...`, `F.text`) and states
    used as filters are pure look-ups and comparisons, so they run inline instead."""
    for observer in router.observers.values():
        for holder in (observer._handler, *observer.handlers):
            for filter_object in holder.filters or ():
                pure = filter_object.magic is not None or isinstance(filter_object.callback, State)
                if pure and not filter_object.awaitable:
                    filter_object.callback = _inline(filter_object.callback)
                    filter_object.awaitable = True
    for child in router.sub_routers:
        _resolve_magic_filters_inline(child)


def _inline(resolve: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def resolved(*args: Any, **kwargs: Any) -> Any:
        return resolve(*args, **kwargs)

    return resolved


def _redis(url: str) -> Redis:
    """One client for the guard, the fans' cache and the FSM, its pool sized above the updates
    a process handles at once (redis-py's default of 100 failed updates in a backlog)."""
    return Redis(connection_pool=ConnectionPool.from_url(url, max_connections=REDIS_CONNECTIONS))


def _fsm_storage(redis: Redis | None, prefix: str) -> BaseStorage:
    if redis is not None:
        return RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=f"{prefix}:fsm"))
    return MemoryStorage()


async def _on_startup(bot: Bot, translator: Translator) -> None:
    try:
        await setup_bot(bot, translator)
    except TelegramAPIError as error:  # the bot still works without its command menu
        log.warning("could not set the bot's commands: %s", error)
