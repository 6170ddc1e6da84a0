"""The fake Bot API server against the real aiogram client, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputMediaVideo,
    InputTextMessageContent,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyParameters,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web

from tests.fakes import DEFAULT_TOKEN, FakeTelegram, User

FAN = User(id=5001, first_name="Dilnoza", language_code="uz", username="dilnoza")
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="🎬 Video", callback_data="order:video")]]
)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.url)))
    yield bot
    await bot.session.close()


async def test_get_me_send_and_edit(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "stario_test_bot")

    first = await bot.send_message(FAN.id, "Salom!", reply_markup=KEYBOARD)
    second = await bot.send_message(FAN.id, "Yana")
    assert second.message_id == first.message_id + 1
    assert first.chat.id == FAN.id
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == me.id
    assert first.reply_markup is not None
    assert first.reply_markup.model_dump() == KEYBOARD.model_dump()
    call = tg.last("sendMessage")
    assert call.params["chat_id"] == FAN.id
    assert call.params["text"] == "Yana"
    assert tg.calls_of("sendMessage")[0].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "🎬 Video", "callback_data": "order:video"}]]
    }
    assert tg.sent_texts(FAN.id) == ["Salom!", "Yana"]

    edited = await bot.edit_message_text("Tayyor", chat_id=FAN.id, message_id=first.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Tayyor"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # not passed again: Telegram removes the keyboard
    assert [m["text"] for m in tg.chat_history(FAN.id)] == ["Tayyor", "Yana"]
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Tayyor", chat_id=FAN.id, message_id=first.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=FAN.id, message_id=999)

    assert await bot.delete_message(FAN.id, second.message_id)
    assert [m["message_id"] for m in tg.chat_history(FAN.id)] == [first.message_id]


async def test_send_video_with_thumbnail_upload(tg: FakeTelegram, bot: Bot) -> None:
    video_bytes, thumb_bytes = b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000, tg_jpeg()
    message = await bot.send_video(
        FAN.id,
        BufferedInputFile(video_bytes, filename="greeting.mp4"),
        thumbnail=BufferedInputFile(thumb_bytes, filename="thumb.jpg"),
        width=720,
        height=1280,
        duration=12,
        caption="Sizga tabrik!",
        supports_streaming=True,
    )
    video = message.video
    assert video is not None
    assert (video.width, video.height, video.duration) == (720, 1280, 12)
    assert video.file_size == len(video_bytes)
    assert video.mime_type == "video/mp4"
    assert video.thumbnail is not None
    assert video.thumbnail.width == 64
    assert message.caption == "Sizga tabrik!"

    call = tg.last("sendVideo")
    assert call.files["video"].data == video_bytes
    assert call.files["video"].filename == "greeting.mp4"
    assert call.files["thumbnail"].data == thumb_bytes
    assert call.params["video"].startswith("attach://")
    assert call.params["width"] == 720
    assert call.params["supports_streaming"] is True
    assert tg.sent_texts() == ["Sizga tabrik!"]

    again = await bot.send_video(FAN.id, video.file_id)  # re-send by file_id: no upload
    assert again.video is not None
    assert again.video.file_id == video.file_id
    assert tg.last("sendVideo").files == {}

    file = await bot.get_file(video.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == video_bytes


async def test_other_media_and_service_methods(tg: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(FAN.id, BufferedInputFile(tg_jpeg(), "poster.jpg"))
    assert photo.photo is not None
    assert [p.width for p in photo.photo] == [64, 64]
    doc = await bot.send_document(FAN.id, BufferedInputFile(b"%PDF-1.4", "receipt.pdf"))
    assert doc.document is not None
    assert doc.document.mime_type == "application/pdf"
    gif = await bot.send_animation(FAN.id, BufferedInputFile(b"GIF89a", "hi.gif"), width=10)
    assert gif.animation is not None
    assert gif.document is not None
    assert await bot.send_chat_action(FAN.id, "upload_video")
    invoice = await bot.send_invoice(
        FAN.id, "10 credits", "Top up", "pkg:10", "XTR", [LabeledPrice(label="10", amount=50)]
    )
    assert invoice.invoice is not None
    assert invoice.invoice.total_amount == 50
    link = await bot.create_invoice_link(
        "10", "Top up", "pkg:10", "XTR", [LabeledPrice(label="x", amount=5)]
    )
    assert link.startswith("https://t.me/$")

    tg.star_transactions = [{"id": f"t{i}", "amount": i, "date": 1700000000} for i in range(5)]
    page = await bot.get_star_transactions(offset=1, limit=2)
    assert [t.id for t in page.transactions] == ["t1", "t2"]
    assert await bot.refund_star_payment(FAN.id, "charge-1")
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(FAN.id, "charge-1")

    assert await bot.set_my_commands([BotCommand(command="start", description="Boshlash")])
    assert await bot.set_my_commands(
        [BotCommand(command="help", description="Help")], language_code="en"
    )
    assert tg.my_commands() == ["start"]
    assert tg.my_commands(language_code="en") == ["help"]
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_my_commands(language_code="en")
    assert tg.my_commands(language_code="en") == []
    assert await bot.set_chat_menu_button()
    chat = await bot.get_chat(FAN.id)
    assert chat.id == FAN.id
    assert chat.type == "private"
    assert await bot.set_my_description("Stario")  # unknown to the fake: ok, recorded
    assert tg.last("setMyDescription").params == {"description": "Stario"}
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(FAN.id, "too long data", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(FAN.id, "x" * 4097)


async def test_edits_media_groups_replies_inline(tg: FakeTelegram, bot: Bot) -> None:
    fan_message = tg.message(FAN, "salom")["message"]
    reply = await bot.send_message(
        FAN.id,
        "Va alaykum",
        reply_parameters=ReplyParameters(message_id=fan_message["message_id"]),
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "salom"
    assert reply.message_id == fan_message["message_id"] + 1  # one counter per chat

    status = await bot.send_message(FAN.id, "Navbatda: 3", reply_markup=KEYBOARD)
    edited = await bot.edit_message_reply_markup(
        chat_id=FAN.id, message_id=status.message_id, reply_markup=None
    )
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_reply_markup(chat_id=FAN.id, message_id=status.message_id)
    video = await bot.send_video(FAN.id, BufferedInputFile(b"mp4", "a.mp4"), caption="v1")
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text("x", chat_id=FAN.id, message_id=video.message_id)
    captioned = await bot.edit_message_caption(
        chat_id=FAN.id, message_id=video.message_id, caption="v2"
    )
    assert isinstance(captioned, Message)
    assert captioned.caption == "v2"

    swapped = await bot.edit_message_media(
        InputMediaPhoto(media=BufferedInputFile(tg_jpeg(), "p.jpg"), caption="poster"),
        chat_id=FAN.id,
        message_id=video.message_id,
    )
    assert isinstance(swapped, Message)
    assert swapped.photo is not None
    assert swapped.video is None
    assert swapped.caption == "poster"
    assert set(tg.last("editMessageMedia").files) == {"media.media"}

    album = await bot.send_media_group(
        FAN.id,
        [
            InputMediaPhoto(media=BufferedInputFile(tg_jpeg(), "1.jpg")),
            InputMediaVideo(media=BufferedInputFile(b"mp4", "2.mp4"), width=4, height=6),
        ],
    )
    assert [m.media_group_id is not None for m in album] == [True, True]
    assert album[1].video is not None
    assert album[1].video.width == 4
    assert set(tg.last("sendMediaGroup").files) == {"media.0.media", "media.1.media"}

    query_id = tg.inline_query(FAN, "Yulduz")["inline_query"]["id"]
    article = InlineQueryResultArticle(
        id="1", title="Yulduz", input_message_content=InputTextMessageContent(message_text="x")
    )
    assert await bot.answer_inline_query(query_id, [article], cache_time=0)
    assert tg.last("answerInlineQuery").params["results"][0]["title"] == "Yulduz"


async def test_injected_faults(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(FAN.id, "hi")
    assert retry.value.retry_after == 3
    assert "retry after 3" in retry.value.message
    assert (await bot.send_message(FAN.id, "hi")).text == "hi"  # only the next call failed

    tg.fail_next("sendVideo", status=500, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_video(FAN.id, "BAACfile")
    await bot.send_video(FAN.id, "BAACfile")
    assert [c.failed for c in tg.calls_of("sendVideo")] == [True, True, False]
    assert tg.calls_of("sendVideo")[0].status == 500

    tg.block_chat(FAN.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(FAN.id, "are you there?")
    assert await bot.send_message(FAN.id + 1, "others still get messages")
    tg.unblock_chat(FAN.id)
    tg.fail_next("*", status=400, description="Bad Request: chat not found")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_chat_action(FAN.id, "typing")
    assert tg.sent_texts(FAN.id) == ["hi"]  # failed sends are left out

    stranger = Bot("999:other", session=AiohttpSession(api=TelegramAPIServer.from_base(tg.url)))
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
    assert tg.last("getMe").failed
    assert tg.last("getMe").status == 401


async def test_wait_for_times_out_listing_calls(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(FAN.id, "hi")
    with pytest.raises(AssertionError, match=r"sendVideo.*recorded: sendMessage\(chat_id=5001\)"):
        await tg.wait_for("sendVideo", timeout=0.1)


def tg_jpeg() -> bytes:
    from tests.fakes.telegram_api import _jpeg

    return _jpeg()


def build_dispatcher(tg: FakeTelegram, seen: list[str]) -> Dispatcher:
    dp = Dispatcher()

    @dp.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        seen.append(f"start:{command.args}")
        await message.answer(f"Xush kelibsiz, {message.chat.first_name}!", reply_markup=KEYBOARD)

    @dp.callback_query(F.data == "order:video")
    async def order(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text("Matnni yuboring")

    @dp.message(F.photo)
    async def selfie(message: Message, bot: Bot) -> None:
        assert message.photo is not None
        data = await bot.download(message.photo[-1].file_id)
        assert data is not None
        await message.answer(f"got {len(data.read())} bytes")

    @dp.pre_checkout_query()
    async def checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=query.invoice_payload != "sold-out", error_message="Sold out")

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        await message.answer(f"paid {message.successful_payment.total_amount}")

    return dp


async def test_polling_dispatcher_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    seen: list[str] = []
    dp = build_dispatcher(tg, seen)
    tg.message(FAN, "/start ref_1")  # queued before polling starts: still delivered
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))

    reply = await tg.wait_for("sendMessage")
    assert seen == ["start:ref_1"]
    assert reply.params["text"] == "Xush kelibsiz, Dilnoza!"
    started = tg.chat_history(FAN.id)[0]
    assert started["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    tg.press(FAN, "Video")
    edit = await tg.wait_for("editMessageText")
    assert edit.params["message_id"] == reply.result["message_id"]
    assert tg.last("answerCallbackQuery").params["callback_query_id"]
    assert tg.chat_history(FAN.id)[-1]["text"] == "Matnni yuboring"

    tg.photo(FAN)
    got = await tg.wait_for("sendMessage", predicate=lambda c: "bytes" in c.params["text"])
    assert got.params["text"] == f"got {len(tg_jpeg())} bytes"
    assert tg.last("download").params["file_path"].startswith("photos/")

    assert await tg.pay(FAN, "pkg:10", 50) is not None
    await tg.wait_for("sendMessage", predicate=lambda c: c.params["text"] == "paid 50")
    assert await tg.pay(FAN, "sold-out", 50) is None
    assert tg.last("answerPreCheckoutQuery").params["error_message"] == "Sold out"

    allowed = tg.calls_of("getUpdates")[-1].params["allowed_updates"]
    assert set(allowed) == {"message", "callback_query", "pre_checkout_query"}
    updates = tg.calls_of("getUpdates")
    assert [c.params.get("offset") for c in updates[:2]] == [None, 2]

    begin = time.monotonic()
    await dp.stop_polling()
    await asyncio.wait_for(polling, 5)
    assert time.monotonic() - begin < 2


async def test_webhook_delivery(tg: FakeTelegram, bot: Bot) -> None:
    seen: list[str] = []
    dp = build_dispatcher(tg, seen)
    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cret").register(app, path="/telegram/webhook")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await bot.set_webhook(f"http://{host}:{port}/telegram/webhook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        update = tg.message(FAN, "/start promo")
        await tg.wait_for("sendMessage")
        assert seen == ["start:promo"]
        assert tg.webhook_deliveries == [(update["update_id"], 200)]
        info = await bot.get_webhook_info()
        assert info.url.endswith("/telegram/webhook")
        assert info.pending_update_count == 0

        await bot.set_webhook(f"http://{host}:{port}/telegram/webhook", secret_token="wrong")
        tg.message(FAN, "/start again")
        await asyncio.sleep(0.3)
        assert tg.webhook_deliveries[-1][1] == 401
        assert seen == ["start:promo"]
        assert (await bot.get_webhook_info()).pending_update_count == 1
        assert await bot.delete_webhook()
        assert [u.message.text for u in await bot.get_updates() if u.message] == ["/start again"]
    finally:
        await runner.cleanup()


async def test_raw_http_clients(tg: FakeTelegram) -> None:
    async with ClientSession() as http:
        url = f"{tg.url}/bot{DEFAULT_TOKEN}/sendMessage"
        async with http.post(url, json={"chat_id": "42", "text": "123"}) as resp:
            body = await resp.json()
        assert body["ok"]
        assert body["result"]["chat"]["id"] == 42
        async with http.post(url, data={"chat_id": "42", "text": "007"}) as resp:
            assert (await resp.json())["result"]["text"] == "007"  # text stays a string
        async with http.get(f"{tg.url}/file/bot{DEFAULT_TOKEN}/nope") as resp:
            assert resp.status == 404
    tg.add_file("AgACselfie", b"jpeg-bytes", file_path="photos/selfie.jpg")
    selfie_url = f"{tg.url}/file/bot{DEFAULT_TOKEN}/photos/selfie.jpg"
    async with ClientSession() as http, http.get(selfie_url) as resp:
        assert await resp.read() == b"jpeg-bytes"
    assert tg.calls_of("sendMessage")[0].params == {"chat_id": "42", "text": "123"}


def test_threaded_server_for_sync_code() -> None:
    with FakeTelegram() as tg:

        async def worker_delivers() -> None:  # what an RQ job does in its own thread
            bot = tg.make_bot()
            await bot.send_message(FAN.id, "Tayyor!")
            await bot.session.close()

        asyncio.run(worker_delivers())
        assert tg.wait_for_sync("sendMessage").params["text"] == "Tayyor!"
        tg.message(FAN, "hello")  # fed from another thread: wakes the server's loop

        async def poll() -> list[str]:
            bot = tg.make_bot()
            updates = await bot.get_updates(timeout=5)
            await bot.session.close()
            return [u.message.text or "" for u in updates if u.message]

        assert asyncio.run(poll()) == ["hello"]
