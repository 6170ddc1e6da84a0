"""Middlewares and safety nets end to end: hints instead of silence, bans, the rate limit, the
duplicate-update guard, one session per update, and errors turned into localised replies."""

from __future__ import annotations

import logging

import pytest
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import InsufficientBalanceError, ModerationRefusedError
from stario.core.settings import Settings
from tests.bot.conftest import BotUnderTest, Sessions, buttons, launch, shut_down
from tests.factories import add_user
from tests.fakes import FakeTelegram, User

STICKER = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAIBfake",
        "file_unique_id": "AgADfake",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "😀",
    }
}


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_anything_unexpected_gets_a_hint_and_the_menu_button(
    env: BotUnderTest, language: str
) -> None:
    await add_user(env.db, 9001, language=language)
    fan = User(id=9001)

    text = await env.say(fan, "hello?")
    command = await env.say(fan, "/frobnicate")
    mark = len(env.tg.calls)
    env.tg.feed(env.fan_message(fan, STICKER))
    sticker = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    mark = len(env.tg.calls)
    env.tg.photo(fan, caption="look")
    photo = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    menu = await env.press(fan, env.text(language, "btn-menu"))
    mark = len(env.tg.calls)
    env.tg.callback(fan, "order:gone")  # a button from some older version of the bot
    old = await env.next_call("answerCallbackQuery", after=mark)

    assert text.params["text"] == env.text(language, "fallback-text")
    assert command.params["text"] == env.text(language, "fallback-command")
    assert sticker.params["text"] == env.text(language, "fallback-media")
    assert photo.params["text"] == env.text(language, "fallback-media")
    for call in (text, command, sticker, photo):
        assert buttons(call) == [env.text(language, "btn-menu")]
    assert menu.params["text"] == env.text(language, "menu-title")
    assert old.params["text"] == env.text(language, "fallback-button")


async def test_a_banned_fan_gets_one_banned_reply_and_nothing_else(env: BotUnderTest) -> None:
    await add_user(env.db, 9002, language="ru", banned=True)
    fan = User(id=9002, language_code="ru")

    reply = await env.say(fan, "/start")
    await env.settle()
    assert reply.params["text"] == env.text("ru", "banned")
    assert env.tg.sent_texts(fan.id) == [env.text("ru", "banned")]

    env.tg.callback(fan, "menu:balance", message_id=reply.result["message_id"])
    alert = await env.next_call("answerCallbackQuery", after=len(env.tg.calls) - 1)
    await env.settle()
    assert (alert.params["text"], alert.params["show_alert"]) == (env.text("ru", "banned"), True)
    assert env.tg.sent_texts(fan.id) == [env.text("ru", "banned")]
    assert not env.tg.calls_of("editMessageText")


async def test_a_flood_is_slowed_down_politely_once_per_window(
    bot_settings: Settings, db: Sessions, tg: FakeTelegram, redis_url: str
) -> None:
    # An hour-long window, so the burst cannot straddle two windows.
    bot = await launch(bot_settings, db, tg, rate_limit=5, rate_window_s=3600)
    await bot.start()
    try:
        await add_user(db, 9003, language="en")
        fan = User(id=9003)
        for number in range(12):
            tg.message(fan, f"spam {number}")
        await tg.wait_for("sendMessage", count=6)
        await bot.settle(0.5)
        texts = tg.sent_texts(fan.id)
        assert texts.count(bot.text("en", "slow-down")) == 1
        assert texts.count(bot.text("en", "fallback-text")) == 5
        assert len(texts) == 6
    finally:
        await shut_down(bot, redis_url)


async def test_a_repeated_update_id_is_processed_once(
    env: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await add_user(env.db, 9004, language="en")
    fan = User(id=9004)
    caplog.set_level(logging.INFO, logger="stario.bot.middlewares")
    update = env.tg.message(fan, "/balance")
    env.tg.feed(update)  # the same update_id again in the same batch, as a redelivery would

    await env.next_call("sendMessage", after=0, chat_id=fan.id)
    await env.settle(0.5)
    assert len(env.tg.sent_texts(fan.id)) == 1
    assert f"update {update['update_id']} seen before: dropped" in caplog.text


async def test_without_redis_the_duplicate_guard_remembers_in_memory(
    settings: Settings, db: Sessions, tg: FakeTelegram
) -> None:
    bot = await launch(settings, db, tg)  # no REDIS_URL: memory FSM, no rate limit
    try:
        await add_user(db, 9005, language="uz")
        update = tg.message(User(id=9005), "/help")
        await bot.dp.feed_raw_update(bot.bot, update)
        await bot.dp.feed_raw_update(bot.bot, update)
        assert tg.sent_texts(9005) == [bot.text("uz", "help")]
    finally:
        await bot.dp.emit_shutdown(bot=bot.bot, **bot.dp.workflow_data)
        await shut_down(bot, None)


async def test_each_update_gets_its_own_session(env: BotUnderTest) -> None:
    seen: list[AsyncSession] = []

    async def spy(message: Message, session: AsyncSession) -> None:
        seen.append(session)
        await message.answer("ok")  # a test handler, not a fan-facing text

    env.dp.message.register(spy, Command("spy"))
    await add_user(env.db, 9006)
    await env.say(User(id=9006), "/spy")
    await env.say(User(id=9006), "/spy")
    assert len(seen) == 2
    assert seen[0] is not seen[1]
    assert all(not session.in_transaction() for session in seen)  # closed after the update


@pytest.fixture
async def failing(env: BotUnderTest) -> BotUnderTest:
    async def boom(message: Message) -> None:
        raise RuntimeError("kaput")

    async def short(message: Message) -> None:
        raise InsufficientBalanceError(message.chat.id, balance=1, needed=5)

    async def rude(message: Message) -> None:
        raise ModerationRefusedError(["moderation-link", "moderation-profanity"])

    env.dp.message.register(boom, Command("boom"))
    env.dp.message.register(short, Command("short"))
    env.dp.message.register(rude, Command("rude"))
    return env


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_errors_become_localised_replies_never_silence(
    failing: BotUnderTest, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    env = failing
    await add_user(env.db, 9007, language=language)
    fan = User(id=9007)

    crash = await env.say(fan, "/boom")
    short = await env.say(fan, "/short")
    rude = await env.say(fan, "/rude")

    assert crash.params["text"] == env.text(language, "error-internal")
    assert "kaput" not in crash.params["text"]
    assert any("kaput" in str(record.exc_info) for record in caplog.records)
    assert short.params["text"] == env.text(
        language, "error-insufficient-balance", balance=1, needed=5
    )
    assert rude.params["text"].splitlines() == [
        env.text(language, "error-moderation"),
        env.text(language, "moderation-link"),
        env.text(language, "moderation-profanity"),
    ]


async def test_a_failing_button_still_answers_in_the_chat(
    env: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(env.db, 9008, language="ru")
    fan = User(id=9008)
    await env.say(fan, "/menu")

    async def broken(session: AsyncSession, user_id: int, *, last: int) -> object:
        raise ConnectionError("database went away")

    monkeypatch.setattr("stario.core.services.history.statement", broken)
    apology = await env.press(fan, env.text("ru", "menu-balance"), "sendMessage")
    assert apology.params["text"] == env.text("ru", "error-internal")
