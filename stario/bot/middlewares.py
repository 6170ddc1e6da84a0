"""Outer middlewares on `dp.update`, in the order the factory registers them:

1. `DuplicateUpdateMiddleware`: an update id seen before is dropped (Redis SET NX with a TTL,
   shared by every polling or webhook process; a bounded in-memory set without Redis).
2. `RateLimitMiddleware`: at most `limit` updates per fan per fixed `window_s` window (Redis);
   the first update over the limit gets one polite "slow down", the rest are dropped. Payments
   (pre-checkout queries, successful payments) are never limited. No Redis, no limit.
3. `SessionMiddleware`: one AsyncSession per update, `session` in the handler data (DESIGN §2).
4. `UserMiddleware`: registers or refreshes the fan (`users.register`; the /start payload
   matters only there), and puts `signup`, `user`, `lang` and `t` into the data. A banned fan
   gets one "banned" reply per update and nothing else.

Redis trouble never stops the bot: both Redis checks let the update through (the duplicate
guard falls back to its in-memory set) and log a warning.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update, User
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.i18n import Translator
from stario.core.services import users
from stario.core.settings import Settings
from stario.handlers.common import Texts, tell

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DuplicateUpdateMiddleware(BaseMiddleware):
    def __init__(
        self, redis: Redis | None, *, prefix: str, ttl_s: int = 3600, remember: int = 10_000
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.remember = remember
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            bot: Bot = data["bot"]
            if not await self._first_time(bot.id, event.update_id):
                log.info("update %s seen before: dropped", event.update_id)
                return None
        return await handler(event, data)

    async def _first_time(self, bot_id: int, update_id: int) -> bool:
        if self.redis is not None:
            key = f"{self.prefix}:update:{bot_id}:{update_id}"
            try:
                return bool(await self.redis.set(key, 1, ex=self.ttl_s, nx=True))
            except RedisError as error:
                log.warning("duplicate-update check without Redis (%s)", error)
        return self._first_time_here((bot_id, update_id))

    def _first_time_here(self, key: tuple[int, int]) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        return True


class RateLimitMiddleware(BaseMiddleware):
    def __init__(
        self,
        redis: Redis | None,
        *,
        prefix: str,
        limit: int,
        window_s: int,
        sessions: async_sessionmaker[AsyncSession],
        translator: Translator,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_s = window_s
        self.sessions = sessions
        self.translator = translator

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if self.redis is None or user is None or not isinstance(event, Update) or _payment(event):
            return await handler(event, data)
        window = int(time.time()) // self.window_s
        key = f"{self.prefix}:rate:{user.id}:{window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window_s + 1)
                count, _ = await pipe.execute()
        except RedisError as error:
            log.warning("rate limit skipped without Redis (%s)", error)
            return await handler(event, data)
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1:
            log.info("user %s is over %s updates in %ss", user.id, self.limit, self.window_s)
            await tell(data["bot"], event, await self._slow_down(user), alert=False)
        return None

    async def _slow_down(self, user: User) -> str:
        async with self.sessions() as session:
            known = await users.get_user(session, user.id)
        language = (
            known.language
            if known is not None
            else users.pick_language(user.language_code, self.translator.default_language)
        )
        return self.translator.get(language, "slow-down")


class SessionMiddleware(BaseMiddleware):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessions() as session:
            data["session"] = session
            try:
                return await handler(event, data)
            finally:
                # The errors handler runs after this block: it must not use a closed session.
                del data["session"]


class UserMiddleware(BaseMiddleware):
    def __init__(self, translator: Translator, settings: Settings) -> None:
        self.translator = translator
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot or (chat is not None and chat.type != ChatType.PRIVATE):
            return await handler(event, data)
        session: AsyncSession = data["session"]
        signup = await users.register(
            session,
            users.TelegramProfile(
                id=user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            ),
            start_payload=_start_payload(event),
            default_language=self.settings.default_language,
            free_credits=self.settings.free_credits,
            admin_ids=self.settings.admin_ids,
        )
        t = Texts(self.translator, signup.user.language)
        data.update(signup=signup, user=signup.user, lang=signup.user.language, t=t)
        if signup.user.is_banned:
            if isinstance(event, Update):
                log.info("update %s from banned user %s: refused", event.update_id, user.id)
                await tell(data["bot"], event, t("banned"))
            return None
        return await handler(event, data)


def _payment(update: Update) -> bool:
    message = update.message
    return update.pre_checkout_query is not None or (
        message is not None and message.successful_payment is not None
    )


def _start_payload(event: TelegramObject) -> str | None:
    """`/start PAYLOAD` (or `/start@bot PAYLOAD`): the deep-link payload, else None."""
    message = event.message if isinstance(event, Update) else None
    if message is None or not message.text:
        return None
    command, _, payload = message.text.partition(" ")
    if command.split("@", 1)[0] != "/start":
        return None
    return payload.strip() or None
