"""/broadcast end to end against the fake Bot API: preview, confirm (once, even on a double
tap), cancel, the language filter, everyone receiving exactly once, 429 retry_after honoured,
blocked fans skipped and counted, at most 25 messages a second, and a restart mid-way that
sends nobody the message twice. Non-admins get the unknown-command reply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from stario.bot.broadcaster import Broadcaster
from stario.core.services import broadcasts
from stario.core.settings import Settings
from stario.models import AuditLog, Broadcast, BroadcastStatus, RecipientStatus, Role, User
from tests.bot.conftest import BotUnderTest, Sessions, buttons, launch, shut_down
from tests.factories import add_user
from tests.fakes import FakeTelegram
from tests.fakes import User as Fan
from tests.fakes.telegram_api import Call

ADMIN, OPERATOR = 9001, 9002
TEXT = "Big news: a new artist joins Stario!"


@pytest.fixture
async def fast(
    bot_settings: Settings, db: Sessions, tg: FakeTelegram, redis_url: str
) -> AsyncIterator[BotUnderTest]:
    """The bot with a broadcast rate high enough for tests that are not about the rate."""
    running = await launch(bot_settings, db, tg, broadcast_rate=1000)
    await running.start()
    try:
        yield running
    finally:
        await shut_down(running, redis_url)


async def people(env: BotUnderTest, fans: dict[int, str]) -> None:
    await add_user(env.db, ADMIN, language="en")
    await add_user(env.db, OPERATOR, language="ru")
    for user_id, language in fans.items():
        await add_user(env.db, user_id, language=language)
    async with env.db() as session:
        await session.execute(sa.update(User).where(User.id == ADMIN).values(role=Role.ADMIN))
        await session.execute(
            sa.update(User).where(User.id == OPERATOR).values(role=Role.OPERATOR)
        )
        await session.commit()


def broadcaster(env: BotUnderTest) -> Broadcaster:
    found = env.dp["broadcaster"]
    assert isinstance(found, Broadcaster)
    return found


async def confirmed(env: BotUnderTest, language: str | None = None) -> int:
    """A broadcast of TEXT confirmed through the use cases (no preview message)."""
    async with env.db() as session:
        draft, _ = await broadcasts.create_draft(session, ADMIN, TEXT, language)
        await broadcasts.confirm(session, ADMIN, draft.id)
    return draft.id


async def finished(env: BotUnderTest, broadcast_id: int, timeout: float = 10.0) -> Broadcast:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        async with env.db() as session:
            row = await session.get(Broadcast, broadcast_id)
            assert row is not None
            if row.status is BroadcastStatus.DONE:
                return row
        assert time.monotonic() < deadline, f"broadcast {broadcast_id} still {row.status}"
        await asyncio.sleep(0.05)


def deliveries(env: BotUnderTest) -> list[Call]:
    """Successful sendMessage calls carrying the broadcast text."""
    return [
        call
        for call in env.tg.calls_of("sendMessage")
        if not call.failed and call.params.get("text") == TEXT
    ]


def received(env: BotUnderTest, chat_id: int) -> int:
    return env.tg.sent_texts(chat_id).count(TEXT)


def text(call: Call) -> str:
    return str(call.params["text"])


async def test_preview_confirm_once_and_the_final_count(fast: BotUnderTest) -> None:
    env = fast
    fans = {1: "uz", 2: "uz", 3: "ru", 4: "uz"}
    await people(env, fans)
    await add_user(env.db, 5, language="uz", banned=True)
    admin = Fan(id=ADMIN)
    asked = await env.say(admin, "/broadcast uz")
    audience = env.text("en", "broadcast-audience-language", code="uz")
    assert text(asked) == env.text("en", "broadcast-ask-text", audience=audience, count=3)
    header, preview = await env.replies(admin, TEXT, 2)
    assert text(header) == env.text("en", "broadcast-preview", audience=audience, count=3)
    assert text(preview) == TEXT
    assert buttons(preview) == [env.text("en", "broadcast-button-send", count=3),
                                env.text("en", "broadcast-button-cancel")]  # fmt: skip
    data = preview.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    message_id = preview.result["message_id"]

    progress = await env.press(admin, "✅", method="sendMessage")
    assert text(progress) == env.text(
        "en", "broadcast-progress", id="1", done=0, total=3, sent=0, skipped=0, failed=0
    )
    mark = len(env.tg.calls)
    env.tg.callback(admin, data, message_id)  # a double tap
    again = await env.next_call("answerCallbackQuery", after=mark)
    assert again.params["text"] == env.text("en", "broadcast-already")

    row = await finished(env, 1)
    assert (row.total, row.sent, row.skipped, row.failed) == (3, 3, 0, 0)
    done = env.text("en", "broadcast-done", id="1", done=3, total=3, sent=3, skipped=0, failed=0)
    await env.tg.wait_for("sendMessage", predicate=lambda call: call.params.get("text") == done)
    edits = [text(call) for call in env.tg.calls_of("editMessageText")]
    assert edits[-1] == done
    await env.settle()
    assert [received(env, fan) for fan in fans] == [1, 1, 0, 1]
    assert received(env, 5) == 0
    assert received(env, ADMIN) == 1  # the preview only: the admin's language is en
    async with env.db() as session:
        actions = list(await session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["broadcast.draft", "broadcast.confirm", "broadcast.done"]


async def test_cancel_sends_nothing(fast: BotUnderTest) -> None:
    env = fast
    await people(env, {1: "uz"})
    admin = Fan(id=ADMIN)
    await env.say(admin, "/broadcast")
    await env.replies(admin, TEXT, 2)
    cancelled = await env.press(admin, "✖️", method="sendMessage")
    assert text(cancelled) == env.text("en", "broadcast-cancelled")
    await env.settle()
    assert received(env, 1) == 0
    async with env.db() as session:
        row = await session.get(Broadcast, 1)
        assert row is not None
        assert row.status is BroadcastStatus.CANCELLED
    # /cancel while typing the text, and a bad language
    await env.say(admin, "/broadcast all")
    assert text(await env.say(admin, "/cancel")) == env.text("en", "broadcast-cancelled")
    assert text(await env.say(admin, "/broadcast de")) == env.text("en", "broadcast-usage")
    await env.say(admin, "/broadcast")
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
               "height": 1, "is_animated": False, "is_video": False}  # fmt: skip
    sticker_update = env.fan_message(admin, {"sticker": sticker})
    mark = len(env.tg.calls)
    env.tg.feed(sticker_update)
    hint = await env.next_call("sendMessage", after=mark, chat_id=ADMIN)
    assert text(hint) == env.text("en", "broadcast-not-text")


@pytest.mark.parametrize("who", [OPERATOR, 1])
async def test_non_admins_get_the_unknown_command_reply(fast: BotUnderTest, who: int) -> None:
    env = fast
    await people(env, {1: "uz"})
    language = {OPERATOR: "ru", 1: "uz"}[who]
    reply = await env.say(Fan(id=who), "/broadcast all")
    assert text(reply) == env.text(language, "fallback-command")
    async with env.db() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


async def test_retry_after_is_honoured_and_blocked_fans_are_skipped(fast: BotUnderTest) -> None:
    env = fast
    fans = {user_id: "uz" for user_id in range(1, 7)}
    await people(env, fans)
    env.tg.block_chat(3)
    broadcast_id = await confirmed(env)
    env.tg.fail_next("sendMessage", status=429, retry_after=1)
    broadcaster(env).start(env.bot, broadcast_id)
    row = await finished(env, broadcast_id)
    assert (row.total, row.sent, row.skipped, row.failed) == (8, 7, 1, 0)
    limited = next(call for call in env.tg.calls_of("sendMessage") if call.status == 429)
    after = [call for call in env.tg.calls_of("sendMessage") if call.at > limited.at]
    assert after
    assert after[0].at - limited.at >= 1.0
    assert [received(env, fan) for fan in fans] == [1, 1, 0, 1, 1, 1]
    assert received(env, ADMIN) == received(env, OPERATOR) == 1
    async with env.db() as session:
        assert (await broadcasts.recipients(session, broadcast_id))[3] is RecipientStatus.BLOCKED


async def test_at_most_25_messages_a_second(env: BotUnderTest) -> None:
    await people(env, {user_id: "en" for user_id in range(1, 59)})  # 60 with the staff
    broadcast_id = await confirmed(env)
    started = time.monotonic()
    broadcaster(env).start(env.bot, broadcast_id)
    row = await finished(env, broadcast_id)
    assert row.sent == 60
    times = sorted(call.at for call in deliveries(env))
    assert len(times) == 60
    # any 26 consecutive sends span a second or more: at most 25 in any second
    assert min(times[i + 25] - times[i] for i in range(len(times) - 25)) >= 0.97
    assert time.monotonic() - started < 6  # and it does not crawl either


async def test_a_restart_mid_way_sends_nobody_twice(env: BotUnderTest) -> None:
    fans = {user_id: "ru" for user_id in range(1, 39)}  # 40 with the staff
    await people(env, fans)
    broadcast_id = await confirmed(env)
    broadcaster(env).start(env.bot, broadcast_id)
    await env.tg.wait_for(
        "sendMessage", 10, predicate=lambda call: call.params.get("text") == TEXT
    )
    await env.stop()  # dp.shutdown stops the sender mid-way
    before = len(deliveries(env))
    async with env.db() as session:
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        assert row.status is BroadcastStatus.SENDING
    assert 10 <= before < 40
    await env.start()  # dp.startup resumes it
    row = await finished(env, broadcast_id)
    await env.settle()
    everyone = [*fans, ADMIN, OPERATOR]
    counts = {user_id: received(env, user_id) for user_id in everyone}
    assert max(counts.values()) == 1
    async with env.db() as session:
        statuses = await broadcasts.recipients(session, broadcast_id)
    for user_id, status in statuses.items():
        if status is RecipientStatus.SENT:
            assert counts[user_id] == 1
    assert row.failed <= 1  # at most the one in flight when it stopped, never re-sent
    assert row.sent + row.failed == 40
    assert sum(counts.values()) >= 39
