"""The daily payments reconciliation report (`/payments_report [date]`, `stario report payments`).

A day is a UTC calendar day. The report has:
- `orders`: the orders created that day, per provider and current status: how many, and their
  amounts (tiyin and UZS for Payme and Click, Stars for Stars) and credits;
- `mismatches`, each naming the provider, order and provider transaction, of five kinds:
  - `paid_without_credit`: an order paid that day with no ledger credit
    `pay:<provider>:<id>` for any of its payments;
  - `credit_without_paid_order`: a payment credit posted that day whose payment's order is
    not paid (or refunded), or that has no payment at all;
  - `refunded_not_reversed`: a payment the provider cancelled or refunded that day (its
    `cancelled_at` is set) whose credit was not reversed (e.g. a Stars refund after the fan
    spent the credits);
  - `amount_differs`: a payment credited that day whose amount (in the provider's unit: tiyin,
    soums, Stars) is not the order's, or whose credit is not the order's credits;
  - `unmatched_payment`: money received that day (a Stars charge) that matched no order and
    credited nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from stario.models import CreditLedger, Order, OrderStatus, Payment, PaymentProvider

PAID_STATES = (OrderStatus.PAID, OrderStatus.REFUNDED)
UNMATCHED = "unmatched"
KINDS = (
    "paid_without_credit",
    "credit_without_paid_order",
    "refunded_not_reversed",
    "amount_differs",
    "unmatched_payment",
)


@dataclass(frozen=True, slots=True)
class OrderGroup:
    provider: str
    status: str
    count: int
    amount_tiyin: int
    amount_uzs: int
    amount_stars: int
    credits: int


@dataclass(frozen=True, slots=True)
class Mismatch:
    """`figures` by kind: `status` (paid_without_credit); `key`, `credits`, `status`
    (credit_without_paid_order); `state`, `credits` (refunded_not_reversed); `paid`,
    `expected`, `credited`, `credits` (amount_differs); `amount`, `currency`
    (unmatched_payment)."""

    kind: str
    provider: str | None
    order_id: int | None
    external_id: str | None
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PaymentsReport:
    day: date
    orders: list[OrderGroup]
    mismatches: list[Mismatch]

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "timezone": "UTC",
            "orders": [asdict(group) for group in self.orders],
            "mismatches": [asdict(mismatch) for mismatch in self.mismatches],
        }


async def build(session: AsyncSession, day: date) -> PaymentsReport:
    start = datetime.combine(day, time(), UTC)
    window = (start, start + timedelta(days=1))
    mismatches = [
        *await _paid_without_credit(session, window),
        *await _credit_without_paid_order(session, window),
        *await _refunded_not_reversed(session, window),
        *await _amount_differs(session, window),
        *await _unmatched(session, window),
    ]
    return PaymentsReport(day, await _order_groups(session, window), mismatches)


Window = tuple[datetime, datetime]


def _within(column: Any, window: Window) -> sa.ColumnElement[bool]:
    return sa.and_(column >= window[0], column < window[1])


_PAY_KEY = sa.literal("pay:") + sa.cast(Payment.provider, sa.String) + ":" + Payment.external_id


async def _order_groups(session: AsyncSession, window: Window) -> list[OrderGroup]:
    rows = await session.execute(
        sa.select(
            Order.provider,
            Order.status,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Order.amount_tiyin), 0),
            sa.func.coalesce(sa.func.sum(Order.amount_stars), 0),
            sa.func.coalesce(sa.func.sum(Order.credits), 0),
        )
        .where(_within(Order.created_at, window))
        .group_by(Order.provider, Order.status)
        .order_by(Order.provider, Order.status)
    )
    return [
        OrderGroup(
            provider=PaymentProvider(provider).value,
            status=OrderStatus(status).value,
            count=int(count),
            amount_tiyin=int(tiyin),
            amount_uzs=int(tiyin) // 100,
            amount_stars=int(stars),
            credits=int(credits),
        )
        for provider, status, count, tiyin, stars, credits in rows
    ]


async def _paid_without_credit(session: AsyncSession, window: Window) -> list[Mismatch]:
    credited = (
        sa.select(Payment.id)
        .join(CreditLedger, CreditLedger.idempotency_key == _PAY_KEY)
        .where(Payment.order_id == Order.id)
    )
    rows = await session.execute(
        sa.select(Order.id, Order.provider, Order.status)
        .where(_within(Order.paid_at, window), Order.status.in_(PAID_STATES), ~credited.exists())
        .order_by(Order.id)
    )
    return [
        Mismatch("paid_without_credit", PaymentProvider(provider).value, order_id, None,
                 {"status": OrderStatus(status).value})
        for order_id, provider, status in rows
    ]  # fmt: skip


async def _credit_without_paid_order(session: AsyncSession, window: Window) -> list[Mismatch]:
    rows = await session.execute(
        sa.select(
            CreditLedger.idempotency_key,
            CreditLedger.amount,
            Payment.provider,
            Payment.external_id,
            Order.id,
            Order.status,
        )
        .outerjoin(Payment, CreditLedger.idempotency_key == _PAY_KEY)
        .outerjoin(Order, Order.id == Payment.order_id)
        .where(
            _within(CreditLedger.created_at, window),
            CreditLedger.idempotency_key.startswith("pay:", autoescape=True),
            sa.or_(Order.id.is_(None), Order.status.not_in(PAID_STATES)),
        )
        .order_by(CreditLedger.id)
    )
    found = []
    for key, amount, provider, external_id, order_id, status in rows:
        key_provider, _, key_id = str(key).removeprefix("pay:").partition(":")
        figures = {"key": key, "credits": amount,
                   "status": None if status is None else OrderStatus(status).value}  # fmt: skip
        name = _name(provider) or key_provider or None
        found.append(
            Mismatch("credit_without_paid_order", name, order_id, external_id or key_id or None,
                     figures)
        )  # fmt: skip
    return found


async def _refunded_not_reversed(session: AsyncSession, window: Window) -> list[Mismatch]:
    reversal = aliased(CreditLedger)
    rows = await session.execute(
        sa.select(
            Payment.provider,
            Payment.order_id,
            Payment.external_id,
            Payment.provider_state,
            CreditLedger.amount,
        )
        .join(CreditLedger, CreditLedger.idempotency_key == _PAY_KEY)
        .outerjoin(reversal, reversal.reverses_id == CreditLedger.id)
        .where(_within(Payment.cancelled_at, window), reversal.id.is_(None))
        .order_by(Payment.id)
    )
    return [
        Mismatch("refunded_not_reversed", PaymentProvider(provider).value, order_id, external_id,
                 {"state": state, "credits": credits})
        for provider, order_id, external_id, state, credits in rows
    ]  # fmt: skip


async def _amount_differs(session: AsyncSession, window: Window) -> list[Mismatch]:
    rows = await session.execute(
        sa.select(
            Payment.provider,
            Payment.order_id,
            Payment.external_id,
            Payment.amount,
            CreditLedger.amount,
            Order.amount_tiyin,
            Order.amount_stars,
            Order.credits,
        )
        .join(CreditLedger, CreditLedger.idempotency_key == _PAY_KEY)
        .join(Order, Order.id == Payment.order_id)
        .where(_within(CreditLedger.created_at, window))
        .order_by(Payment.id)
    )
    found = []
    for provider, order_id, external_id, paid, credited, tiyin, stars, credits in rows:
        name = PaymentProvider(provider)
        expected = {PaymentProvider.PAYME: tiyin, PaymentProvider.CLICK: tiyin // 100,
                    PaymentProvider.STARS: stars}[name]  # fmt: skip
        if paid != expected or credited != credits:
            figures = {"paid": paid, "expected": expected, "credited": credited,
                       "credits": credits}  # fmt: skip
            found.append(Mismatch("amount_differs", name.value, order_id, external_id, figures))
    return found


async def _unmatched(session: AsyncSession, window: Window) -> list[Mismatch]:
    rows = await session.execute(
        sa.select(
            Payment.provider,
            Payment.order_id,
            Payment.external_id,
            Payment.amount,
            Payment.currency,
        )
        .where(_within(Payment.created_at, window), Payment.provider_state == UNMATCHED)
        .order_by(Payment.id)
    )
    return [
        Mismatch("unmatched_payment", PaymentProvider(provider).value, order_id, external_id,
                 {"amount": amount, "currency": currency})
        for provider, order_id, external_id, amount, currency in rows
    ]  # fmt: skip


def _name(provider: object) -> str | None:
    return None if provider is None else PaymentProvider(str(provider)).value
