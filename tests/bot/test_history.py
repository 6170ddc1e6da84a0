"""History end to end: pages of past orders, results sent again (by file_id when Telegram has
them, from storage when it never got them), and the result buttons."""

from __future__ import annotations

from typing import Any

from stario.core.demo_portraits import render_portrait
from stario.handlers.common import GreetingForm
from stario.models import GenerationJob, JobKind, JobStatus
from tests.bot.conftest import BotUnderTest, Sessions, buttons
from tests.bot.orders import RecordingQueue, add_named_artist, jobs_of, state_of, use_queue
from tests.factories import add_user
from tests.fakes import User


async def add_job(
    db: Sessions, user_id: int, artist_id: int, kind: JobKind, status: JobStatus, **extra: Any
) -> int:
    params = {
        "artist_slug": "sevara", "artist_name": "Sevara", "text": "Happy birthday!",
        "recipient": "Aziza", "occasion": "birthday", "template": "neon", "lines": ["Salom!"],
    }  # fmt: skip
    async with db() as session:
        job = GenerationJob(user_id=user_id, artist_id=artist_id, kind=kind, status=status,
                            params=params, cost=2, chat_id=user_id, **extra)  # fmt: skip
        session.add(job)
        await session.commit()
        return job.id


async def test_history_pages_show_each_order_with_its_status(env: BotUnderTest) -> None:
    artist = await add_named_artist(env.db, "sevara", "Sevara")
    await add_user(env.db, 9401, language="en")
    statuses = [JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.QUEUED, JobStatus.RUNNING,
                JobStatus.UNDELIVERED, JobStatus.CANCELLED, JobStatus.DELIVERED]  # fmt: skip
    ids = [await add_job(env.db, 9401, artist, JobKind.POSTER, status) for status in statuses]
    fan = User(id=9401)
    empty_fan = User(id=9402)
    await add_user(env.db, 9402, language="en")

    await env.say(fan, "/menu")
    first = await env.press(fan, env.text("en", "menu-history"))
    lines = first.params["text"].splitlines()
    assert lines[0] == env.text("en", "history-title", page=1, pages=2)
    assert [line.split(" · ")[0] for line in lines[1:]] == [f"#{i}" for i in ids[::-1][:5]]
    assert env.text("en", "history-status-failed") in lines[2]  # cancelled reads "refunded"
    assert env.text("en", "history-status-queued") in lines[-1]
    assert env.text("en", "history-status-undelivered") in lines[3]
    assert env.text("en", "btn-next") in buttons(first)

    second = await env.press(fan, env.text("en", "btn-next"))
    lines = second.params["text"].splitlines()
    assert lines[0] == env.text("en", "history-title", page=2, pages=2)
    assert env.text("en", "history-status-failed") in lines[1]  # failed → refunded
    assert env.text("en", "history-status-delivered") in lines[2]

    await env.say(empty_fan, "/menu")
    none = await env.press(empty_fan, env.text("en", "menu-history"))
    assert none.params["text"] == env.text("en", "history-empty")


async def test_delivered_results_are_sent_again_by_file_id(env: BotUnderTest) -> None:
    artist = await add_named_artist(env.db, "sevara", "Sevara")
    await add_user(env.db, 9403, language="ru")
    video_id = "BAACAgADfakeVIDEO"
    photo_id = "AgACAgADfakePHOTO"
    video_job = await add_job(env.db, 9403, artist, JobKind.GREETING, JobStatus.DELIVERED,
                              telegram_file_id=video_id)  # fmt: skip
    photo_job = await add_job(env.db, 9403, artist, JobKind.POSTER, JobStatus.DELIVERED,
                              telegram_file_id=photo_id)  # fmt: skip
    fan = User(id=9403)
    await env.say(fan, "/menu")
    await env.press(fan, env.text("ru", "menu-history"))

    video = await env.press(
        fan, env.text("ru", "btn-history-get", job=str(video_job)), "sendVideo"
    )
    assert (video.params["video"], video.files) == (video_id, {})
    assert video.params["caption"].startswith(env.text("ru", "job-caption-greeting",
                                                       artist="Sevara"))  # fmt: skip
    photo = await env.press(
        fan, env.text("ru", "btn-history-get", job=str(photo_job)), "sendPhoto"
    )
    assert (photo.params["photo"], photo.files) == (photo_id, {})


async def test_an_undelivered_result_is_uploaded_from_storage_once(env: BotUnderTest) -> None:
    artist = await add_named_artist(env.db, "sevara", "Sevara")
    await add_user(env.db, 9404, language="uz")
    job_id = await add_job(env.db, 9404, artist, JobKind.POSTER, JobStatus.UNDELIVERED,
                           result_key="results/1/poster.jpg")  # fmt: skip
    await env.runtime.storage.put("results/1/poster.jpg", render_portrait("r").jpeg, "image/jpeg")
    fan = User(id=9404)
    await env.say(fan, "/menu")
    await env.press(fan, env.text("uz", "menu-history"))
    get = env.text("uz", "btn-history-get", job=str(job_id))

    uploaded = await env.press(fan, get, "sendPhoto")
    assert "photo" in uploaded.files
    await env.settle(0.2)
    [job] = await jobs_of(env.db, fan.id)
    assert job.status is JobStatus.DELIVERED
    assert job.telegram_file_id == uploaded.result["photo"][-1]["file_id"]


async def test_again_starts_a_prefilled_draft_and_order_shows_the_menu(env: BotUnderTest) -> None:
    await use_queue(env, RecordingQueue())
    artist = await add_named_artist(env.db, "sevara", "Sevara", price_greeting=5)
    await add_user(env.db, 9405, balance=9, language="en")
    job_id = await add_job(env.db, 9405, artist, JobKind.GREETING, JobStatus.DELIVERED)
    fan = User(id=9405)
    await env.say(fan, "/menu")

    mark = len(env.tg.calls)
    env.tg.callback(fan, f"again:{job_id}")
    preview = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert preview.params["text"] == env.text(
        "en", "greeting-preview", artist="Sevara", occasion=env.text("en", "occasion-again"),
        recipient="Aziza", text="Happy birthday!", cost=5, balance=9,
    )  # fmt: skip
    assert await state_of(env, fan) == GreetingForm.preview.state
    await env.press(fan, env.text("en", "btn-confirm", cost=5))
    await env.settle(0.3)
    jobs = await jobs_of(env.db, fan.id)
    assert len(jobs) == 2
    assert jobs[-1].params["text"] == "Happy birthday!"

    mark = len(env.tg.calls)
    env.tg.callback(fan, "menu:order")
    menu = await env.next_call("editMessageText", after=mark, chat_id=fan.id)
    assert menu.params["text"] == env.text("en", "menu-title")
