"""The poster form: artist → style (classic, neon, minimal) → 1 to 3 lines → preview → confirm.

The styles offered are the artist's poster templates in the fan's language (their own, else
the shared ones; a template's occasion is its style, its title the button, its body example
lines), or the three built-in styles when there are none. Every line passes moderation before
the preview; confirm is shared with the greeting form (`stario.handlers.ordering`).
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
from stario.core.services.generation import POSTER_TEMPLATES
from stario.core.services.users import UserView
from stario.handlers.artists import show_page
from stario.handlers.common import (
    CatalogCb,
    DraftCb,
    MenuCb,
    OrderCb,
    PosterForm,
    Texts,
    cancel_button,
    cancel_keyboard,
    show,
)
from stario.handlers.fallback import error_text
from stario.handlers.ordering import confirm_keyboard, new_draft, orderable_card
from stario.models import Product

MAX_LINE = 60


async def poster_pressed(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, t: Texts
) -> None:
    await state.clear()
    await callback.answer()
    await show_page(callback, bot, session, t, CatalogCb(mode=Product.POSTER.value))


async def start_draft(
    callback: CallbackQuery,
    callback_data: OrderCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    t: Texts,
) -> None:
    card = await orderable_card(callback, session, t, callback_data.artist_id, Product.POSTER)
    if card is None:
        return
    await state.set_state(PosterForm.style)
    await state.set_data(new_draft(card, Product.POSTER, t))
    offered = await _styles(session, t, card.artist.id)
    rows = [[InlineKeyboardButton(text=title, callback_data=DraftCb(
        action="style", value=style).pack())] for style, title in offered.items()]  # fmt: skip
    rows.append([cancel_button(t)])
    styles = "\n".join(t(f"poster-style-{style}-desc") for style in offered)
    text = t("poster-style", artist=card.artist.name_in(t.language), styles=styles)
    await show(callback, bot, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def _styles(session: AsyncSession, t: Texts, artist_id: int) -> dict[str, str]:
    """Style → button title: the artist's poster templates, else the built-in styles."""
    offered = await templates.list_templates(session, Product.POSTER, t.language, artist_id)
    titles = {view.occasion: view.title for view in offered if view.occasion in POSTER_TEMPLATES}
    return titles or {style: t(f"poster-style-{style}") for style in POSTER_TEMPLATES}


async def style_chosen(
    callback: CallbackQuery, callback_data: DraftCb, bot: Bot, state: FSMContext,
    session: AsyncSession, user: UserView, t: Texts,
) -> None:  # fmt: skip
    if callback_data.value not in POSTER_TEMPLATES:
        await callback.answer(t("fallback-button"))
        return
    await callback.answer()
    data = await state.get_data()
    template = await templates.get_template(
        session, Product.POSTER, t.language, callback_data.value, int(data["artist_id"])
    )
    example = (
        templates.fill(template.body, recipient=t("poster-example-recipient"),
                       sender=user.first_name)
        if template is not None else ""
    )  # fmt: skip
    style_title = template.title if template else t(f"poster-style-{callback_data.value}")
    await state.update_data(style=callback_data.value, style_title=style_title, example=example)
    await state.set_state(PosterForm.lines)
    await show(callback, bot, _ask_lines(t, example), cancel_keyboard(t))


def _ask_lines(t: Texts, example: str) -> str:
    ask = t("poster-lines", max=MAX_LINE)
    return "\n\n".join([ask, t("poster-lines-example", example=example)]) if example else ask


async def lines_sent(
    message: Message, state: FSMContext, session: AsyncSession, user: UserView, t: Texts
) -> None:
    lines = [line for line in (moderation.normalise(raw) for raw in
                               (message.text or "").splitlines()) if line]  # fmt: skip
    if not 1 <= len(lines) <= 3 or any(len(line) > MAX_LINE for line in lines):
        await message.answer(t("poster-lines-bad", max=MAX_LINE), reply_markup=cancel_keyboard(t))
        return
    data = await state.get_data()
    restrictions = (await browse.artist_card(session, int(data["artist_id"]))).artist.restrictions
    try:
        lines = [moderation.check_text(line, restrictions) for line in lines]
    except ModerationRefusedError as error:
        reply = "\n".join([error_text(error, t), "", t("order-edit-hint")])
        await message.answer(reply, reply_markup=cancel_keyboard(t))
        return
    await state.update_data(lines=lines)
    await message.answer(**await preview(state, session, user, t))


async def preview(
    state: FSMContext, session: AsyncSession, user: UserView, t: Texts
) -> dict[str, Any]:
    """The preview of the draft (moves the form to its last step): text and keyboard."""
    await state.set_state(PosterForm.preview)
    data = await state.get_data()
    balance = await ledger.balance_of(session, user.id)
    text = t(
        "poster-preview", artist=str(data["artist"]),
        style=str(data.get("style_title") or t(f"poster-style-{data['style']}")),
        lines="\n".join(data["lines"]), cost=int(data["cost"]), balance=balance,
    )  # fmt: skip
    return {"text": text, "reply_markup": confirm_keyboard(t, data, edit=True)}


async def edit_pressed(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Texts) -> None:
    await callback.answer()
    example = str((await state.get_data()).get("example") or "")
    await state.set_state(PosterForm.lines)
    await show(callback, bot, _ask_lines(t, example), cancel_keyboard(t))


def build_router() -> Router:
    router = Router(name="poster")
    cb = router.callback_query
    cb.register(poster_pressed, MenuCb.filter(F.item == "poster"))
    cb.register(start_draft, OrderCb.filter(F.product == Product.POSTER.value))
    cb.register(style_chosen, StateFilter(PosterForm.style), DraftCb.filter(F.action == "style"))
    cb.register(edit_pressed, StateFilter(PosterForm.preview), DraftCb.filter(F.action == "edit"))
    router.message.register(
        lines_sent, StateFilter(PosterForm.lines), F.text, ~F.text.startswith("/")
    )
    return router
