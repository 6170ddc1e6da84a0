"""What the fans' handlers share: the bound translator, callback data, keyboards and replies.

Every text a fan sees comes from the Fluent files through `Texts` (`t("key", **args)`);
nothing user-facing is written in the handlers themselves (tests/unit/test_i18n.py checks it).
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from stario.core.i18n import Translator
from stario.core.services.users import SignUp
from stario.core.settings import LANGUAGES

log = logging.getLogger(__name__)


class Texts:
    """The translator bound to one language: `t("key", **args) -> str`."""

    __slots__ = ("_translator", "language")

    def __init__(self, translator: Translator, language: str) -> None:
        self._translator = translator
        self.language = language

    def __call__(self, key: str, /, **args: object) -> str:
        return self._translator.get(self.language, key, **args)

    def to(self, language: str) -> Texts:
        return Texts(self._translator, language)


class MenuCb(CallbackData, prefix="menu"):
    item: str


class LangCb(CallbackData, prefix="lang"):
    code: str


class Onboarding(StatesGroup):
    """A new fan is choosing the language; data: `granted` credits, the start `payload`."""

    language = State()


# Main menu: (callback item, i18n key), two buttons a row.
MENU_ITEMS: tuple[tuple[str, str], ...] = (
    ("greeting", "menu-greeting"),
    ("poster", "menu-poster"),
    ("quiz", "menu-quiz"),
    ("artists", "menu-artists"),
    ("balance", "menu-balance"),
    ("history", "menu-history"),
    ("help", "menu-help"),
)
HOME = "home"


def main_menu(t: Texts) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=t(key), callback_data=MenuCb(item=item).pack())
        for item, key in MENU_ITEMS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def menu_button(t: Texts) -> InlineKeyboardMarkup:
    """One "🏠 Menu" button: the way back from every screen."""
    button = InlineKeyboardButton(text=t("btn-menu"), callback_data=MenuCb(item=HOME).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def language_keyboard(t: Texts, selected: str) -> InlineKeyboardMarkup:
    """uz / ru / en, one a row; `selected` (the current or preselected one) is marked ✅."""
    rows = []
    for code in LANGUAGES:
        name = t(f"lang-name-{code}")
        label = t("lang-option-selected", name=name) if code == selected else name
        rows.append([InlineKeyboardButton(text=label, callback_data=LangCb(code=code).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def ask_language(
    message: Message, state: FSMContext, t: Texts, signup: SignUp, payload: str | None
) -> None:
    """Onboarding: pick the language first; the welcome follows the choice. (Here, not in
    stario.handlers.start, because the fallback starts onboarding too.)"""
    await state.set_state(Onboarding.language)
    await state.set_data({"granted": signup.free_credits_granted, "payload": payload})
    await message.answer(
        t("lang-choose-first"), reply_markup=language_keyboard(t, signup.user.language)
    )


def chat_of(callback: CallbackQuery) -> int:
    """Where to answer a button press: its message's chat, else the fan's private chat."""
    return callback.message.chat.id if callback.message is not None else callback.from_user.id


async def show(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the pressed message with a new screen; send a new message if it cannot be
    edited (too old, a media message). Pressing the same screen twice changes nothing."""
    message = callback.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return
            log.info("cannot edit message %s: %s", message.message_id, error.message)
    await bot.send_message(chat_of(callback), text, reply_markup=markup)


async def tell(bot: Bot, update: Update, text: str, *, alert: bool = True) -> None:
    """Answer whatever the update was with `text`: a message in the chat, an alert on a button,
    a refused pre-checkout. Used where no handler runs (banned, too fast, errors)."""
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, text[:200], show_alert=alert)
        elif update.pre_checkout_query is not None:
            await bot.answer_pre_checkout_query(
                update.pre_checkout_query.id, ok=False, error_message=text[:255]
            )
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, text)
    except TelegramAPIError as error:  # the fan blocked the bot, a stale query...
        log.info("could not answer update %s: %s", update.update_id, error)


class ArtistSearch(StatesGroup):
    """The fan is typing an artist's name to search for."""

    query = State()


class GreetingForm(StatesGroup):
    """A video greeting draft; data: see `stario.handlers.ordering`."""

    occasion = State()
    recipient = State()
    text = State()
    preview = State()


class PosterForm(StatesGroup):
    """A poster draft; data: see `stario.handlers.ordering`."""

    style = State()
    lines = State()
    preview = State()


# The form steps that wait for typed text (the others wait for a button).
TEXT_STEPS = frozenset(
    state.state for state in (ArtistSearch.query, GreetingForm.recipient, GreetingForm.text,
                              PosterForm.lines)
)  # fmt: skip


class CatalogCb(CallbackData, prefix="cat"):
    """A catalogue page; `mode` is "" to browse, or a product to pick the artist for."""

    category: str = ""
    page: int = 0
    mode: str = ""


class ArtistCb(CallbackData, prefix="art"):
    """`action`: "card" (one artist), "search" (ask for a name), "home" (the categories)."""

    action: str
    artist_id: int = 0


class OrderCb(CallbackData, prefix="ord"):
    """Start a draft of `product` from an artist."""

    product: str
    artist_id: int


class DraftCb(CallbackData, prefix="dr"):
    """A step of the open draft: occasion/style (value: its code), suggest, edit, confirm
    (value: the draft id), cancel."""

    action: str
    value: str = ""


class BuyCb(CallbackData, prefix="buy"):
    code: str


class HistoryCb(CallbackData, prefix="hist"):
    page: int = 0


class ResultCb(CallbackData, prefix="res"):
    """Send the result of one past order again."""

    job_id: int


class AgainCb(CallbackData, prefix="again"):
    """The result's "generate again" button (the worker packs it as `again:<job_id>`)."""

    job_id: int


def cancel_button(t: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("btn-cancel"), callback_data=DraftCb(action="cancel").pack()
    )


def cancel_keyboard(t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(t)]])
