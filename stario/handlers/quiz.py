"""The Face Quiz in the chat: pick a mode, send a selfie, get the card; the leaderboards.

Mode `one` (an artist from the picker, the artist card or a `quiz_<slug>` link) or `all` ("who
do I look like?"). While the fan is asked for a selfie (`QuizForm.selfie`, data `mode`,
`artist_id`), a photo or an image document is accepted; a sticker, an animation, a video, a
non-image document or a file over 10 MB is refused from the message's metadata, before
anything is downloaded or charged; anything else gets a hint. Cancel and /cancel leave.

An accepted selfie is downloaded into memory, stored under a random key and placed as a quiz
(`request_key = quiz:<chat>:<message>`, so a repeated update charges once); the worker
(`stario.workers.quiz`) deletes it as soon as it has read it.
"""

from __future__ import annotations

import contextlib
import io

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import (
    ArtistUnavailableError,
    InsufficientBalanceError,
    NotFoundError,
    StarioError,
)
from stario.core.runtime import Runtime
from stario.core.services import quiz
from stario.core.services.users import UserView
from stario.core.settings import Settings
from stario.handlers.artists import show_page
from stario.handlers.common import (
    CatalogCb,
    MenuCb,
    OrderCb,
    Texts,
    cancel_button,
    chat_of,
    menu_button,
    show,
)
from stario.handlers.fallback import error_text
from stario.handlers.payments import buy_button
from stario.models import Product, utcnow

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
ANIMATED_TYPES = frozenset({"image/gif"})


class QuizForm(StatesGroup):
    selfie = State()


class QuizCb(CallbackData, prefix="quiz"):
    """`action`: all, pick, again (artist_id 0: mode all), show (value: the result id), board
    (value: 0 today, 1 all time). The worker packs `again` and `show` by hand."""

    action: str
    artist_id: int = 0
    value: int = 0


def limits_of(settings: Settings) -> quiz.Limits:
    return quiz.Limits(settings.quiz_free_per_day, settings.quiz_price_credits)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def quiz_pressed(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession,
    runtime: Runtime, user: UserView, t: Texts,
) -> None:  # fmt: skip
    await state.clear()
    await callback.answer()
    price = await quiz.quote(session, user.id, limits_of(runtime.settings))
    text = "\n".join([t("quiz-intro"), _cost_line(t, price, runtime.settings)])
    rows = [
        [_button(t("quiz-btn-all"), QuizCb(action="all"))],
        [_button(t("quiz-btn-pick"), QuizCb(action="pick"))],
        *menu_button(t).inline_keyboard,
    ]
    await show(callback, bot, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def pick_pressed(callback: CallbackQuery, bot: Bot, session: AsyncSession, t: Texts) -> None:
    await callback.answer()
    await show_page(callback, bot, session, t, CatalogCb(mode=Product.FACE_QUIZ.value))


async def mode_chosen(
    callback: CallbackQuery, callback_data: QuizCb | OrderCb, bot: Bot, state: FSMContext,
    session: AsyncSession, runtime: Runtime, t: Texts,
) -> None:  # fmt: skip
    """ "Who do I look like?", an artist from the picker, or a result's "Try again"."""
    artist_id = callback_data.artist_id
    if isinstance(callback_data, OrderCb) or artist_id:
        try:
            await quiz.check_artist_id(session, artist_id)
        except ArtistUnavailableError:
            await callback.answer(t("artist-unavailable"), show_alert=True)
            return
    await callback.answer()
    await ask_selfie(bot, chat_of(callback), state, session, runtime, t, artist_id)


async def ask_selfie(
    bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, runtime: Runtime,
    t: Texts, artist_id: int = 0,
) -> None:  # fmt: skip
    """Ask for the selfie, with the privacy promise and what this quiz costs. The chat is the
    fan's private chat, so its id is the fan's id."""
    rows: list[list[InlineKeyboardButton]] = []
    if artist_id:
        artist = await quiz.check_artist_id(session, artist_id)
        ask = t("quiz-ask-one", artist=artist.name_in(t.language))
        rows.append(
            [_button(t("quiz-btn-leaderboard"), QuizCb(action="board", artist_id=artist_id))]
        )
    else:
        ask = t("quiz-ask-all")
    rows.append([cancel_button(t)])
    price = await quiz.quote(session, chat_id, limits_of(runtime.settings))
    text = "\n\n".join([ask, t("quiz-privacy"), _cost_line(t, price, runtime.settings),
                        t("quiz-ask-tips")])  # fmt: skip
    await state.set_state(QuizForm.selfie)
    await state.set_data({"artist_id": artist_id})
    await bot.send_message(chat_id, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def open_deep_link(
    bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, runtime: Runtime,
    t: Texts, slug: str,
) -> None:  # fmt: skip
    """`quiz_<slug>`: the quiz with that artist (ArtistUnavailableError if it is closed)."""
    artist = await quiz.check_artist(session, slug)
    await ask_selfie(bot, chat_id, state, session, runtime, t, artist.id)


def _cost_line(t: Texts, price: quiz.Quote, settings: Settings) -> str:
    if price.cost == 0:
        return t("quiz-cost-free", left=price.free_left)
    return t("quiz-cost-paid", price=settings.quiz_price_credits)


# --- The selfie ----------------------------------------------------------------------------


async def photo_sent(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, runtime: Runtime,
    user: UserView, t: Texts,
) -> None:  # fmt: skip
    largest = max(message.photo or [], key=lambda size: size.width * size.height)
    if (largest.file_size or 0) > quiz.MAX_SELFIE_BYTES:
        await refuse(message, t, "quiz-refuse-too-large")
        return
    await accept(message, bot, state, session, runtime, user, t, largest.file_id)


async def document_sent(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, runtime: Runtime,
    user: UserView, t: Texts,
) -> None:  # fmt: skip
    document = message.document
    assert document is not None  # the filter
    mime = (document.mime_type or "").lower()
    if mime in ANIMATED_TYPES:
        await refuse(message, t, "quiz-refuse-animated")
    elif mime not in IMAGE_TYPES:
        await refuse(message, t, "quiz-refuse-not-image")
    elif (document.file_size or 0) > quiz.MAX_SELFIE_BYTES:
        await refuse(message, t, "quiz-refuse-too-large")
    else:
        await accept(message, bot, state, session, runtime, user, t, document.file_id)


async def animated_sent(message: Message, t: Texts) -> None:
    await refuse(message, t, "quiz-refuse-animated")


async def sticker_sent(message: Message, t: Texts) -> None:
    await refuse(message, t, "quiz-refuse-sticker")


async def other_sent(message: Message, t: Texts) -> None:
    await message.answer(t("quiz-hint"), reply_markup=_cancel_only(t))


async def refuse(message: Message, t: Texts, key: str) -> None:
    """A clear reason; the quiz still waits for a selfie and nothing was charged."""
    text = "\n".join([t(key), t("quiz-nothing-charged")])
    await message.answer(text, reply_markup=_cancel_only(t))


async def accept(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, runtime: Runtime,
    user: UserView, t: Texts, file_id: str,
) -> None:  # fmt: skip
    price = await quiz.quote(session, user.id, limits_of(runtime.settings))
    if not price.affordable:
        text, keyboard = _need_credits(t, price.cost, price.balance)
        await message.answer(text, reply_markup=keyboard)
        return
    selfie = io.BytesIO()
    try:
        await bot.download(file_id, destination=selfie)
    except TelegramBadRequest:  # "file is too big" and the like
        await refuse(message, t, "quiz-refuse-too-large")
        return
    if selfie.getbuffer().nbytes > quiz.MAX_SELFIE_BYTES:
        await refuse(message, t, "quiz-refuse-too-large")
        return
    key = quiz.new_selfie_key()
    await runtime.storage.put(key, selfie.getvalue())
    del selfie
    status = await message.answer(t("quiz-analysing"))
    await _place(message, bot, state, session, runtime, user, t, key, status.message_id)


async def _place(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, runtime: Runtime,
    user: UserView, t: Texts, key: str, status_id: int,
) -> None:  # fmt: skip
    data = await state.get_data()
    artist_id = int(data.get("artist_id") or 0)
    try:
        slug = (await quiz.check_artist_id(session, artist_id)).slug if artist_id else None
        order = quiz.QuizOrder(
            user_id=user.id, mode=quiz.Mode.ONE if slug else quiz.Mode.ALL, selfie_key=key,
            artist_slug=slug, language=t.language, chat_id=message.chat.id,
            status_message_id=status_id,
        )  # fmt: skip
        request_key = f"quiz:{message.chat.id}:{message.message_id}"
        placed = await quiz.place_quiz(
            session, runtime.queue, order, request_key=request_key,
            limits=limits_of(runtime.settings),
        )  # fmt: skip
    except InsufficientBalanceError as error:
        await session.rollback()
        await runtime.storage.delete(key)
        await _edit(
            bot, message.chat.id, status_id, *_need_credits(t, error.needed, error.balance)
        )
        return
    except StarioError as error:
        await session.rollback()
        await runtime.storage.delete(key)
        await state.clear()
        await _edit(bot, message.chat.id, status_id, error_text(error, t), menu_button(t))
        return
    if placed.is_repeat:  # the same message again: the first one is on its way
        await runtime.storage.delete(key)
        with contextlib.suppress(TelegramAPIError):
            await bot.delete_message(message.chat.id, status_id)
        return
    await state.clear()


def _need_credits(t: Texts, cost: int, balance: int) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[buy_button(t)], [cancel_button(t)]])
    return t("quiz-need-credits", cost=cost, balance=balance), keyboard


async def _edit(
    bot: Bot, chat_id: int, message_id: int, text: str, reply_markup: InlineKeyboardMarkup
) -> None:
    with contextlib.suppress(TelegramAPIError):
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
        )


def _cancel_only(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(t)]])


# --- The leaderboard -----------------------------------------------------------------------


async def show_me_pressed(
    callback: CallbackQuery, callback_data: QuizCb, bot: Bot, session: AsyncSession,
    user: UserView, t: Texts,
) -> None:  # fmt: skip
    try:
        result = await quiz.set_on_leaderboard(session, user.id, callback_data.value, shown=True)
    except NotFoundError:
        await callback.answer(t("quiz-result-gone"), show_alert=True)
        return
    await callback.answer()
    text, keyboard = await board(session, t, result.artist_id, all_time=False)
    await bot.send_message(chat_of(callback), text, reply_markup=keyboard)


async def board_pressed(
    callback: CallbackQuery, callback_data: QuizCb, bot: Bot, session: AsyncSession, t: Texts
) -> None:
    await callback.answer()
    text, keyboard = await board(session, t, callback_data.artist_id, callback_data.value == 1)
    await show(callback, bot, text, keyboard)


async def leaderboard_command(
    message: Message, command: CommandObject, session: AsyncSession, t: Texts
) -> None:
    slug = (command.args or "").strip().lower()
    if not slug:
        await message.answer(t("quiz-board-usage"))
        return
    try:
        artist = await quiz.check_artist(session, slug)
    except ArtistUnavailableError:
        await message.answer(t("artist-unavailable"), reply_markup=menu_button(t))
        return
    text, keyboard = await board(session, t, artist.id, all_time=False)
    await message.answer(text, reply_markup=keyboard)


async def board(
    session: AsyncSession, t: Texts, artist_id: int, all_time: bool
) -> tuple[str, InlineKeyboardMarkup]:
    artist = await quiz.artist_for_card(session, artist_id)
    since = None if all_time else quiz.day_start(utcnow())
    entries = await quiz.leaderboard(session, artist_id, since)
    title = t("quiz-board-title-all" if all_time else "quiz-board-title-today",
              artist=artist.name_in(t.language))  # fmt: skip
    lines = [
        t("quiz-board-line", place=place, name=entry.first_name, score=entry.score,
          badge=t(f"quiz-badge-{entry.badge}"))
        for place, entry in enumerate(entries, start=1)
    ] or [t("quiz-board-empty")]  # fmt: skip
    rows = [
        [_button(t("quiz-board-btn-today"), QuizCb(action="board", artist_id=artist_id, value=0)),
         _button(t("quiz-board-btn-all"), QuizCb(action="board", artist_id=artist_id, value=1))],
        [_button(t("quiz-btn-take"), QuizCb(action="again", artist_id=artist_id))],
        *menu_button(t).inline_keyboard,
    ]  # fmt: skip
    return "\n".join([title, "", *lines]), InlineKeyboardMarkup(inline_keyboard=rows)


def build_router() -> Router:
    router = Router(name="quiz")
    cb = router.callback_query
    cb.register(quiz_pressed, MenuCb.filter(F.item == "quiz"))
    cb.register(pick_pressed, QuizCb.filter(F.action == "pick"))
    cb.register(mode_chosen, QuizCb.filter(F.action.in_({"all", "again"})))
    cb.register(mode_chosen, OrderCb.filter(F.product == Product.FACE_QUIZ.value))
    cb.register(show_me_pressed, QuizCb.filter(F.action == "show"))
    cb.register(board_pressed, QuizCb.filter(F.action == "board"))
    router.message.register(leaderboard_command, Command("leaderboard"))
    waiting = router.message
    selfie = StateFilter(QuizForm.selfie)
    waiting.register(photo_sent, selfie, F.photo)
    waiting.register(animated_sent, selfie, F.animation | F.video | F.video_note)
    waiting.register(sticker_sent, selfie, F.sticker)
    waiting.register(document_sent, selfie, F.document)
    waiting.register(other_sent, selfie, ~(F.text.startswith("/")))
    return router
