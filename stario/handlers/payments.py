"""Buying credits with Telegram Stars (issue 5, payments-spec §3), and /refund_stars.

- "Buy credits" (the Balance screen's button, `menu:buy`) lists the active packages with their
  price in Stars; a package (`buy:<code>`, also offered when a draft lacks credits) creates a
  pending Stars order and sends its invoice: currency XTR, empty provider token, one price, the
  signed payload (`stario.core.services.stars`).
- A pre-checkout query is answered within Telegram's 10 s: ok, or the localised refusal (a check
  that takes longer than PRE_CHECKOUT_BUDGET_S is refused as "try again").
- `successful_payment` credits once per charge id; the fan gets thanks and the new balance (and,
  when a draft is waiting for credits, a reminder to confirm it). A repeat of the charge is
  silent. `refunded_payment` reverses the credit once.
- /refund_stars <charge_id> (admins): refundStarPayment, then the reversal, as one step; refused
  with a message to the admin when the fan spent the credits (a balance never goes negative).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, RefundRefusedError
from stario.core.services import admin, orders, packages, stars
from stario.core.services.users import UserView
from stario.core.settings import Settings
from stario.handlers.admin import Staff
from stario.handlers.common import BuyCb, MenuCb, Texts, chat_of, menu_button, show

log = logging.getLogger(__name__)

BUY = "buy"
PRE_CHECKOUT_BUDGET_S = 8.0  # Telegram waits 10 s for the answer
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


def buy_button(t: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t("btn-buy-credits"), callback_data=MenuCb(item=BUY).pack())


async def buy_screen(callback: CallbackQuery, bot: Bot, session: AsyncSession, t: Texts) -> None:
    await callback.answer()
    offers = await packages.list_active(session)
    rows = [
        [InlineKeyboardButton(
            text=t("payments-btn-package", credits=offer.credits, stars=offer.price_stars),
            callback_data=BuyCb(code=offer.code).pack(),
        )]
        for offer in offers
    ]  # fmt: skip
    rows += menu_button(t).inline_keyboard
    text = t("payments-buy-title") if offers else t("payments-no-packages")
    await show(callback, bot, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def buy_package(
    callback: CallbackQuery,
    callback_data: BuyCb,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    user: UserView,
    t: Texts,
) -> None:
    """A pending Stars order for the package and its invoice in the chat."""
    order = await orders.create_order(
        session,
        user_id=user.id,
        package_code=callback_data.code,
        provider=stars.PROVIDER.value,
        policy=orders.OrderPolicy.from_settings(settings),
    )
    await callback.answer()
    invoice = stars.invoice_for(order, stars.payments_secret(settings), t)
    await bot.send_invoice(
        chat_id=chat_of(callback),
        title=invoice.title,
        description=invoice.description,
        payload=invoice.payload,
        currency=stars.CURRENCY,
        prices=[LabeledPrice(label=invoice.label, amount=invoice.amount)],
        provider_token="",
    )


async def pre_checkout(
    query: PreCheckoutQuery, bot: Bot, session: AsyncSession, settings: Settings, t: Texts
) -> None:
    try:
        refusal = await asyncio.wait_for(
            stars.check_pre_checkout(
                session,
                query.from_user.id,
                query.invoice_payload,
                query.currency,
                query.total_amount,
                secret=stars.payments_secret(settings),
            ),
            PRE_CHECKOUT_BUDGET_S,
        )
    except TimeoutError:
        log.warning("pre-checkout %s not checked in time: refused", query.id)
        refusal = "payments-error-busy"
    if refusal is None:
        await bot.answer_pre_checkout_query(query.id, ok=True)
    else:
        log.info("pre-checkout %s refused: %s", query.id, refusal)
        await bot.answer_pre_checkout_query(query.id, ok=False, error_message=t(refusal)[:255])


async def successful_payment(
    message: Message, session: AsyncSession, settings: Settings, state: FSMContext, t: Texts
) -> None:
    payment = message.successful_payment
    assert payment is not None
    assert message.from_user is not None
    done = await stars.record_successful_payment(
        session,
        message.from_user.id,
        payment.invoice_payload,
        payment.total_amount,
        payment.telegram_payment_charge_id,
        payment.provider_payment_charge_id,
        payment.model_dump(mode="json", exclude_none=True),
        config=stars.StarsConfig.from_settings(settings),
        currency=payment.currency,
    )
    if done.outcome == "duplicate":
        return
    if done.outcome == "unmatched":
        await message.answer(t("payments-unmatched"), reply_markup=menu_button(t))
        return
    lines = [t("payments-thanks", credits=done.credits, balance=done.balance)]
    if (await state.get_data()).get("draft"):
        lines.append(t("payments-draft-ready"))
    await message.answer("\n".join(lines), reply_markup=menu_button(t))


async def refunded_payment(message: Message, session: AsyncSession, t: Texts) -> None:
    refunded = message.refunded_payment
    assert refunded is not None
    try:
        done = await stars.refund(
            session, refunded.telegram_payment_charge_id, None, refunded_by_telegram=True
        )
    except NotFoundError:
        log.warning("refunded_payment for unknown charge %s", refunded.telegram_payment_charge_id)
        return
    if done.outcome == "reversed":
        await message.answer(
            t("payments-refunded", credits=done.credits, balance=done.balance),
            reply_markup=menu_button(t),
        )


async def refund_stars(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, user: UserView,
    t: Texts,
) -> None:  # fmt: skip
    charge = (command.args or "").strip()
    if not charge or len(charge.split()) != 1 or len(charge) > 128:
        await message.answer(t("admin-usage-refund-stars"))
        return

    async def refund_at_telegram(fan_id: int) -> None:
        try:
            await bot.refund_star_payment(user_id=fan_id, telegram_payment_charge_id=charge)
        except TelegramBadRequest as error:
            if ALREADY_REFUNDED not in error.message:  # refunded already: reverse the credit
                raise

    try:
        done = await stars.refund(session, charge, user.id, before_commit=refund_at_telegram)
    except NotFoundError:
        await message.answer(t("payments-admin-not-found", charge=charge))
        return
    except RefundRefusedError as refused:
        await message.answer(
            t("payments-admin-refused", balance=refused.balance, needed=refused.needed)
        )
        return
    except TelegramAPIError as error:
        await message.answer(t("payments-admin-failed", error=error.message))
        return
    if done.outcome == "already":
        await message.answer(t("payments-admin-already", charge=charge))
    elif done.outcome == "reversed":
        await message.answer(
            t("payments-admin-refunded", charge=charge, credits=done.credits,
              user=str(done.user_id), balance=done.balance)
        )  # fmt: skip
    else:
        await message.answer(t("payments-admin-refunded-uncredited", charge=charge))


def build_router() -> Router:
    router = Router(name="payments")
    router.callback_query.register(buy_screen, MenuCb.filter(F.item == BUY))
    router.callback_query.register(buy_package, BuyCb.filter())
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, F.successful_payment)
    router.message.register(refunded_payment, F.refunded_payment)
    router.message.register(refund_stars, Command("refund_stars"), Staff(admin.ADMIN_ROLES))
    return router
