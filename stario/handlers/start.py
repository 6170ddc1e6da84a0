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
from stario.core.runtime import Runtime
from stario.core.services import browse, users
from stario.core.services.users import SignUp, UserView
from stario.core.settings import LANGUAGES
from stario.handlers import quiz
from stario.handlers.artists import send_artist_card
from stario.handlers.common import (
    LangCb,
    Onboarding,
    Texts,
    ask_language,
    chat_of,
    language_keyboard,
    main_menu,
    menu_button,
    show,
)

_DEEP_LINK = re.compile(r"^(artist|quiz)_([a-z0-9][a-z0-9_-]{0,63})$")


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    runtime: Runtime,
    signup: SignUp,
    t: Texts,
) -> None:
    await state.clear()
    if signup.is_new:
        await ask_language(message, state, t, signup, command.args)
        return
    await message.answer(t("menu-title"), reply_markup=main_menu(t))
    if command.args:
        await deep_link(message.bot, message.chat.id, session, runtime, t, command.args, state)


async def choose_language(message: Message, user: UserView, t: Texts) -> None:
    await message.answer(t("lang-choose"), reply_markup=language_keyboard(t, user.language))


async def language_chosen(
    callback: CallbackQuery,
    callback_data: LangCb,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    runtime: Runtime,
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
        await deep_link(bot, chat_of(callback), session, runtime, t, payload, state)


async def deep_link(
    bot: Bot | None,
    chat_id: int,
    session: AsyncSession,
    runtime: Runtime,
    t: Texts,
    payload: str,
    state: FSMContext,
) -> None:
    """artist_<slug>: the artist's card with order buttons; quiz_<slug>: the Face Quiz with
    that artist, asking for the selfie. Other payloads (ref_<id> included) need nothing more
    than the menu already shown."""
    match = _DEEP_LINK.match(payload.strip())
    if match is None or bot is None:
        return
    kind, slug = match.groups()
    try:
        if kind == "quiz":
            await quiz.open_deep_link(bot, chat_id, state, session, runtime, t, slug)
        else:
            card = await browse.artist_card_by_slug(session, slug)
            await send_artist_card(bot, chat_id, runtime, t, card)
    except ArtistUnavailableError:
        await bot.send_message(chat_id, t("artist-unavailable"), reply_markup=menu_button(t))


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(choose_language, Command("lang", "language"))
    router.callback_query.register(language_chosen, LangCb.filter())
    return router
