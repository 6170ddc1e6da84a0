"""The Face Quiz in the chat, end to end on the fake Bot API: modes, the selfie, refusals before
any download, limits and the buy screen, a repeated update, cancel, deep links, leaderboards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stario.handlers.quiz import QuizForm
from stario.models import FaceQuizResult, GenerationJob, JobKind, JobStatus
from tests.bot.conftest import BotUnderTest, buttons
from tests.bot.orders import (
    RecordingQueue,
    add_named_artist,
    balance,
    jobs_of,
    state_of,
    use_queue,
    wait_for_jobs,
)
from tests.factories import add_user
from tests.fakes import Call, User

SELFIE = Path(__file__).resolve().parents[1] / "fixtures" / "faces" / "obama-blue-room.jpg"


@pytest.fixture
async def queue(env: BotUnderTest) -> RecordingQueue:
    recording = RecordingQueue()
    await use_queue(env, recording)
    await add_named_artist(env.db, "sevara", "Sevara")
    return recording


async def ask_all(env: BotUnderTest, fan: User, language: str) -> Call:
    await env.say(fan, "/menu")
    intro = await env.press(fan, env.text(language, "menu-quiz"))
    assert intro.params["text"].startswith(env.text(language, "quiz-intro"))
    assert env.text(language, "quiz-cost-free", left=3) in intro.params["text"]
    return await env.press(fan, env.text(language, "quiz-btn-all"), "sendMessage")


def selfie_objects(env: BotUnderTest) -> list[Path]:
    root = Path(env.runtime.settings.storage_url.removeprefix("file://")) / "selfies"
    return (
        sorted(path for path in root.glob("*") if not path.name.startswith("."))
        if root.exists()
        else []
    )


async def test_who_do_i_look_like_takes_a_photo_and_queues_the_quiz(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 6201, language="ru")
    fan = User(id=6201, first_name="Aziza")
    ask = await ask_all(env, fan, "ru")
    assert ask.params["text"].startswith(env.text("ru", "quiz-ask-all"))
    assert env.text("ru", "quiz-privacy") in ask.params["text"]
    assert buttons(ask) == [env.text("ru", "btn-cancel")]
    assert await state_of(env, fan) == QuizForm.selfie.state

    mark = len(env.tg.calls)
    env.tg.photo(fan, SELFIE.read_bytes())
    status = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert status.params["text"] == env.text("ru", "quiz-analysing")
    [job] = await wait_for_jobs(env.db, fan.id)
    assert (job.kind, job.cost, job.params["mode"], job.artist_id) == (
        JobKind.FACE,
        0,
        "all",
        None,
    )
    assert job.status_message_id == status.result["message_id"]
    [(path, args, options)] = queue.enqueued
    assert (path, list(args), options.queue) == (
        "stario.workers.quiz.run_face_quiz",
        [job.id],
        "face",
    )
    [stored] = selfie_objects(env)
    assert f"selfies/{stored.name}" == job.params["selfie_key"]
    assert stored.read_bytes() == SELFIE.read_bytes()
    await env.settle()
    assert await state_of(env, fan) is None


async def test_an_image_document_is_accepted_for_one_artist(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 6202, language="en")
    fan = User(id=6202)
    await env.say(fan, "/menu")
    await env.press(fan, env.text("en", "menu-quiz"))
    picker = await env.press(fan, env.text("en", "quiz-btn-pick"))
    assert picker.params["text"] == env.text("en", "order-pick-artist-face_quiz", page=1, pages=1)
    ask = await env.press(fan, "Sevara", "sendMessage")
    assert ask.params["text"].startswith(env.text("en", "quiz-ask-one", artist="Sevara"))
    assert buttons(ask) == [env.text("en", "quiz-btn-leaderboard"), env.text("en", "btn-cancel")]
    mark = len(env.tg.calls)
    env.tg.document(fan, SELFIE.read_bytes(), file_name="me.jpg", mime_type="image/jpeg")
    await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    [job] = await wait_for_jobs(env.db, fan.id)
    assert (job.params["mode"], job.params["artist_slug"]) == ("one", "sevara")


def _refusals(fan: User, env: BotUnderTest) -> list[tuple[str, dict[str, Any] | None]]:
    sticker = {"file_id": "CAAC", "file_unique_id": "u", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    video = {"file_id": "BAAC", "file_unique_id": "v", "width": 320, "height": 320,
             "duration": 3}  # fmt: skip
    animation = {**video, "file_id": "CgAC"}
    return [
        ("quiz-refuse-sticker", {"sticker": sticker}),
        ("quiz-refuse-animated", {"video": video}),
        ("quiz-refuse-animated", {"animation": animation, "document": {"file_id": "CgAC",
                                  "file_unique_id": "a", "mime_type": "video/mp4"}}),
        ("quiz-refuse-animated", {"document": {"file_id": "BQAC1", "file_unique_id": "g",
                                  "mime_type": "image/gif", "file_size": 2000}}),
        ("quiz-refuse-not-image", {"document": {"file_id": "BQAC2", "file_unique_id": "p",
                                   "mime_type": "application/pdf", "file_size": 2000}}),
        ("quiz-refuse-not-image", {"document": {"file_id": "BQAC3", "file_unique_id": "h",
                                   "mime_type": "image/heic", "file_size": 2000}}),
        ("quiz-refuse-too-large", {"document": {"file_id": "BQAC4", "file_unique_id": "b",
                                   "mime_type": "image/jpeg", "file_size": 20 * 2**20}}),
        ("quiz-refuse-too-large", {"photo": [{"file_id": "AgAC9", "file_unique_id": "q",
                                   "width": 9000, "height": 7000, "file_size": 11 * 2**20}]}),
    ]  # fmt: skip


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_bad_input_is_refused_before_any_download_and_costs_nothing(
    env: BotUnderTest, queue: RecordingQueue, language: str
) -> None:
    await add_user(env.db, 6203, language=language)
    fan = User(id=6203)
    await ask_all(env, fan, language)
    for key, content in _refusals(fan, env):
        mark = len(env.tg.calls)
        env.tg.feed(env.fan_message(fan, content or {}))
        reply = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
        assert reply.params["text"] == "\n".join(
            [env.text(language, key), env.text(language, "quiz-nothing-charged")]
        ), key
    hint = await env.say(fan, "hello?")
    assert hint.params["text"] == env.text(language, "quiz-hint")
    assert env.tg.calls_of("getFile") == []
    assert env.tg.calls_of("download") == []
    assert await jobs_of(env.db, fan.id) == []
    assert await state_of(env, fan) == QuizForm.selfie.state
    assert await balance(env.db, fan.id) == 0


async def test_cancel_by_button_and_by_command(env: BotUnderTest, queue: RecordingQueue) -> None:
    await add_user(env.db, 6204, language="en")
    fan = User(id=6204)
    await ask_all(env, fan, "en")
    await env.press(fan, env.text("en", "btn-cancel"))
    assert await state_of(env, fan) is None
    await ask_all(env, fan, "en")
    reply = await env.say(fan, "/cancel")
    assert reply.params["text"] == env.text("en", "cancel-done")
    mark = len(env.tg.calls)
    env.tg.photo(fan, SELFIE.read_bytes())
    await env.settle()
    assert not [call for call in env.tg.calls[mark:] if call.method == "getFile"]
    assert await jobs_of(env.db, fan.id) == []


async def test_without_free_quizzes_or_credits_the_buy_screen_is_offered(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    env.runtime.settings = env.runtime.settings.model_copy(update={"quiz_free_per_day": 0})
    await add_user(env.db, 6205, language="en")
    fan = User(id=6205)
    await env.say(fan, "/menu")
    intro = await env.press(fan, env.text("en", "menu-quiz"))
    assert env.text("en", "quiz-cost-paid", price=1) in intro.params["text"]
    await env.press(fan, env.text("en", "quiz-btn-all"), "sendMessage")
    mark = len(env.tg.calls)
    env.tg.photo(fan, SELFIE.read_bytes())
    reply = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert reply.params["text"] == env.text("en", "quiz-need-credits", cost=1, balance=0)
    assert buttons(reply) == [env.text("en", "btn-buy-credits"), env.text("en", "btn-cancel")]
    assert env.tg.calls_of("getFile") == []
    assert await jobs_of(env.db, fan.id) == []
    assert await state_of(env, fan) == QuizForm.selfie.state


async def test_a_paid_quiz_charges_once_for_a_repeated_message(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    env.runtime.settings = env.runtime.settings.model_copy(update={"quiz_free_per_day": 0})
    await add_user(env.db, 6206, balance=3, language="en")
    fan = User(id=6206)
    await ask_all_paid(env, fan)
    update = env.tg.photo(fan, SELFIE.read_bytes())
    [job] = await wait_for_jobs(env.db, fan.id)
    await env.dp.storage.set_state(_key(env, fan), QuizForm.selfie.state)
    mark = len(env.tg.calls)
    env.tg.feed({"message": update["message"]})  # the same message, as a new update
    await env.next_call("deleteMessage", after=mark, chat_id=fan.id)
    assert [j.id for j in await jobs_of(env.db, fan.id)] == [job.id]
    assert (job.cost, await balance(env.db, fan.id)) == (1, 2)
    assert len(queue.enqueued) == 1
    assert len(selfie_objects(env)) == 1


async def ask_all_paid(env: BotUnderTest, fan: User) -> None:
    await env.say(fan, "/menu")
    await env.press(fan, env.text("en", "menu-quiz"))
    await env.press(fan, env.text("en", "quiz-btn-all"), "sendMessage")


def _key(env: BotUnderTest, fan: User) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=env.bot.id, chat_id=fan.id, user_id=fan.id)


async def test_quiz_deep_link_asks_for_a_selfie_for_that_artist(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 6207, language="en")
    fan = User(id=6207)
    _, ask = await env.replies(fan, "/start quiz_sevara", 2)
    assert ask.params["text"].startswith(env.text("en", "quiz-ask-one", artist="Sevara"))
    assert await state_of(env, fan) == QuizForm.selfie.state
    _, gone = await env.replies(fan, "/start quiz_nobody", 2)
    assert gone.params["text"] == env.text("en", "artist-unavailable")


async def test_artist_card_opens_the_quiz(env: BotUnderTest, queue: RecordingQueue) -> None:
    await add_user(env.db, 6208, language="en")
    fan = User(id=6208)
    _, card = await env.replies(fan, "/start artist_sevara", 2)
    assert env.text("en", "btn-quiz-artist") in buttons(card)
    ask = await env.press(fan, env.text("en", "btn-quiz-artist"), "sendMessage")
    assert ask.params["text"].startswith(env.text("en", "quiz-ask-one", artist="Sevara"))


async def test_leaderboard_shows_fans_who_opted_in(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 6209, language="en")
    await add_user(env.db, 6210, language="en")
    fan, other = User(id=6209, first_name="Dilnoza Karimova"), User(id=6210)
    empty = await env.say(fan, "/leaderboard sevara")
    assert empty.params["text"].endswith(env.text("en", "quiz-board-empty"))
    async with env.db() as session:
        artist_id = await session.scalar(sa.text("SELECT id FROM artists WHERE slug = 'sevara'"))
        mine = FaceQuizResult(user_id=fan.id, artist_id=artist_id, score=88, badge="twin")
        theirs = FaceQuizResult(user_id=other.id, artist_id=artist_id, score=95, badge="twin")
        session.add_all([mine, theirs])
        await session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    mark = len(env.tg.calls)
    env.tg.callback(fan, f"quiz:show:{artist_id}:{theirs_id}")
    alert = await env.next_call("answerCallbackQuery", after=mark)
    assert alert.params["text"] == env.text("en", "quiz-result-gone")
    mark = len(env.tg.calls)
    env.tg.callback(fan, f"quiz:show:{artist_id}:{mine_id}")
    board = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert board.params["text"].splitlines() == [
        env.text("en", "quiz-board-title-today", artist="Sevara"), "",
        env.text("en", "quiz-board-line", place=1, name="Dilnoza", score=88,
                 badge=env.text("en", "quiz-badge-twin")),
    ]  # fmt: skip
    all_time = await env.press(fan, env.text("en", "quiz-board-btn-all"))
    assert all_time.params["text"].startswith(
        env.text("en", "quiz-board-title-all", artist="Sevara")
    )
    usage = await env.say(fan, "/leaderboard")
    assert usage.params["text"] == env.text("en", "quiz-board-usage")


async def test_a_fan_shares_their_own_result_card_inline_and_nobody_else_s(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 6211, language="ru")
    await add_user(env.db, 6212, language="en")
    fan, other = User(id=6211), User(id=6212)
    async with env.db() as session:
        artist_id = await session.scalar(sa.text("SELECT id FROM artists WHERE slug = 'sevara'"))
        job = GenerationJob(
            user_id=fan.id, kind=JobKind.FACE, status=JobStatus.DELIVERED,
            telegram_file_id="card-file-id",
        )  # fmt: skip
        session.add(job)
        await session.flush()
        delivered = FaceQuizResult(
            user_id=fan.id, artist_id=artist_id, score=81, badge="twin", job_id=job.id
        )
        undelivered = FaceQuizResult(user_id=fan.id, artist_id=artist_id, score=40, badge="vibe")
        session.add_all([delivered, undelivered])
        await session.commit()
        delivered_id, undelivered_id = delivered.id, undelivered.id
    caption = env.text("ru", "quiz-share-text", artist="Sevara", score=81)

    mark = len(env.tg.calls)
    env.tg.inline_query(fan, f"quiz_{delivered_id}")
    answer = await env.next_call("answerInlineQuery", after=mark)
    [card] = answer.params["results"]
    assert (card["type"], card["photo_file_id"], card["caption"]) == (
        "photo",
        "card-file-id",
        caption,
    )
    [[button]] = card["reply_markup"]["inline_keyboard"]
    assert button["url"] == "https://t.me/stario_test_bot?start=quiz_sevara"
    assert answer.params["is_personal"] is True

    mark = len(env.tg.calls)
    env.tg.inline_query(fan, f"quiz_{undelivered_id}")
    [text_card] = (await env.next_call("answerInlineQuery", after=mark)).params["results"]
    assert text_card["type"] == "article"
    assert text_card["input_message_content"]["message_text"] == env.text(
        "ru", "quiz-share-text", artist="Sevara", score=40
    )

    mark = len(env.tg.calls)
    env.tg.inline_query(other, f"quiz_{delivered_id}")
    assert (await env.next_call("answerInlineQuery", after=mark)).params["results"] == []


async def test_a_new_artist_photo_is_queued_for_the_gallery(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    from stario.models import ArtistPhoto, Role
    from tests.bot.test_admin import reply_to_photo

    await add_user(env.db, 6211, language="en")
    async with env.db() as session:
        await session.execute(sa.text("UPDATE users SET role = :role WHERE id = 6211"),
                              {"role": Role.ADMIN.value})  # fmt: skip
        await session.commit()
    admin = User(id=6211)
    saved = await reply_to_photo(env, admin, SELFIE.read_bytes(), "/artist_photo sevara")
    assert saved.params["text"] == env.text(
        "en", "admin-photo-saved", slug="sevara", width=295, height=480
    )
    async with env.db() as session:
        photo_id = await session.scalar(
            sa.select(ArtistPhoto.id).where(ArtistPhoto.is_primary).order_by(ArtistPhoto.id.desc())
        )
    [(path, args, options)] = queue.enqueued
    assert (path, list(args)) == ("stario.workers.quiz.index_artist_photo", [photo_id, admin.id])
    assert options.queue == "face"
