"""Outer middlewares on `dp.update`, in the order the factory registers them:

1. `GuardMiddleware`, one Redis round trip per update (a small Lua script) for four things:
   - an update id seen before is dropped (SET NX with a TTL, shared by every polling or
     webhook process; a bounded in-memory set without Redis);
   - at most `limit` updates per fan per fixed `window_s` window: the first update over the
     limit gets one polite "slow down", the rest are dropped. Payments (pre-checkout queries,
     successful and refunded payments) are never limited. No Redis, no limit;
   - the fan's cached `UserView` is fetched for `UserMiddleware` (see `UserCache`);
   - the fan's FSM state and data are fetched for `FSMPrefetchMiddleware`.
2. `FSMPrefetchMiddleware` (in place of aiogram's FSM middleware): `state` and `raw_state` in
   the data, from what the guard fetched. The `state` context keeps what it read or wrote for
   the rest of the update, so handlers asking for the state or data again cost no round trip.
3. `SessionMiddleware`: one AsyncSession per update, `session` in the handler data (DESIGN §2).
   The session is lazy: an update that never touches the database never takes a connection.
4. `UserMiddleware`: the fan's `UserView` from the cache, or else registers or refreshes the
   fan (`users.register`, always on /start, whose payload matters only there) and caches the
   view; then puts `signup`, `user`, `lang` and `t` into the data. A banned fan gets one
   "banned" reply per update and nothing else, except a successful or refunded payment, which
   is always recorded (the Stars were taken or returned already).

Redis trouble never stops the bot: the guard lets the update through (the duplicate check falls
back to its in-memory set, the cache to `users.register`, the FSM to its own reads) and logs a
warning.
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

from stario.bot.fsm import PREFETCHED, FSMPrefetchMiddleware
from stario.core.i18n import Translator
from stario.core.services import users
from stario.core.settings import LANGUAGES, Settings
from stario.handlers.common import Texts, tell

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


# KEYS: the update id's key, the fan's rate counter, the fan's cached view, the fan's FSM state
# and data ("" for none); ARGV: the update id's TTL, the rate window's TTL.
# Returns {first time?, count, view, state, data}.
_GUARD_SCRIPT = """
if not redis.call('SET', KEYS[1], 1, 'EX', ARGV[1], 'NX') then
  return {0, 0, false, false, false}
end
local count = 0
if KEYS[2] ~= '' then
  count = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
local view = false
if KEYS[3] ~= '' then
  view = redis.call('GET', KEYS[3])
end
local state, data = false, false
if KEYS[4] ~= '' then
  state = redis.call('GET', KEYS[4])
  data = redis.call('GET', KEYS[5])
end
return {1, count, view, state, data}
"""
_CACHED_VIEW = "stario_cached_user"  # the handler data key the guard leaves the view under


class UserCache:
    """Fans' `UserView`s in Redis for `ttl_s` seconds (JSON, one key a fan), shared by every
    bot process. A view leaves the cache when its row changes in this process (the users
    service announces each commit that changed a user, `users.watch_changes`) and otherwise
    expires after `ttl_s`: that is the longest a ban, role or language change made by another
    process takes to reach the bot, and how often a fan's `last_seen_at` and names are
    refreshed."""

    def __init__(self, redis: Redis, *, prefix: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.stale: set[int] = set()  # changed here, not yet removed from Redis
        self._watch = users.watch_changes(self.stale.add)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}"

    def view(self, user_id: int, raw: bytes | None) -> users.UserView | None:
        if raw is None or user_id in self.stale:
            return None
        view = users.view_from_json(raw)
        return view if view is not None and view.id == user_id else None

    async def store(self, view: users.UserView) -> None:
        if view.id in self.stale:
            return  # changed during this very update: the next one reads it afresh
        try:
            await self.redis.set(self.key(view.id), users.view_to_json(view), ex=self.ttl_s)
        except RedisError as error:
            log.warning("user cache not written (%s)", error)

    async def forget_stale(self) -> None:
        if not self.stale:
            return
        gone = set(self.stale)
        try:
            await self.redis.delete(*(self.key(user_id) for user_id in gone))
        except RedisError as error:  # they stay stale here and are retried next update
            log.warning("user cache not cleared (%s)", error)
        else:
            self.stale -= gone


class GuardMiddleware(BaseMiddleware):
    def __init__(
        self,
        redis: Redis | None,
        *,
        prefix: str,
        limit: int,
        window_s: int,
        sessions: async_sessionmaker[AsyncSession],
        translator: Translator,
        cache: UserCache | None = None,
        fsm: FSMPrefetchMiddleware | None = None,
        ttl_s: int = 3600,
        remember: int = 10_000,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_s = window_s
        self.sessions = sessions
        self.translator = translator
        self.cache = cache
        self.fsm = fsm
        self.ttl_s = ttl_s
        self.remember = remember
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._script = redis.register_script(_GUARD_SCRIPT) if redis is not None else None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        bot: Bot = data["bot"]
        user: User | None = data.get("event_from_user")
        limited = user is not None and not _payment(event)
        cached = self.cache is not None and _private_fan(user, data.get("event_chat"))
        first, count, raw = True, 0, None
        if self._script is None:
            first = self._first_time_here((bot.id, event.update_id))
        else:
            fsm_keys = self.fsm.redis_keys(bot, data) if self.fsm is not None else None
            keys = [
                f"{self.prefix}:update:{bot.id}:{event.update_id}",
                f"{self.prefix}:rate:{user.id}:{int(time.time()) // self.window_s}"
                if limited and user is not None
                else "",
                self.cache.key(user.id) if self.cache is not None and cached and user else "",
                *(fsm_keys or ("", "")),
            ]
            try:
                reply = await self._script(keys=keys, args=[self.ttl_s, self.window_s + 1])
                first, count, raw = bool(reply[0]), int(reply[1]), reply[2]
                if fsm_keys is not None and self.fsm is not None:
                    data[PREFETCHED] = self.fsm.decode(reply[3], reply[4])
            except RedisError as error:
                log.warning("update guard without Redis (%s)", error)
                first = self._first_time_here((bot.id, event.update_id))
                limited = False
        if not first:
            log.info("update %s seen before: dropped", event.update_id)
            return None
        view = self.cache.view(user.id, raw) if self.cache is not None and user else None
        if view is not None:
            data[_CACHED_VIEW] = view
        if not limited or count <= self.limit or user is None:
            return await handler(event, data)
        if count == self.limit + 1:
            log.info("user %s is over %s updates in %ss", user.id, self.limit, self.window_s)
            await tell(bot, event, await self._slow_down(user, view), alert=False)
        return None

    def _first_time_here(self, key: tuple[int, int]) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        return True

    async def _slow_down(self, user: User, known: users.UserView | None) -> str:
        if known is None:
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
    def __init__(
        self, translator: Translator, settings: Settings, cache: UserCache | None = None
    ) -> None:
        self.translator = translator
        self.settings = settings
        self.cache = cache
        self._texts = {language: Texts(translator, language) for language in LANGUAGES}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not _private_fan(user, data.get("event_chat")):
            return await handler(event, data)
        try:
            return await self._with_user(handler, event, data, user)
        finally:
            if self.cache is not None:
                await self.cache.forget_stale()

    async def _with_user(
        self, handler: Handler, event: TelegramObject, data: dict[str, Any], user: User
    ) -> Any:
        payload = _start_payload(event)
        view: users.UserView | None = data.pop(_CACHED_VIEW, None)
        if view is not None and not _is_start(event):
            signup = users.SignUp(user=view, is_new=False, free_credits_granted=0)
        else:
            signup = await users.register(
                data["session"],
                users.TelegramProfile(
                    id=user.id,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                    language_code=user.language_code,
                ),
                start_payload=payload,
                default_language=self.settings.default_language,
                free_credits=self.settings.free_credits,
                admin_ids=self.settings.admin_ids,
            )
            if self.cache is not None:
                await self.cache.store(signup.user)
        language = signup.user.language
        t = self._texts.get(language) or Texts(self.translator, language)
        data.update(signup=signup, user=signup.user, lang=language, t=t)
        if signup.user.is_banned and not _settled_payment(event):
            if isinstance(event, Update):
                log.info("update %s from banned user %s: refused", event.update_id, user.id)
                await tell(data["bot"], event, t("banned"))
            return None
        return await handler(event, data)


def _private_fan(user: User | None, chat: Chat | None) -> bool:
    return user is not None and not user.is_bot and (chat is None or chat.type == ChatType.PRIVATE)


def _payment(update: Update) -> bool:
    return update.pre_checkout_query is not None or _settled_payment(update)


def _settled_payment(event: TelegramObject) -> bool:
    """A successful or refunded payment: money that moved already, never to be dropped."""
    message = event.message if isinstance(event, Update) else None
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )


def _is_start(event: TelegramObject) -> bool:
    """/start, /start PAYLOAD or /start@bot...: always through `users.register`."""
    message = event.message if isinstance(event, Update) else None
    if message is None or not message.text:
        return False
    return message.text.partition(" ")[0].split("@", 1)[0] == "/start"


def _start_payload(event: TelegramObject) -> str | None:
    """`/start PAYLOAD` (or `/start@bot PAYLOAD`): the deep-link payload, else None."""
    message = event.message if isinstance(event, Update) else None
    if message is None or not message.text:
        return None
    command, _, payload = message.text.partition(" ")
    if command.split("@", 1)[0] != "/start":
        return None
    return payload.strip() or None
