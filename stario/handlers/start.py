"""/start (with the deep links ref_<id>, artist_<slug>, quiz_<slug>), onboarding and /lang.

A fan's first /start asks the language (the one from Telegram preselected), then greets with
the free credits the sign-up granted and shows the main menu; a later /start shows the menu.
The referrer of `ref_<id>` is recorded by `users.register` (in the user middleware).
"""

from __future__ import annotations

import re

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ArtistUnavailableError
from stario.core.services import catalog, users
from stario.core.services.users import SignUp, UserView
from stario.core.settings import LANGUAGES
from stario.handlers.common import (
    LangCb,
    Onboarding,
    Texts,
    chat_of,
    language_keyboard,
    main_menu,
    menu_button,
    show,
)
from stario.models import Product

_DEEP_LINK = re.compile(r"^(artist|quiz)_([a-z0-9][a-z0-9_-]{0,63})$")


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    signup: SignUp,
    t: Texts,
) -> None:
    await state.clear()
    if signup.is_new:
        await ask_language(message, state, t, signup, command.args)
        return
    await message.answer(t("menu-title"), reply_markup=main_menu(t))
    if command.args:
        await deep_link(message.bot, message.chat.id, session, t, command.args)


async def ask_language(
    message: Message, state: FSMContext, t: Texts, signup: SignUp, payload: str | None
) -> None:
    """Onboarding: pick the language first; the welcome follows the choice."""
    await state.set_state(Onboarding.language)
    await state.update_data(granted=signup.free_credits_granted, payload=payload)
    await message.answer(
        t("lang-choose-first"), reply_markup=language_keyboard(t, signup.user.language)
    )


async def choose_language(message: Message, user: UserView, t: Texts) -> None:
    await message.answer(t("lang-choose"), reply_markup=language_keyboard(t, user.language))


async def language_chosen(
    callback: CallbackQuery,
    callback_data: LangCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    user: UserView,
    t: Texts,
) -> None:
    if callback_data.code not in LANGUAGES:
        await callback.answer(t("fallback-button"))
        return
    updated = await users.set_language(session, user.id, callback_data.code)
    t = t.to(updated.language)
    await callback.answer(t("lang-set"))
    if await state.get_state() != Onboarding.language:
        await show(callback, bot, t("lang-set"), menu_button(t))
        return
    data = await state.get_data()
    await state.clear()
    welcome = t("welcome", name=user.first_name, credits=int(data.get("granted") or 0))
    await show(callback, bot, welcome, main_menu(t))
    payload = data.get("payload")
    if isinstance(payload, str) and payload:
        await deep_link(bot, chat_of(callback), session, t, payload)


async def deep_link(
    bot: Bot | None, chat_id: int, session: AsyncSession, t: Texts, payload: str
) -> None:
    """artist_<slug>: the artist and their prices; quiz_<slug>: the Face Quiz teaser.
    Other payloads (ref_<id> included) need nothing more than the menu already shown."""
    match = _DEEP_LINK.match(payload.strip())
    if match is None or bot is None:
        return
    kind, slug = match.groups()
    if kind == "quiz":
        try:
            artist = await catalog.orderable_artist(session, slug, Product.FACE_QUIZ)
        except ArtistUnavailableError:
            text = t("artist-unavailable")
        else:
            text = t("quiz-deep-link", artist=artist.name_in(t.language))
        await bot.send_message(chat_id, text, reply_markup=menu_button(t))
        return
    await bot.send_message(
        chat_id, await _artist_text(session, t, slug), reply_markup=main_menu(t)
    )


async def _artist_text(session: AsyncSession, t: Texts, slug: str) -> str:
    lines: list[str] = []
    for product, key in ((Product.GREETING, "artist-price-greeting"),
                         (Product.POSTER, "artist-price-poster")):  # fmt: skip
        try:
            artist = await catalog.orderable_artist(session, slug, product)
        except ArtistUnavailableError:
            continue
        if not lines:
            lines.append(t("artist-card", artist=artist.name_in(t.language)))
            if bio := artist.bios.get(t.language):
                lines.append(bio)
        lines.append(t(key, price=artist.price_of(product)))
    if not lines:
        return t("artist-unavailable")
    lines.append(t("artist-order-soon"))
    return "\n".join(lines)


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(choose_language, Command("lang", "language"))
    router.callback_query.register(language_chosen, LangCb.filter())
    return router
