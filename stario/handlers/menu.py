"""The main menu, Balance, /menu, /balance and /cancel.

An item not built yet (COMING_SOON) answers with a short "coming soon" toast instead of
pretending; the other items are handled by their own routers (artists, greeting, poster,
quiz, history).
"""

from __future__ import annotations

from datetime import timedelta, timezone

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.services import history, ledger
from stario.core.services.users import UserView
from stario.handlers.common import HOME, MenuCb, Texts, main_menu, menu_button, show
from stario.handlers.payments import buy_button

COMING_SOON: frozenset[str] = frozenset()
RECENT_POSTINGS = 5
# Dates in the fans' time zone (Uzbekistan keeps UTC+5 all year).
FANS_TZ = timezone(timedelta(hours=5))


async def show_menu(message: Message, t: Texts) -> None:
    await message.answer(t("menu-title"), reply_markup=main_menu(t))


async def home(callback: CallbackQuery, bot: Bot, t: Texts) -> None:
    await callback.answer()
    await show(callback, bot, t("menu-title"), main_menu(t))


async def coming_soon(callback: CallbackQuery, t: Texts) -> None:
    await callback.answer(t("coming-soon"))


async def help_pressed(callback: CallbackQuery, bot: Bot, t: Texts) -> None:
    await callback.answer()
    await show(callback, bot, t("help"), menu_button(t))


async def balance_pressed(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, user: UserView, t: Texts
) -> None:
    await callback.answer()
    await show(callback, bot, await balance_text(session, user, t), balance_keyboard(t))


async def balance_command(
    message: Message, session: AsyncSession, user: UserView, t: Texts
) -> None:
    await message.answer(await balance_text(session, user, t), reply_markup=balance_keyboard(t))


async def cancel(message: Message, state: FSMContext, t: Texts) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(
        t("cancel-done" if had_state else "cancel-nothing"), reply_markup=main_menu(t)
    )


def balance_keyboard(t: Texts) -> InlineKeyboardMarkup:
    """ "Buy credits" (stario.handlers.payments) and the way back to the menu."""
    return InlineKeyboardMarkup(inline_keyboard=[[buy_button(t)], *menu_button(t).inline_keyboard])


async def balance_text(session: AsyncSession, user: UserView, t: Texts) -> str:
    found = await history.statement(session, user.id, last=RECENT_POSTINGS)
    postings = found.postings
    lines = [t("balance-title", balance=found.balance), ""]
    if postings:
        lines.append(t("balance-recent"))
        lines.extend(
            t(
                "balance-line",
                amount=f"{posting.amount:+d}",
                what=_posting_label(posting, t),
                date=posting.created_at.astimezone(FANS_TZ).strftime("%d.%m.%Y"),
            )
            for posting in postings
        )
    else:
        lines.append(t("balance-empty"))
    return "\n".join(lines)


def _posting_label(posting: ledger.Posting, t: Texts) -> str:
    """What a posting was, from its idempotency key (DESIGN §5), in the fan's words."""
    kind, _, rest = posting.idempotency_key.partition(":")
    if kind == "signup":
        return t("posting-signup")
    if kind == "pay":
        return t("posting-payment")
    if kind == "grant":
        return t("posting-grant")
    if kind == "job":
        job, _, step = rest.partition(":")
        return t("posting-refund" if step == "refund" else "posting-order", job=job)
    return t(f"posting-{posting.kind.value}")


def build_router() -> Router:
    router = Router(name="menu")
    router.message.register(show_menu, Command("menu"))
    router.message.register(balance_command, Command("balance"))
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(home, MenuCb.filter(F.item == HOME))
    router.callback_query.register(balance_pressed, MenuCb.filter(F.item == "balance"))
    router.callback_query.register(help_pressed, MenuCb.filter(F.item == "help"))
    router.callback_query.register(coming_soon, MenuCb.filter(F.item.in_(COMING_SOON)))
    return router
