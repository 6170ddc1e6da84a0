"""What the greeting and poster forms share: the draft, confirm, cancel, "buy", form hints.

A draft lives in the FSM data: `draft` (its id, made when the draft starts), `product`,
`artist_id`, `slug`, `artist` (the name), `cost`; a greeting adds `occasion`, `occasion_title`,
`body`, `recipient`, `suggestion`, `text`; a poster adds `style` and `lines`.

Confirm places the order with `request_key = draft:<user>:<draft>`, so a double tap or a
repeated update charges once. The status message is sent first and its id goes with the order
(the worker edits it later); a failed order turns it into the error. Without enough credits the
draft is kept: the packages are offered (`buy:<code>`, handled by stario.handlers.payments) and
Confirm works again after a top-up.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import (
    ArtistUnavailableError,
    InsufficientBalanceError,
    ModerationRefusedError,
    StarioError,
)
from stario.core.runtime import Runtime
from stario.core.services import browse, generation, packages
from stario.core.services.browse import ArtistCard
from stario.core.services.users import UserView
from stario.handlers.common import (
    TEXT_STEPS,
    ArtistSearch,
    BuyCb,
    DraftCb,
    GreetingForm,
    PosterForm,
    Texts,
    cancel_button,
    chat_of,
    main_menu,
    menu_button,
    show,
)
from stario.handlers.fallback import error_text
from stario.models import Product


async def orderable_card(
    callback: CallbackQuery, session: AsyncSession, t: Texts, artist_id: int, product: Product
) -> ArtistCard | None:
    """The artist's card if they take `product` now; else the fan is told, and None."""
    try:
        card = await browse.artist_card(session, artist_id)
    except ArtistUnavailableError:
        card = None
    if card is None or product not in card.products:
        await callback.answer(t("artist-unavailable"), show_alert=True)
        return None
    await callback.answer()
    return card


def new_draft(card: ArtistCard, product: Product, t: Texts, **fields: Any) -> dict[str, Any]:
    artist = card.artist
    return {
        "draft": uuid.uuid4().hex[:12],
        "product": product.value,
        "artist_id": artist.id,
        "slug": artist.slug,
        "artist": artist.name_in(t.language),
        "cost": artist.price_of(product),
        **fields,
    }


def confirm_keyboard(t: Texts, data: dict[str, Any], *, edit: bool) -> InlineKeyboardMarkup:
    confirm = InlineKeyboardButton(
        text=t("btn-confirm", cost=int(data["cost"])),
        callback_data=DraftCb(action="confirm", value=str(data["draft"])).pack(),
    )
    rows = [[confirm]]
    if edit:
        rows.append(
            [InlineKeyboardButton(text=t("btn-edit"), callback_data=DraftCb(action="edit").pack())]
        )
    rows.append([cancel_button(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def eta_text(t: Texts, seconds: int) -> str:
    if seconds < 60:
        return t("job-eta-seconds", seconds=max(1, seconds))
    return t("job-eta-minutes", minutes=math.ceil(seconds / 60))


def queued_text(t: Texts, placed: generation.PlacedJob) -> str:
    eta = eta_text(t, placed.eta_s)
    if placed.position > 0:
        return t("job-queued", job=str(placed.job_id), position=placed.position, eta=eta)
    return t("job-queued-now", job=str(placed.job_id), eta=eta)


async def confirm(
    callback: CallbackQuery,
    callback_data: DraftCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    runtime: Runtime,
    user: UserView,
    t: Texts,
) -> None:
    data = await state.get_data()
    if not callback_data.value or data.get("draft") != callback_data.value:
        await callback.answer(t("order-draft-gone"))
        return
    await callback.answer()
    chat_id = chat_of(callback)
    status = await bot.send_message(chat_id, t("order-placing"))
    try:
        placed = await _place(session, runtime, data, user, t, chat_id, status.message_id)
    except InsufficientBalanceError as error:
        await session.rollback()
        offers = await packages.list_active(session)
        rows = [
            [InlineKeyboardButton(
                text=t("payments-btn-package", credits=offer.credits, stars=offer.price_stars),
                callback_data=BuyCb(code=offer.code).pack(),
            )]
            for offer in offers
        ]  # fmt: skip
        keyboard = confirm_keyboard(t, data, edit=False)
        text = t("order-need-credits", balance=error.balance, cost=int(data["cost"]))
        markup = InlineKeyboardMarkup(inline_keyboard=rows + keyboard.inline_keyboard)
        await _edit(bot, chat_id, status.message_id, text, markup)
        return
    except StarioError as error:
        await session.rollback()
        if not isinstance(error, ModerationRefusedError):  # a refusal keeps the draft to edit
            await state.clear()
        await _edit(bot, chat_id, status.message_id, error_text(error, t), menu_button(t))
        return
    if placed.is_repeat:  # a twin confirm placed it: one status message is enough
        with contextlib.suppress(TelegramAPIError):
            await bot.delete_message(chat_id, status.message_id)
        return
    await state.clear()
    await _edit(bot, chat_id, status.message_id, queued_text(t, placed), None)


async def _place(
    session: AsyncSession,
    runtime: Runtime,
    data: dict[str, Any],
    user: UserView,
    t: Texts,
    chat_id: int,
    status_message_id: int,
) -> generation.PlacedJob:
    key = f"draft:{user.id}:{data['draft']}"
    if data["product"] == Product.POSTER.value:
        poster = generation.PosterOrder(
            user_id=user.id, artist_slug=str(data["slug"]), template=str(data["style"]),
            lines=tuple(data["lines"]), language=t.language, chat_id=chat_id,
            status_message_id=status_message_id,
        )  # fmt: skip
        return await generation.place_poster(session, runtime.queue, poster, request_key=key)
    greeting = generation.GreetingOrder(
        user_id=user.id, artist_slug=str(data["slug"]), text=str(data["text"]),
        recipient=str(data.get("recipient") or ""), occasion=str(data.get("occasion") or "custom"),
        language=t.language, chat_id=chat_id, status_message_id=status_message_id,
    )  # fmt: skip
    return await generation.place_greeting(session, runtime.queue, greeting, request_key=key)


async def _edit(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """The worker may have edited or deleted the status message already: never mind then."""
    with contextlib.suppress(TelegramAPIError):
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )


async def cancel_pressed(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await callback.answer()
    await show(callback, bot, t("cancel-done"), main_menu(t))


async def form_hint(message: Message, state: FSMContext, t: Texts) -> None:
    """A sticker, a photo, or text where a button was expected: a hint; the form goes on."""
    key = "order-hint-text" if await state.get_state() in TEXT_STEPS else "order-hint-buttons"
    await message.answer(t(key), reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[cancel_button(t)]]
    ))  # fmt: skip


def build_router() -> Router:
    router = Router(name="ordering")
    router.callback_query.register(confirm, DraftCb.filter(F.action == "confirm"))
    router.callback_query.register(cancel_pressed, DraftCb.filter(F.action == "cancel"))
    return router


def build_hints_router() -> Router:
    """Include after the forms' own handlers: whatever they did not take."""
    router = Router(name="form-hints")
    router.message.register(form_hint, StateFilter(GreetingForm, PosterForm, ArtistSearch))
    return router
