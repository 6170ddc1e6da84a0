"""/help, /terms, /privacy and /paysupport: short texts in the fan's language."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.services import orders
from stario.core.services.users import UserView
from stario.handlers.common import Texts, menu_button
from stario.models import OrderStatus, PaymentProvider, utcnow

RECENT_ORDERS = 5


async def help_command(message: Message, t: Texts) -> None:
    await message.answer(t("help"), reply_markup=menu_button(t))


async def terms(message: Message, t: Texts) -> None:
    await message.answer(t("terms"), reply_markup=menu_button(t))


async def privacy(message: Message, t: Texts) -> None:
    await message.answer(t("privacy"), reply_markup=menu_button(t))


async def paysupport(message: Message, session: AsyncSession, user: UserView, t: Texts) -> None:
    """How to reach support, after the fan's last orders (to quote when they write)."""
    recent = await orders.recent_orders(session, user.id, RECENT_ORDERS)
    # The id as a string: Fluent would group a number's digits ("123 456 789").
    parts = [t("paysupport", user_id=str(user.id))]
    if recent:
        now = utcnow()
        lines = [t("paysupport-orders-title")]
        lines += [_order_line(t, order, now) for order in recent]
        parts.append("\n".join(lines))
    await message.answer("\n\n".join(parts), reply_markup=menu_button(t))


def _order_line(t: Texts, order: orders.OrderView, now: datetime) -> str:
    status = order.status
    if status is OrderStatus.PENDING and now >= order.expires_at:
        status = OrderStatus.EXPIRED  # not swept yet
    if order.provider is PaymentProvider.STARS:
        amount = t("paysupport-amount-stars", amount=order.amount_stars)
    else:
        amount = t("paysupport-amount-uzs", amount=order.amount_uzs)
    return t(
        "paysupport-order-line",
        number=str(order.id),
        date=order.created_at.strftime("%Y-%m-%d %H:%M"),
        credits=order.credits,
        provider=t(f"paysupport-provider-{order.provider.value}"),
        amount=amount,
        status=t(f"paysupport-status-{status.value}"),
    )


def build_router() -> Router:
    router = Router(name="info")
    router.message.register(help_command, Command("help"))
    router.message.register(terms, Command("terms"))
    router.message.register(privacy, Command("privacy"))
    router.message.register(paysupport, Command("paysupport"))
    return router
