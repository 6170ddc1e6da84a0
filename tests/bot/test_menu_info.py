"""The main menu, Balance, the info commands and /cancel, end to end in uz, ru and en."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey

from stario.core.services import ledger
from stario.handlers.common import Onboarding
from tests.bot.conftest import BotUnderTest, buttons
from tests.factories import add_user
from tests.fakes import User

LANGUAGES = ("uz", "ru", "en")


async def test_balance_shows_the_balance_and_the_last_postings(env: BotUnderTest) -> None:
    await add_user(env.db, 8001, balance=7, language="ru")
    async with env.db() as session:
        await ledger.debit(session, 8001, 5, "job:42:charge")
        await ledger.credit(session, 8001, 5, "job:42:refund")
        await session.commit()
    fan = User(id=8001, language_code="ru")

    await env.say(fan, "/menu")
    screen = await env.press(fan, env.text("ru", "menu-balance"))

    lines = screen.params["text"].splitlines()
    assert lines[0] == env.text("ru", "balance-title", balance=7)
    assert env.text("ru", "balance-recent") in lines
    assert [line.split(" · ")[:2] for line in lines if " · " in line] == [
        ["+5", env.text("ru", "posting-refund", job="42")],
        ["-5", env.text("ru", "posting-order", job="42")],
        ["+7", env.text("ru", "posting-credit")],
    ]
    assert buttons(screen) == [env.text("ru", "btn-buy-credits"), env.text("ru", "btn-menu")]

    back = await env.press(fan, env.text("ru", "btn-menu"))
    assert back.params["text"] == env.text("ru", "menu-title")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_balance_command_of_a_new_fan(env: BotUnderTest, language: str) -> None:
    await add_user(env.db, 8002, language=language)
    reply = await env.say(User(id=8002), "/balance")
    assert reply.params["text"].splitlines()[0] == env.text(language, "balance-title", balance=0)
    assert env.text(language, "balance-empty") in reply.params["text"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_quiz_and_help_menu_items(env: BotUnderTest, language: str) -> None:
    await add_user(env.db, 8003, language=language)
    fan = User(id=8003)
    await env.say(fan, "/menu")
    quiz = await env.press(fan, env.text(language, "menu-quiz"))
    assert quiz.params["text"].startswith(env.text(language, "quiz-intro"))
    await env.press(fan, env.text(language, "btn-menu"))

    help_screen = await env.press(fan, env.text(language, "menu-help"))
    assert help_screen.params["text"] == env.text(language, "help")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_info_commands_answer_in_the_fans_language(env: BotUnderTest, language: str) -> None:
    await add_user(env.db, 8004, language=language)
    fan = User(id=8004, language_code="en")
    for command, key in (("/help", "help"), ("/terms", "terms"), ("/privacy", "privacy")):
        reply = await env.say(fan, command)
        assert reply.params["text"] == env.text(language, key), command
        assert buttons(reply) == [env.text(language, "btn-menu")]
    support = await env.say(fan, "/paysupport")
    assert support.params["text"] == env.text(language, "paysupport", user_id="8004")
    assert "8004" in support.params["text"]


async def test_cancel_clears_the_state_and_shows_the_menu(env: BotUnderTest) -> None:
    await add_user(env.db, 8005, language="en")
    fan = User(id=8005)
    key = StorageKey(bot_id=env.bot.id, chat_id=fan.id, user_id=fan.id)
    await env.dp.storage.set_state(key, Onboarding.language)

    reply = await env.say(fan, "/cancel")
    assert reply.params["text"] == env.text("en", "cancel-done")
    assert await env.dp.storage.get_state(key) is None

    again = await env.say(fan, "/cancel")
    assert again.params["text"] == env.text("en", "cancel-nothing")
    assert env.text("en", "menu-balance") in buttons(again)
