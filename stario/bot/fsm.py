"""The fans' FSM state and data, read with the update guard's one Redis round trip.

aiogram's own FSM middleware reads the state with a Redis GET of its own on every update, and
every `state.get_state()` / `get_data()` in a handler is one more. Here the guard's script
fetches both keys with the duplicate check (`FSMPrefetchMiddleware.redis_keys`), and the
context handed to the handlers (`CachedFSMContext`) remembers what it read or wrote for the
rest of the update: a handler pays only for its writes.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject

PREFETCHED = "stario_fsm_prefetched"  # the handler data key the guard leaves its reads under


@dataclass(frozen=True, slots=True)
class Prefetched:
    state: str | None
    data: dict[str, Any] = field(default_factory=dict)


class CachedFSMContext(FSMContext):
    """An FSMContext that remembers, for one update, the state and data it read or wrote.
    Data goes out as copies, as the storage's own reads do, so a handler's edits of what it
    read change nothing until it writes them."""

    def __init__(self, storage: BaseStorage, key: StorageKey, known: Prefetched | None) -> None:
        super().__init__(storage, key)
        self._state_known = known is not None
        self._state = known.state if known is not None else None
        self._data = copy.deepcopy(known.data) if known is not None else None

    async def get_state(self) -> str | None:
        if not self._state_known:
            self._state = await super().get_state()
            self._state_known = True
        return self._state

    async def set_state(self, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        if value is None and self._state_known and self._state is None:
            return  # nothing to delete
        await super().set_state(value)
        self._state, self._state_known = value, True

    async def get_data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = await super().get_data()
        return copy.deepcopy(self._data)

    async def set_data(self, data: Mapping[str, Any]) -> None:
        if not data and self._data == {}:
            return  # nothing to delete
        await super().set_data(data)
        self._data = copy.deepcopy(dict(data))

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        current = await self.get_data()
        current.update(data or {}, **kwargs)
        await self.set_data(current)
        return current


class FSMPrefetchMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware (replaced: the dispatcher is made with `disable_fsm=True`),
    reading the state the guard fetched."""

    def __init__(self, fsm: FSMContextMiddleware) -> None:
        super().__init__(fsm.storage, fsm.events_isolation, fsm.strategy)

    def redis_keys(self, bot: Bot, data: dict[str, Any]) -> tuple[str, str] | None:
        """The Redis keys of the fan's state and data; None where nothing can be prefetched
        (not Redis, or an event isolation that must lock before the state is read)."""
        if not isinstance(self.storage, RedisStorage) or not isinstance(
            self.events_isolation, DisabledEventIsolation
        ):
            return None
        context = self.resolve_event_context(bot, data)
        if context is None:
            return None
        build = self.storage.key_builder.build
        return build(context.key, "state"), build(context.key, "data")

    def decode(self, state: bytes | None, data: bytes | None) -> Prefetched:
        assert isinstance(self.storage, RedisStorage)
        loaded = self.storage.json_loads(data.decode("utf-8")) if data else {}
        return Prefetched(state.decode("utf-8") if state else None, loaded)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        known: Prefetched | None = data.pop(PREFETCHED, None)
        context = self.resolve_event_context(data["bot"], data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        cached = CachedFSMContext(self.storage, context.key, known)
        async with self.events_isolation.lock(key=cached.key):
            data.update(state=cached, raw_state=await cached.get_state())
            return await handler(event, data)
