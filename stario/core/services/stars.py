"""Telegram Stars (payments-spec §3): signed invoice payloads, the pre-checkout decision, crediting
a `successful_payment` exactly once, and reversing it exactly once on a refund.

Payload: `s1.<order_id>.<amount>.<mac>` (at most 78 bytes, Telegram allows 128), where `mac` is
the unpadded base64url HMAC-SHA256, under the payments secret, of `<order_id>:<amount>:<user_id>`.
It binds the invoice to the order, its price in Stars and the fan it was sent to (the user id is
not written in the payload: it is the payer's id Telegram reports). The secret is
`PAYMENTS_SECRET`; when unset it is derived from the bot token:
HMAC-SHA256(key = BOT_TOKEN, message = "stario/payments-secret/v1") (`payments_secret`), so a new
bot token invalidates unpaid invoices (a pre-checkout then refuses them; paid ones are kept).

Pre-checkout (`check_pre_checkout`) is ok only for a valid signature of that payer, currency
XTR, a Stars order of that fan that is pending and not past its deadline, the right amount, an
active package and a fan who is not banned; otherwise it names the Fluent key of the refusal.

`successful_payment` (`record_successful_payment`) credits exactly once keyed on
`telegram_payment_charge_id` (ledger key `pay:stars:<charge_id>`, one `payments` row per charge,
unique), never on the payload: an old invoice paid again is a new, valid payment. Decision: when
the invoice's order is already paid (or refunded), the new charge gets a new order for the same
package at the invoice's price (credits and Stars of the original order), created paid, audited
with `repeat_of`. A payment that cannot be matched (a payload that does not verify for this
payer, an amount or currency other than the invoice's) is stored (state `unmatched`, audited)
without credit: the Stars are kept on record, and an admin can return them with /refund_stars.
Concurrent copies of one charge serialise on the order's row lock (and the unique key), so they
credit once.

Refund (`refund`): reverses the charge's credit exactly once (`refund:stars:<charge_id>`); when
the fan already spent the credits it raises RefundRefusedError and changes nothing (a balance
never goes negative). The admin command calls `refundStarPayment` from `before_commit`, while
the reversal is in the open transaction: if Telegram refuses, nothing is reversed; if the fan
spent the credits, Telegram is never asked. A `refunded_payment` Telegram reports (the Stars are
gone already) is reversed when possible; if the credits were spent they stay, and the payment
is marked refunded with an `order.refund_unreversed` audit row for the admins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, RefundRefusedError
from stario.core.services import audit, ledger, orders
from stario.core.services.orders import LockedOrder, OrderPolicy, OrderView, PaymentRef
from stario.core.settings import Settings, SettingsError
from stario.models import CreditLedger, Order, OrderStatus, Payment, PaymentProvider, utcnow

log = logging.getLogger(__name__)

PROVIDER = PaymentProvider.STARS
CURRENCY = "XTR"
SECRET_LABEL = b"stario/payments-secret/v1"
PAID, UNMATCHED, REFUNDED = "paid", "unmatched", "refunded"
_PAYLOAD = re.compile(r"s1\.([1-9][0-9]{0,18})\.([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})")

# Refusal keys of a pre-checkout (Fluent keys in payments.ftl).
INVALID = "payments-error-invalid"
CURRENCY_WRONG = "payments-error-currency"
AMOUNT_WRONG = "payments-error-amount"
ALREADY_PAID = "payments-error-paid"
EXPIRED = "payments-error-expired"
UNAVAILABLE = "payments-error-unavailable"
BANNED = "payments-error-banned"


def payments_secret(settings: Settings) -> bytes:
    """PAYMENTS_SECRET, or else the secret derived from BOT_TOKEN (see the module doc)."""
    if settings.payments_secret is not None and settings.payments_secret.get_secret_value():
        return settings.payments_secret.get_secret_value().encode()
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise SettingsError("PAYMENTS_SECRET", "or BOT_TOKEN is required for Stars payments")
    token = settings.bot_token.get_secret_value().encode()
    return hmac.new(token, SECRET_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class StarsConfig:
    secret: bytes
    policy: OrderPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> StarsConfig:
        return cls(secret=payments_secret(settings), policy=OrderPolicy.from_settings(settings))


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """One Stars invoice, as sendInvoice (the chat) and createInvoiceLink (the Mini App) send
    it: currency XTR, empty provider token, this one price."""

    title: str
    description: str
    payload: str
    label: str
    amount: int


def invoice_for(order: OrderView, secret: bytes, texts: Callable[..., str]) -> InvoiceRequest:
    """The invoice of a pending Stars order, in the fan's language (`texts(key, **args)`),
    with its signed payload."""
    return InvoiceRequest(
        title=texts("payments-invoice-title", credits=order.credits)[:32],
        description=texts("payments-invoice-description", credits=order.credits)[:255],
        payload=sign_payload(
            secret, order_id=order.id, amount=order.amount_stars, user_id=order.user_id
        ),
        label=texts("payments-invoice-label", credits=order.credits),
        amount=order.amount_stars,
    )


def sign_payload(secret: bytes, *, order_id: int, amount: int, user_id: int) -> str:
    return f"s1.{order_id}.{amount}.{_mac(secret, order_id, amount, user_id)}"


@dataclass(frozen=True, slots=True)
class Invoice:
    order_id: int
    amount: int


def verify_payload(secret: bytes, payload: str, user_id: int) -> Invoice | None:
    """The order and amount a payload was signed for, if it was signed for this payer."""
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    order_id, amount = int(match[1]), int(match[2])
    expected = _mac(secret, order_id, amount, user_id)
    if not hmac.compare_digest(expected.encode(), match[3].encode()):
        return None
    return Invoice(order_id, amount)


def _mac(secret: bytes, order_id: int, amount: int, user_id: int) -> str:
    digest = hmac.new(secret, f"{order_id}:{amount}:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Pre-checkout ---------------------------------------------------------------------------------


async def check_pre_checkout(
    session: AsyncSession,
    user_id: int,
    payload: str,
    currency: str,
    total_amount: int,
    *,
    secret: bytes,
    now: datetime | None = None,
) -> str | None:
    """None if Telegram may charge this payment, else the Fluent key of the refusal."""
    invoice = verify_payload(secret, payload, user_id)
    if invoice is None:
        return INVALID
    if currency != CURRENCY:
        return CURRENCY_WRONG
    order = await orders.read_order(session, invoice.order_id)
    if order is None or order.user_id != user_id or order.provider is not PROVIDER:
        return INVALID
    if order.user_banned:
        return BANNED
    if total_amount != invoice.amount or total_amount != order.amount_stars:
        return AMOUNT_WRONG
    refusal = orders.refusal_for_new_payment(order, now or utcnow())
    if refusal is orders.Refusal.PAID:
        return ALREADY_PAID
    if refusal is orders.Refusal.CLOSED:
        return EXPIRED
    if refusal is orders.Refusal.UNAVAILABLE:
        return UNAVAILABLE
    return None


# successful_payment ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StarsPaid:
    """What a successful_payment did: `credited` (now), `duplicate` (this charge was recorded
    before) or `unmatched` (recorded, not credited)."""

    outcome: str
    order_id: int | None
    credits: int
    balance: int
    repeat_of: int | None = None


async def record_successful_payment(
    session: AsyncSession,
    user_id: int,
    payload: str,
    total_amount: int,
    telegram_payment_charge_id: str,
    provider_payment_charge_id: str,
    raw: dict[str, Any],
    *,
    config: StarsConfig,
    currency: str = CURRENCY,
    now: datetime | None = None,
) -> StarsPaid:
    """Credit this charge once (see the module doc); commits."""
    call = _Charge(
        user_id, payload, total_amount, telegram_payment_charge_id, provider_payment_charge_id,
        raw, config, currency, now or utcnow(),
    )  # fmt: skip
    try:
        try:
            return await _record(session, call)
        except IntegrityError:  # a twin stored this charge first and has committed
            await session.rollback()
            return await _record(session, call)
    except BaseException:
        await session.rollback()
        raise


@dataclass(frozen=True, slots=True)
class _Charge:
    user_id: int
    payload: str
    total_amount: int
    charge_id: str
    provider_charge_id: str
    raw: dict[str, Any]
    config: StarsConfig
    currency: str
    now: datetime


async def _record(session: AsyncSession, call: _Charge) -> StarsPaid:
    invoice = verify_payload(call.config.secret, call.payload, call.user_id)
    order = await orders.lock_order(session, invoice.order_id) if invoice is not None else None
    existing = await _find_payment(session, call.charge_id)
    if existing is not None:
        await session.execute(
            sa.update(Payment)
            .where(Payment.id == existing.id)
            .values(raw=orders.with_provider_call(existing.raw or {}, call.raw, call.now))
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        credits = await _credited(session, call.charge_id)
        return StarsPaid(
            "duplicate", existing.order_id, credits, await _balance_or_zero(session, call.user_id)
        )
    matched = (
        invoice is not None
        and order is not None
        and order.user_id == call.user_id
        and order.provider is PROVIDER
        and call.currency == CURRENCY
        and call.total_amount == invoice.amount == order.amount_stars
    )
    if not matched or order is None:
        await _store_payment(session, call, order.id if order is not None else None, UNMATCHED)
        audit.record(
            session, "payment.stars.unmatched", actor_id=None, target_type="payment",
            target_id=call.charge_id,
            details={"user_id": call.user_id, "payload": call.payload,
                     "total_amount": call.total_amount, "currency": call.currency},
        )  # fmt: skip
        await session.commit()
        log.warning("Stars charge %s could not be matched to an order", call.charge_id)
        return StarsPaid("unmatched", None, 0, await _balance_or_zero(session, call.user_id))
    repeat_of = None
    if not orders.can_complete_reserved_payment(order):  # paid or refunded: a new payment
        repeat_of = order.id
        order = await _repeat_order(session, order, call.now)
    await _store_payment(session, call, order.id, PAID)
    paid = await orders.mark_paid(
        session, order, PaymentRef(PROVIDER, call.charge_id), policy=call.config.policy,
        now=call.now, payment_change={"stars": PAID, "repeat_of": repeat_of},
    )  # fmt: skip
    await session.commit()
    return StarsPaid("credited", paid.order_id, paid.credits, paid.balance_after, repeat_of)


async def _repeat_order(session: AsyncSession, paid: LockedOrder, now: datetime) -> LockedOrder:
    """A new order for the same package at the invoice's price, for another charge of it."""
    package_id = await session.scalar(sa.select(Order.package_id).where(Order.id == paid.id))
    order = Order(
        user_id=paid.user_id, package_id=package_id, provider=PROVIDER,
        status=OrderStatus.PENDING, credits=paid.credits, amount_tiyin=paid.amount_tiyin,
        amount_stars=paid.amount_stars, expires_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(order)
    await session.flush()
    audit.record(
        session, "order.created", actor_id=paid.user_id, target_type="order", target_id=order.id,
        details={"package": paid.package_code, "provider": PROVIDER.value,
                 "credits": paid.credits, "amount_stars": paid.amount_stars,
                 "repeat_of": paid.id},
    )  # fmt: skip
    locked = await orders.lock_order(session, order.id)
    assert locked is not None
    return locked


async def _find_payment(session: AsyncSession, charge_id: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        sa.select(Payment)
        .where(Payment.provider == PROVIDER, Payment.external_id == charge_id)
        .with_for_update()
    )
    return found


async def _store_payment(
    session: AsyncSession, call: _Charge, order_id: int | None, state: str
) -> None:
    raw = orders.with_provider_call(
        {"user_id": call.user_id, "provider_payment_charge_id": call.provider_charge_id},
        call.raw,
        call.now,
    )
    session.add(
        Payment(
            order_id=order_id, provider=PROVIDER, external_id=call.charge_id,
            amount=call.total_amount, currency=call.currency[:8], provider_state=state,
            performed_at=call.now if state == PAID else None, raw=raw,
        )
    )  # fmt: skip
    await session.flush()


async def _balance_or_zero(session: AsyncSession, user_id: int) -> int:
    """The payer's balance; 0 for a payer we have never seen (a reconciled charge)."""
    try:
        return await ledger.balance_of(session, user_id)
    except NotFoundError:
        return 0


async def _credited(session: AsyncSession, charge_id: str) -> int:
    amount = await session.scalar(
        sa.select(CreditLedger.amount).where(
            CreditLedger.idempotency_key == PaymentRef(PROVIDER, charge_id).ledger_key
        )
    )
    return int(amount or 0)


# Refunds --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StarsRefund:
    """`outcome`: `reversed` (now), `already` (refunded before), `uncredited` (an unmatched
    payment: nothing to reverse) or `unreversed` (Telegram refunded, the credits were spent)."""

    outcome: str
    user_id: int | None
    order_id: int | None
    credits: int
    balance: int | None


async def refund(
    session: AsyncSession,
    charge_id: str,
    actor: int | None,
    *,
    before_commit: Callable[[int], Awaitable[None]] | None = None,
    refunded_by_telegram: bool = False,
    now: datetime | None = None,
) -> StarsRefund:
    """Reverse this charge's credit once; commits. `before_commit(user_id)` runs with the
    reversal made but not committed (the admin's refundStarPayment): if it raises, nothing is
    reversed. RefundRefusedError when the fan spent the credits (unless Telegram already
    refunded: see the module doc). NotFoundError for an unknown charge."""
    now = now or utcnow()
    try:
        return await _refund(session, charge_id, actor, before_commit, refunded_by_telegram, now)
    except BaseException:
        await session.rollback()
        raise


async def _refund(
    session: AsyncSession,
    charge_id: str,
    actor: int | None,
    before_commit: Callable[[int], Awaitable[None]] | None,
    by_telegram: bool,
    now: datetime,
) -> StarsRefund:
    ref = PaymentRef(PROVIDER, charge_id)
    locked = await orders.lock_payment(session, ref)
    if locked is None:
        payment = await _find_payment(session, charge_id)  # an unmatched one has no order
        if payment is None:
            raise NotFoundError(f"no Stars payment {charge_id!r}")
        user_id = int((payment.raw or {}).get("user_id") or 0)
        return await _settle_uncredited(
            session, payment.id, payment.provider_state, user_id or None, None, actor,
            before_commit, now,
        )  # fmt: skip
    order, payment_row = locked
    if payment_row.provider_state == REFUNDED:
        balance = await ledger.balance_of(session, order.user_id)
        await session.commit()
        return StarsRefund("already", order.user_id, order.id, 0, balance)
    if payment_row.provider_state == UNMATCHED:
        return await _settle_uncredited(
            session, payment_row.id, UNMATCHED, order.user_id, order.id, actor, before_commit, now
        )
    change = {"stars": REFUNDED, "by": "telegram" if by_telegram else "admin"}
    try:
        posting = await orders.refund(
            session, order, ref, actor_id=actor, now=now, payment_change=change
        )
    except RefundRefusedError as refused:
        if not by_telegram:
            raise
        await session.rollback()
        locked = await orders.lock_payment(session, ref)
        assert locked is not None
        await _mark_refunded(session, locked[1].id, now)
        audit.record(
            session, "order.refund_unreversed", actor_id=actor, target_type="order",
            target_id=order.id,
            details={"external_id": charge_id, "balance": refused.balance,
                     "credits": refused.needed},
        )  # fmt: skip
        await session.commit()
        return StarsRefund("unreversed", order.user_id, order.id, 0, refused.balance)
    await _mark_refunded(session, payment_row.id, now)
    if before_commit is not None:
        await before_commit(order.user_id)
    await session.commit()
    return StarsRefund("reversed", order.user_id, order.id, -posting.amount, posting.balance_after)


async def _settle_uncredited(
    session: AsyncSession,
    payment_id: int,
    state: str,
    user_id: int | None,
    order_id: int | None,
    actor: int | None,
    before_commit: Callable[[int], Awaitable[None]] | None,
    now: datetime,
) -> StarsRefund:
    if state == REFUNDED:
        await session.commit()
        return StarsRefund("already", user_id, order_id, 0, None)
    await _mark_refunded(session, payment_id, now)
    audit.record(
        session, "payment.stars.refunded", actor_id=actor, target_type="payment",
        target_id=payment_id, details={"credited": False},
    )  # fmt: skip
    if before_commit is not None and user_id is not None:
        await before_commit(user_id)
    await session.commit()
    return StarsRefund("uncredited", user_id, order_id, 0, None)


async def _mark_refunded(session: AsyncSession, payment_id: int, now: datetime) -> None:
    await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment_id)
        .values(provider_state=REFUNDED, cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
