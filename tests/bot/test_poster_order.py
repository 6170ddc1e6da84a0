"""The poster form end to end, and one order all the way to the fan's chat with a real worker
running the local engines (the in-process queue runs `run_poster` in a thread)."""

from __future__ import annotations

from stario.core.adapters.queue_inprocess import InProcessJobQueue
from stario.handlers.common import PosterForm
from stario.models import JobStatus
from stario.workers import jobs as worker_jobs
from tests.bot.conftest import BotUnderTest, buttons
from tests.bot.orders import (
    RecordingQueue,
    add_named_artist,
    balance,
    jobs_of,
    state_of,
    store_portrait,
    use_queue,
    wait_for_jobs,
)
from tests.factories import add_user
from tests.fakes import Call, User


async def to_lines(env: BotUnderTest, fan: User, language: str, artist: str = "Sevara") -> Call:
    await env.say(fan, "/menu")
    picker = await env.press(fan, env.text(language, "menu-poster"))
    assert picker.params["text"] == env.text(language, "order-pick-artist-poster", page=1, pages=1)
    styles = await env.press(fan, artist)
    assert buttons(styles) == [
        *(env.text(language, f"poster-style-{style}") for style in ("classic", "neon", "minimal")),
        env.text(language, "btn-cancel"),
    ]
    assert env.text(language, "poster-style-neon-desc") in styles.params["text"]
    return await env.press(fan, env.text(language, "poster-style-neon"))


async def test_poster_order_from_the_menu_to_confirm(env: BotUnderTest) -> None:
    queue = RecordingQueue()
    await use_queue(env, queue)
    await add_named_artist(env.db, "sevara", "Sevara", price_poster=2)
    await add_user(env.db, 9301, balance=5, language="uz")
    fan = User(id=9301)

    ask = await to_lines(env, fan, "uz")
    assert ask.params["text"] == env.text("uz", "poster-lines", max=60)
    bad = await env.say(fan, "1\n2\n3\n4")
    assert bad.params["text"] == env.text("uz", "poster-lines-bad", max=60)
    refused = await env.say(fan, "Salom\n@spammer")
    assert env.text("uz", "moderation-mention") in refused.params["text"]
    assert await state_of(env, fan) == PosterForm.lines.state

    preview = await env.say(fan, "Tugʻilgan kuning bilan!\n\n  Aziza  ")
    assert preview.params["text"] == env.text(
        "uz", "poster-preview", artist="Sevara", style=env.text("uz", "poster-style-neon"),
        lines="Tugʻilgan kuning bilan!\nAziza", cost=2, balance=5,
    )  # fmt: skip
    await env.press(fan, env.text("uz", "btn-confirm", cost=2))
    [job] = await wait_for_jobs(env.db, fan.id)
    assert job.params["template"] == "neon"
    assert job.params["lines"] == ["Tugʻilgan kuning bilan!", "Aziza"]
    assert job.status_message_id is not None
    assert await balance(env.db, fan.id) == 3


async def test_an_order_is_made_by_the_worker_and_delivered_to_the_chat(
    env: BotUnderTest,
) -> None:
    worker_jobs.configure(env.runtime.settings)  # the fake Bot API, the test DB and storage
    await use_queue(env, InProcessJobQueue())
    await add_named_artist(env.db, "sevara", "Севара", price_poster=2)
    await store_portrait(env, "sevara")
    await add_user(env.db, 9302, balance=4, language="ru")
    fan = User(id=9302, language_code="ru")

    await to_lines(env, fan, "ru", "Севара")
    await env.say(fan, "С днём рождения!\nАзиза")
    mark = len(env.tg.calls)
    env.tg.press(fan, env.text("ru", "btn-confirm", cost=2))

    photo = await env.next_call("sendPhoto", after=mark, chat_id=fan.id, timeout=60)
    document = await env.next_call("sendDocument", after=mark, chat_id=fan.id, timeout=30)
    status = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    deleted = await env.next_call("deleteMessage", after=mark, chat_id=fan.id, timeout=10)
    [job] = await jobs_of(env.db, fan.id)
    assert "photo" in photo.files
    assert "document" in document.files
    assert photo.params["caption"].startswith(
        env.text("ru", "job-caption-poster", artist="Севара")
    )
    assert buttons(photo) == [
        env.text("ru", "btn-generate-again"), env.text("ru", "btn-order-another"),
        env.text("ru", "btn-share"),
    ]  # fmt: skip
    callbacks = [b.get("callback_data") for row in photo.params["reply_markup"]["inline_keyboard"]
                 for b in row]  # fmt: skip
    assert callbacks[:2] == [f"again:{job.id}", "menu:order"]
    assert status.params["text"] == env.text("ru", "order-placing")
    assert (
        int(deleted.params["message_id"]) == status.result["message_id"] == job.status_message_id
    )
    for _ in range(50):
        [job] = await jobs_of(env.db, fan.id)
        if job.status is JobStatus.DELIVERED:
            break
        await env.settle(0.1)
    assert job.status is JobStatus.DELIVERED
    assert job.telegram_file_id == photo.result["photo"][-1]["file_id"]
    assert await balance(env.db, fan.id) == 2
