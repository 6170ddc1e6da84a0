"""The fan's FSM state and data come with the update guard's one Redis round trip, and the
`state` context answers repeated reads from what it read or wrote in the update."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Message

from stario.bot.fsm import CachedFSMContext
from tests.bot.conftest import BotUnderTest
from tests.factories import add_user
from tests.fakes import User


class CountingRedis:
    """Counts the commands the FSM storage sends (wraps its client)."""

    def __init__(self, storage: RedisStorage) -> None:
        self.storage, self.real = storage, storage.redis
        self.commands: list[str] = []

    def __enter__(self) -> list[str]:
        real, commands = self.real, self.commands

        class Spy:
            def __getattr__(self, name: str) -> Any:
                commands.append(name)
                return getattr(real, name)

        self.storage.redis = Spy()  # type: ignore[assignment]
        return self.commands

    def __exit__(self, *exc: object) -> None:
        self.storage.redis = self.real


async def test_state_and_data_are_prefetched_and_reads_are_answered_in_the_update(
    env: BotUnderTest,
) -> None:
    seen: list[tuple[Any, ...]] = []

    async def spy(message: Message, state: FSMContext, raw_state: str | None) -> None:
        first = await state.get_data()
        first["draft"] = "changed locally"  # a copy: not written, not seen by the next read
        seen.append((type(state), raw_state, await state.get_state(), await state.get_data()))
        await state.update_data(step=2)
        seen.append((await state.get_data(),))
        await message.answer("ok")  # a test handler, not a fan-facing text

    env.dp.message.register(spy, Command("spy"))
    await add_user(env.db, 9701)
    fan = User(id=9701)
    key = StorageKey(bot_id=env.bot.id, chat_id=fan.id, user_id=fan.id)
    storage = env.dp.storage
    assert isinstance(storage, RedisStorage)
    await storage.set_state(key, "Form:text")
    await storage.set_data(key, {"draft": "abc", "step": 1})

    with CountingRedis(storage) as commands:
        await env.say(fan, "/spy")
    assert seen[0] == (CachedFSMContext, "Form:text", "Form:text", {"draft": "abc", "step": 1})
    assert seen[1] == ({"draft": "abc", "step": 2},)
    assert commands == ["set"]  # the one write; every read came with the guard's script
    assert await storage.get_data(key) == {"draft": "abc", "step": 2}


async def test_clearing_a_fresh_fan_writes_nothing(env: BotUnderTest) -> None:
    async def clear(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer("ok")  # a test handler, not a fan-facing text

    env.dp.message.register(clear, Command("clear"))
    await add_user(env.db, 9702)
    storage = env.dp.storage
    assert isinstance(storage, RedisStorage)
    with CountingRedis(storage) as commands:
        await env.say(User(id=9702), "/clear")
    assert commands == []
