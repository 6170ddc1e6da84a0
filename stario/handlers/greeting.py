"""The video greeting form: artist → occasion → recipient → text → preview → confirm.

The text (and the recipient's name) pass moderation before the preview, so nothing is charged
for a text that would be refused; a refusal lists the reasons and waits for a new text.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ModerationRefusedError
from stario.core.services import browse, ledger, moderation, templates
from stario.core.services.users import UserView
from stario.handlers.artists import show_page
from stario.handlers.common import (
    CatalogCb,
    DraftCb,
    GreetingForm,
    MenuCb,
    OrderCb,
    Texts,
    cancel_button,
    cancel_keyboard,
    chat_of,
    show,
)
from stario.handlers.fallback import error_text
from stario.handlers.ordering import confirm_keyboard, new_draft, orderable_card
from stario.models import Product

MAX_NAME = 40
NAME_SECONDS = 3  # the recipient's name is spoken too: at most this long
TYPED_TEXT = (F.text, ~F.text.startswith("/"))


async def greeting_pressed(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, t: Texts
) -> None:
    await state.clear()
    await callback.answer()
    await show_page(callback, bot, session, t, CatalogCb(mode=Product.GREETING.value))


async def start_draft(
    callback: CallbackQuery,
    callback_data: OrderCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    t: Texts,
) -> None:
    card = await orderable_card(callback, session, t, callback_data.artist_id, Product.GREETING)
    if card is None:
        return
    choices = await templates.list_templates(session, Product.GREETING, t.language, card.artist.id)
    await state.set_state(GreetingForm.occasion)
    await state.set_data(new_draft(card, Product.GREETING, t))
    rows = [[InlineKeyboardButton(text=choice.title, callback_data=DraftCb(
        action="occasion", value=choice.occasion).pack())] for choice in choices]  # fmt: skip
    if not choices:  # no templates in this language: one free-form occasion
        rows = [[InlineKeyboardButton(text=t("occasion-custom"), callback_data=DraftCb(
            action="occasion", value="custom").pack())]]  # fmt: skip
    rows.append([cancel_button(t)])
    text = t("greeting-occasion", artist=card.artist.name_in(t.language))
    await show(callback, bot, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def occasion_chosen(
    callback: CallbackQuery,
    callback_data: DraftCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    t: Texts,
) -> None:
    data = await state.get_data()
    chosen = await templates.get_template(
        session, Product.GREETING, t.language, callback_data.value, int(data["artist_id"])
    )
    await callback.answer()
    await state.update_data(
        occasion=callback_data.value[:32],
        occasion_title=chosen.title if chosen else t("occasion-custom"),
        body=chosen.body if chosen else "",
    )
    await state.set_state(GreetingForm.recipient)
    await show(callback, bot, t("greeting-recipient", max=MAX_NAME), cancel_keyboard(t))


async def recipient_sent(
    message: Message, state: FSMContext, session: AsyncSession, user: UserView, t: Texts
) -> None:
    name = moderation.normalise(message.text or "")
    data = await state.get_data()
    restrictions = (await _card(session, data)).artist.restrictions
    if not name or len(name) > MAX_NAME:
        await message.answer(t("greeting-recipient-bad", max=MAX_NAME),
                             reply_markup=cancel_keyboard(t))  # fmt: skip
        return
    try:
        moderation.check_text(name, restrictions, max_seconds=NAME_SECONDS)
    except ModerationRefusedError as error:
        await message.answer(error_text(error, t), reply_markup=cancel_keyboard(t))
        return
    body = str(data.get("body") or "")
    suggestion = templates.fill(body, recipient=name, sender=user.first_name) if body else ""
    await state.update_data(recipient=name, suggestion=suggestion)
    await state.set_state(GreetingForm.text)
    await message.answer(**_ask_text(t, data, suggestion))


def _ask_text(t: Texts, data: dict[str, Any], suggestion: str) -> dict[str, Any]:
    artist = str(data["artist"])
    if not suggestion:
        return {"text": t("greeting-text-own", artist=artist), "reply_markup": cancel_keyboard(t)}
    use = InlineKeyboardButton(
        text=t("btn-use-suggestion"), callback_data=DraftCb(action="suggest").pack()
    )
    return {
        "text": t("greeting-text", artist=artist, suggestion=suggestion),
        "reply_markup": InlineKeyboardMarkup(inline_keyboard=[[use], [cancel_button(t)]]),
    }


async def text_sent(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: UserView,
    t: Texts,
) -> None:  # fmt: skip
    if await _checked(message.text or "", bot, message.chat.id, state, session, t) is None:
        return
    await message.answer(**await preview(state, session, user, t))


async def suggestion_used(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, user: UserView,
    t: Texts,
) -> None:  # fmt: skip
    data = await state.get_data()
    await callback.answer()
    suggestion = str(data.get("suggestion") or "")
    if await _checked(suggestion, bot, chat_of(callback), state, session, t) is None:
        return
    shown = await preview(state, session, user, t)
    await show(callback, bot, shown["text"], shown["reply_markup"])


async def _checked(
    text: str, bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, t: Texts
) -> str | None:
    """The text if it passes moderation (kept in the draft); else the fan is told why."""
    data = await state.get_data()
    card = await _card(session, data)
    try:
        checked = moderation.check_text(text, card.artist.restrictions)
    except ModerationRefusedError as error:
        reply = "\n".join([error_text(error, t), "", t("order-edit-hint")])
        await bot.send_message(chat_id, reply, reply_markup=cancel_keyboard(t))
        return None
    await state.update_data(text=checked)
    return checked


async def preview(
    state: FSMContext, session: AsyncSession, user: UserView, t: Texts
) -> dict[str, Any]:
    """The preview of the draft (moves the form to its last step): text and keyboard."""
    await state.set_state(GreetingForm.preview)
    data = await state.get_data()
    balance = await ledger.balance_of(session, user.id)
    text = t(
        "greeting-preview", artist=str(data["artist"]), occasion=str(data["occasion_title"]),
        recipient=str(data.get("recipient") or "—"), text=str(data["text"]),
        cost=int(data["cost"]), balance=balance,
    )  # fmt: skip
    return {"text": text, "reply_markup": confirm_keyboard(t, data, edit=True)}


async def edit_pressed(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Texts) -> None:
    data = await state.get_data()
    await callback.answer()
    await state.set_state(GreetingForm.text)
    kwargs = _ask_text(t, data, "")
    await show(callback, bot, kwargs["text"], kwargs["reply_markup"])


async def _card(session: AsyncSession, data: dict[str, Any]) -> browse.ArtistCard:
    return await browse.artist_card(session, int(data["artist_id"]))


def build_router() -> Router:
    router = Router(name="greeting")
    cb = router.callback_query
    cb.register(greeting_pressed, MenuCb.filter(F.item == "greeting"))
    cb.register(start_draft, OrderCb.filter(F.product == Product.GREETING.value))
    cb.register(occasion_chosen, StateFilter(GreetingForm.occasion),
                DraftCb.filter(F.action == "occasion"))  # fmt: skip
    cb.register(suggestion_used, StateFilter(GreetingForm.text),
                DraftCb.filter(F.action == "suggest"))  # fmt: skip
    cb.register(edit_pressed, StateFilter(GreetingForm.preview),
                DraftCb.filter(F.action == "edit"))  # fmt: skip
    router.message.register(recipient_sent, StateFilter(GreetingForm.recipient), *TYPED_TEXT)
    router.message.register(text_sent, StateFilter(GreetingForm.text), *TYPED_TEXT)
    return router
