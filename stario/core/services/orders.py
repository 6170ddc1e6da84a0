"""Orders: a fan buys a credit package through Telegram Stars, Payme or Click (issue 5).

Rules:
- An order is created `pending` for one fan, one active package and one provider, with its price
  fixed at that moment: `amount_tiyin` (= price in UZS × 100, Payme's unit and the UZS price
  Click is compared with) and `amount_stars`. It can be paid for `ORDER_TTL_S` (12 h by default,
  Payme's own transaction timeout); after that no new payment may start on it and it becomes
  `expired` (lazily: a fan's stale orders expire when they create a new one, and
  `expire_stale` expires them all).
- A payment that the provider reserved while the order was payable (Payme state 1, a Click
  Prepare) still completes if the order expired or was cancelled meanwhile: the provider has
  taken the money by then, so the order is paid. Money is never taken for nothing.
- Paying credits the fan exactly once, with the ledger key `pay:<provider>:<external_id>`
  (DESIGN §5); a refund reverses that posting exactly once (`refund:<provider>:<external_id>`)
  and is refused with RefundRefusedError when the fan already spent the credits: a balance
  never goes negative.
- A fan's first paid order pays their referrer `REFERRAL_BONUS_CREDITS` once (ledger key
  `referral:<fan_id>`), unless the referrer is banned or already got `REFERRAL_MONTHLY_CAP`
  bonuses this calendar month (UTC). The bonus stays with the referrer if the order is later
  refunded: it rewards bringing a paying fan, and reversing it could fail on a spent balance.
- Every state change writes an audit row in the same transaction.

- Every change to an order or to one of its payments happens under the order's row lock
  (`lock_order`, `lock_payment`), so concurrent repeats of one provider call serialise.
- A provider's payment keeps every call the provider made about it, as received, in its `raw`
  (`with_provider_call`).

`create_order`, `expire_stale` and `cancel_pending` are use cases: they commit once. The rest
are steps of the providers' use cases (payme.py, click.py, Stars in the bot), which take the
lock and commit once themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import (
    InsufficientBalanceError,
    NotFoundError,
    OrderNotPayableError,
    RefundRefusedError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.services import audit, ledger
from stario.core.settings import Settings
from stario.models import (
    CreditLedger,
    CreditPackage,
    Order,
    OrderStatus,
    Payment,
    PaymentProvider,
    User,
    utcnow,
)

REFERRAL_KEY_PREFIX = "referral:"


class PackageNotFoundError(NotFoundError):
    """No active credit package with that code (the same message as any NotFoundError)."""


MAX_STORED_CALLS = 50


@dataclass(frozen=True, slots=True)
class OrderPolicy:
    ttl: timedelta = timedelta(hours=12)
    referral_bonus: int = 3
    referral_monthly_cap: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderPolicy:
        return cls(
            ttl=timedelta(seconds=settings.order_ttl_s),
            referral_bonus=settings.referral_bonus_credits,
            referral_monthly_cap=settings.referral_monthly_cap,
        )


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    user_id: int
    package_code: str
    provider: PaymentProvider
    status: OrderStatus
    credits: int
    amount_tiyin: int
    amount_uzs: int
    amount_stars: int
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class LockedOrder:
    """An order read under its row lock, with what decides whether it can be paid."""

    id: int
    user_id: int
    provider: PaymentProvider
    status: OrderStatus
    credits: int
    amount_tiyin: int
    amount_stars: int
    expires_at: datetime
    package_code: str
    package_active: bool
    user_banned: bool
    referrer_id: int | None

    @property
    def amount_uzs(self) -> int:
        return self.amount_tiyin // 100

    @property
    def paid(self) -> bool:
        """Paid at some point (a refunded order was paid too)."""
        return self.status in (OrderStatus.PAID, OrderStatus.REFUNDED)


@dataclass(frozen=True, slots=True)
class LockedPayment:
    """A provider's payment (one Payment row) as read under its order's lock."""

    id: int
    order_id: int
    external_id: str
    amount: int  # in the provider's unit
    provider_state: str
    provider_created_at: datetime | None
    created_at: datetime
    performed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: int | None
    raw: dict[str, Any]


class Refusal(StrEnum):
    """Why a new payment cannot start on an order."""

    PAID = "paid"  # paid already (or paid and refunded)
    CLOSED = "closed"  # cancelled or expired
    UNAVAILABLE = "unavailable"  # the fan is banned or the package was withdrawn


@dataclass(frozen=True, slots=True)
class PaymentRef:
    """The provider's identity of one payment: its ledger key is `pay:<provider>:<id>`."""

    provider: PaymentProvider
    external_id: str

    @property
    def ledger_key(self) -> str:
        return f"pay:{self.provider.value}:{self.external_id}"

    @property
    def refund_key(self) -> str:
        return f"refund:{self.provider.value}:{self.external_id}"


@dataclass(frozen=True, slots=True)
class Paid:
    order_id: int
    user_id: int
    credits: int
    balance_after: int
    referral_bonus_to: int | None


# Use cases ------------------------------------------------------------------------------------


async def create_order(
    session: AsyncSession,
    *,
    user_id: int,
    package_code: str,
    provider: str,
    policy: OrderPolicy,
    now: datetime | None = None,
) -> OrderView:
    """A new pending order at the package's current price; the fan's stale orders expire."""
    now = now or utcnow()
    try:
        chosen = PaymentProvider(provider)
    except ValueError:
        raise ValidationFailed(
            f"provider must be one of {', '.join(p.value for p in PaymentProvider)}"
        ) from None
    banned = await session.scalar(sa.select(User.is_banned).where(User.id == user_id))
    if banned is None:
        raise NotFoundError(f"user {user_id} not found")
    if banned:
        raise UserBannedError(f"user {user_id} is banned")
    package = await session.scalar(
        sa.select(CreditPackage).where(CreditPackage.code == package_code, CreditPackage.is_active)
    )
    if package is None:
        raise PackageNotFoundError(f"no active credit package {package_code!r}")

    await _expire(session, now, user_id=user_id)
    order = Order(
        user_id=user_id,
        package_id=package.id,
        provider=chosen,
        status=OrderStatus.PENDING,
        credits=package.credits,
        amount_tiyin=package.price_uzs * 100,
        amount_stars=package.price_stars,
        expires_at=now + policy.ttl,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    audit.record(
        session,
        "order.created",
        actor_id=user_id,
        target_type="order",
        target_id=order.id,
        details={
            "package": package.code,
            "provider": chosen.value,
            "credits": order.credits,
            "amount_tiyin": order.amount_tiyin,
            "amount_stars": order.amount_stars,
        },
    )
    await session.commit()
    return OrderView(
        id=order.id,
        user_id=user_id,
        package_code=package.code,
        provider=chosen,
        status=OrderStatus.PENDING,
        credits=order.credits,
        amount_tiyin=order.amount_tiyin,
        amount_uzs=package.price_uzs,
        amount_stars=order.amount_stars,
        created_at=now,
        expires_at=order.expires_at,
        paid_at=None,
    )


async def get_order(session: AsyncSession, order_id: int) -> OrderView | None:
    row = (
        await session.execute(
            sa.select(Order, CreditPackage.code)
            .join(CreditPackage, CreditPackage.id == Order.package_id)
            .where(Order.id == order_id)
        )
    ).one_or_none()
    if row is None:
        return None
    order, code = row
    return _view(order, code)


def _view(order: Order, code: str) -> OrderView:
    return OrderView(
        id=order.id,
        user_id=order.user_id,
        package_code=code,
        provider=order.provider,
        status=order.status,
        credits=order.credits,
        amount_tiyin=order.amount_tiyin,
        amount_uzs=order.amount_tiyin // 100,
        amount_stars=order.amount_stars,
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_at=order.paid_at,
    )


async def recent_orders(session: AsyncSession, user_id: int, limit: int = 5) -> list[OrderView]:
    """The fan's latest orders, newest first (for /paysupport)."""
    rows = await session.execute(
        sa.select(Order, CreditPackage.code)
        .join(CreditPackage, CreditPackage.id == Order.package_id)
        .where(Order.user_id == user_id)
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return [_view(order, code) for order, code in rows]


async def expire_stale(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Mark every pending order past its deadline expired; returns their ids."""
    expired = await _expire(session, now or utcnow())
    await session.commit()
    return expired


async def cancel_pending(session: AsyncSession, order_id: int, *, actor_id: int) -> OrderView:
    """The fan (or an admin) drops a pending order: no payment can start on it any more."""
    order = await lock_order(session, order_id)
    if order is None:
        raise NotFoundError(f"order {order_id} not found")
    if order.status is not OrderStatus.PENDING:
        raise OrderNotPayableError(order_id, order.status.value)
    await _set_status(session, order.id, OrderStatus.CANCELLED, utcnow())
    audit.record(
        session, "order.cancelled", actor_id=actor_id, target_type="order", target_id=order_id
    )
    await session.commit()
    view = await get_order(session, order_id)
    assert view is not None
    return view


# Steps of the providers' use cases (they hold the lock and commit) ----------------------------


async def lock_order(session: AsyncSession, order_id: int) -> LockedOrder | None:
    """The order under a row lock (FOR UPDATE): payments on one order serialise here."""
    row = (await session.execute(_LOCK_ORDER, {"order_id": order_id})).one_or_none()
    return None if row is None else _locked_order(row)


async def read_order(session: AsyncSession, order_id: int) -> LockedOrder | None:
    """The order as lock_order gives it, without the lock (for checks that change nothing)."""
    row = (await session.execute(_READ_ORDER, {"order_id": order_id})).one_or_none()
    return None if row is None else _locked_order(row)


def read_order_with(flag: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """read_order's query plus one boolean SQL expression about the order (correlated on
    ORDER_ID), for `read_order_flagged`; build it once."""
    return _READ_ORDER.add_columns(flag.label("flag"))


async def read_order_flagged(
    session: AsyncSession, statement: sa.Select[Any], order_id: int
) -> tuple[LockedOrder, bool] | None:
    """The order as read_order gives it and the flag of `read_order_with`, in one query."""
    row = (await session.execute(statement, {"order_id": order_id})).one_or_none()
    return None if row is None else (_locked_order(row), bool(row.flag))


async def lock_payment(
    session: AsyncSession, payment: PaymentRef
) -> tuple[LockedOrder, LockedPayment] | None:
    """A provider's payment and the order it is for, both under row locks, in one statement
    (PostgreSQL hands back the current version of each locked row once it has the locks).
    None if the provider has no such payment."""
    row = (
        await session.execute(
            _LOCK_PAYMENT, {"provider": payment.provider.value, "external_id": payment.external_id}
        )
    ).one_or_none()
    if row is None:
        return None
    return _locked_order(row), LockedPayment(
        id=row.payment_id,
        order_id=row.id,
        external_id=row.external_id,
        amount=row.payment_amount,
        provider_state=row.provider_state,
        provider_created_at=row.provider_created_at,
        created_at=row.payment_created_at,
        performed_at=row.performed_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        raw=row.raw or {},
    )


def refusal_for_new_payment(order: LockedOrder, now: datetime) -> Refusal | None:
    """None if a new payment may start on this order now, else why not."""
    if order.paid:
        return Refusal.PAID
    if order.status is not OrderStatus.PENDING or now >= order.expires_at:
        return Refusal.CLOSED
    if order.user_banned or not order.package_active:
        return Refusal.UNAVAILABLE
    return None


def can_complete_reserved_payment(order: LockedOrder) -> bool:
    """A payment reserved while the order was payable completes even if the order has expired
    or been cancelled since: the provider has taken the money by then."""
    return order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELLED)


async def mark_paid(
    session: AsyncSession,
    order: LockedOrder,
    payment: PaymentRef,
    *,
    policy: OrderPolicy,
    now: datetime,
    payment_change: Mapping[str, object] | None = None,
) -> Paid:
    """Credit the order's credits once (key `pay:<provider>:<id>`) and mark it paid.

    The audit row also records `payment_change` (the provider payment's own transition, which
    is the same event)."""
    if not can_complete_reserved_payment(order):
        raise OrderNotPayableError(order.id, order.status.value)
    posting = await ledger.credit(
        session,
        order.user_id,
        order.credits,
        payment.ledger_key,
        reason=f"order {order.id}: package {order.package_code}",
    )
    details = {
        "provider": payment.provider.value,
        "external_id": payment.external_id,
        "credits": order.credits,
        "posting_id": posting.id,
        "was": order.status.value,
        **(payment_change or {}),
    }
    values = {"order_id": order.id, "status": OrderStatus.PAID.value, "now": now}
    if session.get_bind().dialect.name == "postgresql":
        if session.new:  # keep the audit rows in the order they were recorded
            await session.flush()
        await session.execute(
            _SET_ORDER_PAID_AUDITED,
            values | _audit_binds("order.paid", details, now),
        )
    else:
        await session.execute(_SET_ORDER_PAID, values)
        audit.record(
            session, "order.paid", actor_id=None, target_type="order", target_id=order.id,
            details=details,
        )  # fmt: skip
    referrer = await _pay_referral_bonus(session, order, policy, now)
    return Paid(
        order_id=order.id,
        user_id=order.user_id,
        credits=order.credits,
        balance_after=posting.balance_after,
        referral_bonus_to=referrer,
    )


async def refund(
    session: AsyncSession,
    order: LockedOrder,
    payment: PaymentRef,
    *,
    actor_id: int | None,
    now: datetime,
    payment_change: Mapping[str, object] | None = None,
) -> ledger.Posting:
    """Take the order's credits back once and mark it refunded (audited with
    `payment_change`, as in mark_paid).

    RefundRefusedError (and nothing changed) when the fan no longer has them.
    """
    if order.status not in (OrderStatus.PAID, OrderStatus.REFUNDED):
        raise OrderNotPayableError(order.id, order.status.value)
    try:
        posting = await ledger.reverse(
            session, payment.ledger_key, payment.refund_key, reason=f"order {order.id}: refund"
        )
    except InsufficientBalanceError as short:
        raise RefundRefusedError(order.id, short.balance, short.needed) from None
    if order.status is OrderStatus.PAID:
        await _set_status(session, order.id, OrderStatus.REFUNDED, now)
        audit.record(
            session,
            "order.refunded",
            actor_id=actor_id,
            target_type="order",
            target_id=order.id,
            details={
                "provider": payment.provider.value,
                "external_id": payment.external_id,
                "credits": -posting.amount,
                "posting_id": posting.id,
                **(payment_change or {}),
            },
        )
    return posting


def record_payment_created(
    session: AsyncSession, order_id: int, payment: PaymentRef, payment_id: int
) -> None:
    """Audit a provider's new transaction on an order."""
    audit.record(
        session,
        "payment.created",
        actor_id=None,
        target_type="order",
        target_id=order_id,
        details={
            "provider": payment.provider.value,
            "external_id": payment.external_id,
            "payment_id": payment_id,
        },
    )


def with_provider_call(raw: dict[str, Any], payload: object, now: datetime) -> dict[str, Any]:
    """A Payment's `raw` with one more provider call kept as received (the first
    MAX_STORED_CALLS of them; later repeats are only counted)."""
    calls = list(raw.get("calls", []))
    if len(calls) < MAX_STORED_CALLS:
        return {**raw, "calls": [*calls, {"at": now.isoformat(), "payload": payload}]}
    return {**raw, "dropped": int(raw.get("dropped", 0)) + 1}


# Internals ------------------------------------------------------------------------------------

_ORDERS = cast(sa.Table, Order.__table__)
_PACKAGES = cast(sa.Table, CreditPackage.__table__)
_USERS = cast(sa.Table, User.__table__)
_PAYMENTS = cast(sa.Table, Payment.__table__)

# Statements are built once (building them per call costs more than their round trips).
_SELECT_ORDER = sa.select(
    _ORDERS.c.id,
    _ORDERS.c.user_id,
    _ORDERS.c.provider,
    _ORDERS.c.status,
    _ORDERS.c.credits,
    _ORDERS.c.amount_tiyin,
    _ORDERS.c.amount_stars,
    _ORDERS.c.expires_at,
    _PACKAGES.c.code,
    _PACKAGES.c.is_active,
    _USERS.c.is_banned,
    _USERS.c.referrer_id,
).select_from(
    _ORDERS.join(_PACKAGES, _PACKAGES.c.id == _ORDERS.c.package_id).join(
        _USERS, _USERS.c.id == _ORDERS.c.user_id
    )
)
_READ_ORDER = _SELECT_ORDER.where(_ORDERS.c.id == sa.bindparam("order_id"))
ORDER_ID = _ORDERS.c.id
_LOCK_ORDER = _READ_ORDER.with_for_update(of=_ORDERS)
# Both rows locked: every change to a payment happens under this lock (or the order's).
_LOCK_PAYMENT = (
    _SELECT_ORDER.add_columns(
        _PAYMENTS.c.id.label("payment_id"),
        _PAYMENTS.c.external_id,
        _PAYMENTS.c.amount.label("payment_amount"),
        _PAYMENTS.c.provider_state,
        _PAYMENTS.c.provider_created_at,
        _PAYMENTS.c.created_at.label("payment_created_at"),
        _PAYMENTS.c.performed_at,
        _PAYMENTS.c.cancelled_at,
        _PAYMENTS.c.cancel_reason,
        _PAYMENTS.c.raw,
    )
    .join_from(_ORDERS, _PAYMENTS, _PAYMENTS.c.order_id == _ORDERS.c.id)
    .where(
        _PAYMENTS.c.provider == sa.bindparam("provider"),
        _PAYMENTS.c.external_id == sa.bindparam("external_id"),
    )
    .with_for_update(of=[_ORDERS, _PAYMENTS])
)
_SET_ORDER_PAID = (
    sa.update(_ORDERS)
    .where(_ORDERS.c.id == sa.bindparam("order_id"))
    .values(
        status=sa.bindparam("status"), paid_at=sa.bindparam("now"), updated_at=sa.bindparam("now")
    )
)
# The order marked paid and its `order.paid` audit row in one statement (PostgreSQL).
_PAID_ORDER = _SET_ORDER_PAID.returning(_ORDERS.c.id).cte("paid_order")
_SET_ORDER_PAID_AUDITED = sa.select(_PAID_ORDER.c.id).add_cte(
    audit.with_change(_PAID_ORDER, _PAID_ORDER.c.id, target_type="order")
)
_SET_ORDER_STATUS = (
    sa.update(_ORDERS)
    .where(_ORDERS.c.id == sa.bindparam("order_id"))
    .values(status=sa.bindparam("status"), updated_at=sa.bindparam("now"))
)


def _audit_binds(
    action: str, details: dict[str, Any], now: datetime, actor_id: int | None = None
) -> dict[str, Any]:
    """The binds of an `audit.with_change` statement."""
    return {
        "audit_action": action,
        "audit_actor": actor_id,
        "audit_details": details,
        "audit_at": now,
    }


def _locked_order(row: Any) -> LockedOrder:
    return LockedOrder(
        id=row.id,
        user_id=row.user_id,
        provider=PaymentProvider(row.provider),
        status=OrderStatus(row.status),
        credits=row.credits,
        amount_tiyin=row.amount_tiyin,
        amount_stars=row.amount_stars,
        expires_at=row.expires_at,
        package_code=row.code,
        package_active=row.is_active,
        user_banned=row.is_banned,
        referrer_id=row.referrer_id,
    )


async def _set_status(
    session: AsyncSession, order_id: int, status: OrderStatus, now: datetime
) -> None:
    await session.execute(
        _SET_ORDER_STATUS, {"order_id": order_id, "status": status.value, "now": now}
    )


async def _expire(
    session: AsyncSession, now: datetime, *, user_id: int | None = None
) -> list[int]:
    statement = (
        sa.update(Order)
        .where(Order.status == OrderStatus.PENDING, Order.expires_at <= now)
        .values(status=OrderStatus.EXPIRED, updated_at=now)
        .returning(Order.id)
        .execution_options(synchronize_session=False)
    )
    if user_id is not None:
        statement = statement.where(Order.user_id == user_id)
    expired = sorted((await session.scalars(statement)).all())
    for order_id in expired:
        audit.record(
            session, "order.expired", actor_id=None, target_type="order", target_id=order_id
        )
    return expired


async def _pay_referral_bonus(
    session: AsyncSession, order: LockedOrder, policy: OrderPolicy, now: datetime
) -> int | None:
    """The referrer's id if this, the fan's first paid order, earned them the bonus."""
    referrer_id = order.referrer_id
    if referrer_id is None or policy.referral_bonus <= 0:
        return None
    earlier_paid = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Order)
        .where(Order.user_id == order.user_id, Order.paid_at.is_not(None), Order.id != order.id)
    )
    if earlier_paid:
        return None
    # The referrer's row lock makes the monthly count and the bonus one step: two fans paying
    # at once cannot both slip under the cap.
    referrer_banned = await session.scalar(
        sa.select(User.is_banned).where(User.id == referrer_id).with_for_update()
    )
    details: dict[str, Any] = {"fan_id": order.user_id, "order_id": order.id}
    if referrer_banned is None or referrer_banned:
        return None
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = await session.scalar(
        sa.select(sa.func.count())
        .select_from(CreditLedger)
        .where(
            CreditLedger.user_id == referrer_id,
            CreditLedger.idempotency_key.startswith(REFERRAL_KEY_PREFIX, autoescape=True),
            CreditLedger.created_at >= month_start,
        )
    )
    if (this_month or 0) >= policy.referral_monthly_cap:
        audit.record(
            session,
            "referral.capped",
            actor_id=None,
            target_type="user",
            target_id=referrer_id,
            details=details | {"this_month": this_month},
        )
        return None
    posting = await ledger.credit(
        session,
        referrer_id,
        policy.referral_bonus,
        f"{REFERRAL_KEY_PREFIX}{order.user_id}",
        reason=f"referral bonus: fan {order.user_id}, order {order.id}",
    )
    audit.record(
        session,
        "referral.bonus",
        actor_id=None,
        target_type="user",
        target_id=referrer_id,
        details=details | {"credits": policy.referral_bonus, "posting_id": posting.id},
    )
    return referrer_id
