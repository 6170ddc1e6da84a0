"""/broadcast [uz|ru|en|all] (admins only): asks for the text, shows it exactly as fans will
see it with Confirm / Cancel, and on Confirm hands it to the sender
(`stario.bot.broadcaster`), which edits a progress message and posts the final count.
Anyone else falls through to the fallback and gets the "unknown command" hint."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.bot.broadcaster import Broadcaster
from stario.core.errors import ValidationFailed
from stario.core.services import admin, broadcasts
from stario.core.services.users import UserView
from stario.handlers.common import Texts


class BroadcastForm(StatesGroup):
    """An admin is typing a broadcast; data: `language` ("" for all)."""

    text = State()


class BroadcastCb(CallbackData, prefix="bc"):
    action: str  # "go" or "no"
    broadcast_id: int


class Admins(Filter):
    """The sender's role, from the database, is admin (messages and button presses)."""

    async def __call__(self, event: Message | CallbackQuery, session: AsyncSession) -> bool:
        sender = event.from_user
        return sender is not None and await admin.is_admin(session, sender.id)


def audience(t: Texts, language: str | None) -> str:
    if language is None:
        return t("broadcast-audience-all")
    return t("broadcast-audience-language", code=language)


async def begin(
    message: Message, command: CommandObject, session: AsyncSession, state: FSMContext, t: Texts
) -> None:
    try:
        language = broadcasts.parse_language(command.args)
    except ValidationFailed:
        await message.answer(t("broadcast-usage"))
        return
    count = await broadcasts.count_recipients(session, language)
    await state.set_state(BroadcastForm.text)
    await state.update_data(language=language or "")
    await message.answer(t("broadcast-ask-text", audience=audience(t, language), count=count))


async def cancel_typing(message: Message, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await message.answer(t("broadcast-cancelled"))


async def text_received(
    message: Message, session: AsyncSession, state: FSMContext, user: UserView, t: Texts
) -> None:
    text = message.text or ""
    if len(text) > broadcasts.MAX_TEXT:
        await message.answer(t("broadcast-too-long", max=broadcasts.MAX_TEXT))
        return
    data = await state.get_data()
    language = str(data.get("language") or "") or None
    draft, reach = await broadcasts.create_draft(session, user.id, text, language)
    await state.clear()
    await message.answer(t("broadcast-preview", audience=audience(t, language), count=reach))
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=t("broadcast-button-send", count=reach),
                             callback_data=BroadcastCb(action="go", broadcast_id=draft.id).pack()),
        InlineKeyboardButton(text=t("broadcast-button-cancel"),
                             callback_data=BroadcastCb(action="no", broadcast_id=draft.id).pack()),
    ]])  # fmt: skip
    await message.answer(draft.text, reply_markup=keyboard, parse_mode=None)


async def not_text(message: Message, t: Texts) -> None:
    await message.answer(t("broadcast-not-text"))


async def pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    bot: Bot,
    session: AsyncSession,
    broadcaster: Broadcaster,
    user: UserView,
    t: Texts,
) -> None:
    broadcast_id = callback_data.broadcast_id
    if callback_data.action == "go":
        started, changed = await broadcasts.confirm(session, user.id, broadcast_id)
    else:
        changed = await broadcasts.cancel(session, user.id, broadcast_id)
    if not changed:
        await callback.answer(t("broadcast-already"), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    chat_id = callback.message.chat.id if callback.message is not None else user.id
    if callback_data.action != "go":
        await bot.send_message(chat_id, t("broadcast-cancelled"))
        return
    progress = await bot.send_message(chat_id, t(
        "broadcast-progress", id=str(broadcast_id), done=0, total=started.total, sent=0,
        skipped=0, failed=0))  # fmt: skip
    await broadcasts.set_progress(session, broadcast_id, chat_id, progress.message_id)
    broadcaster.start(bot, broadcast_id)


def build_router() -> Router:
    router = Router(name="broadcast")
    admins = Admins()
    router.message.register(begin, Command("broadcast"), admins)
    router.message.register(cancel_typing, BroadcastForm.text, Command("cancel"), admins)
    router.message.register(text_received, BroadcastForm.text, F.text, admins)
    router.message.register(not_text, BroadcastForm.text, admins)
    router.callback_query.register(pressed, BroadcastCb.filter(), admins)
    return router
