"""Never silence: anything no other handler took gets a hint and the menu button, and any
exception becomes a localised reply (a StarioError by its `.key`, anything else an apology and
a log line with the traceback), never a traceback in the chat."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message, User
from aiogram.types import Update as TelegramUpdate

from stario.core.errors import ModerationRefusedError, StarioError
from stario.core.i18n import Translator
from stario.core.services.users import SignUp, pick_language
from stario.handlers.common import (
    Onboarding,
    Texts,
    ask_language,
    language_keyboard,
    menu_button,
    tell,
)

log = logging.getLogger(__name__)


async def unexpected_message(
    message: Message, state: FSMContext, raw_state: str | None, signup: SignUp, t: Texts
) -> None:
    if signup.is_new:  # a first contact that is not /start still starts with the language
        await ask_language(message, state, t, signup, None)
        return
    if raw_state == Onboarding.language.state:
        await message.answer(
            t("lang-choose-first"), reply_markup=language_keyboard(t, signup.user.language)
        )
        return
    if message.text is not None:
        key = "fallback-command" if message.text.startswith("/") else "fallback-text"
    else:  # a sticker, photo, voice, document...
        key = "fallback-media"
    await message.answer(t(key), reply_markup=menu_button(t))


async def stale_button(callback: CallbackQuery, t: Texts) -> None:
    await callback.answer(t("fallback-button"))


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    translator: Translator,
    t: Texts | None = None,
    event_from_user: User | None = None,
) -> bool:
    error = event.exception
    update = event.update
    if t is None:  # the failure came before the user was known (database down...)
        code = event_from_user.language_code if event_from_user else None
        t = Texts(translator, pick_language(code, translator.default_language))
    if isinstance(error, StarioError):
        log.info("update %s: %s: %s", update.update_id, type(error).__name__, error)
        text = error_text(error, t)
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
        text = t("error-internal")
    await _reply(bot, update, text)
    return True


def error_text(error: StarioError, t: Texts) -> str:
    """The error's `.key`, given its numbers (balance, needed...; ids as text, so Fluent does
    not group their digits); a moderation refusal lists each reason."""
    if isinstance(error, ModerationRefusedError):
        return "\n".join([t(error.key), *(t(reason) for reason in error.reasons)])
    numbers: dict[str, object] = {
        name: str(value) if name.endswith("_id") else value
        for name, value in vars(error).items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    return t(error.key, **numbers)


async def _reply(bot: Bot, update: TelegramUpdate, text: str) -> None:
    """In the chat where possible: a button's spinner may already have been answered."""
    query = update.callback_query
    if query is None or query.message is None:
        await tell(bot, update, text)
        return
    with contextlib.suppress(TelegramAPIError):
        await bot.answer_callback_query(query.id)
    try:
        await bot.send_message(query.message.chat.id, text)
    except TelegramAPIError as failure:
        log.info("could not tell the fan about update %s: %s", update.update_id, failure)


def build_router() -> Router:
    """The catch-alls: include last."""
    router = Router(name="fallback")
    router.message.register(unexpected_message)
    router.callback_query.register(stale_button)
    return router


def build_errors_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
