"""Click SHOP API: Prepare (action 0) and Complete (action 1) (payments-spec §2).

What Click sends and what we answer (JSON; `error` 0 or one of −1 … −9, with its `error_note`):
- Form fields, each exactly once; any missing (or repeated, or a non-numeric id) is −8.
- `sign_string` = md5(click_trans_id + service_id + CLICK_SECRET_KEY + merchant_trans_id
  [+ merchant_prepare_id on Complete] + amount + action + sign_time), over the values exactly as
  received (never re-formatted); a mismatch is −1. With CLICK_SECRET_KEY unset every call is −1.
  A correctly signed call for another service id is −8.
- `action` must be 0 on /prepare and 1 on /complete, else −3.
- `merchant_trans_id` is our order id; an unknown order, or one for another provider, is −5.
- `amount` is in soums and must equal the order's UZS price exactly ("15000", "15000.0" and
  "15000.00" do for a 15 000 UZS order; "1500000", the same in tiyin, does not): else −2.
- Prepare reserves: it stores the Click transaction (`click_trans_id`, unique) and returns its
  id as `merchant_prepare_id`. A repeated Prepare returns the same id. An order that is paid is
  −4; one that is cancelled or expired (or whose fan is banned or package withdrawn) is −9.
- Complete names the reservation by `merchant_prepare_id`; one that is unknown or belongs to
  another order or Click transaction is −6. Check order as in Click's own library: −4 if that
  transaction was confirmed (a repeat, or Click cancelling a confirmed payment: both official
  libraries answer −4, spec §6.4), −2 on amount, −9 if it was cancelled. Then an incoming
  `error < 0` cancels the reservation (−9); `error = 0` credits the order once
  (`pay:click:<click_trans_id>`) and answers 0 with `merchant_confirm_id`. If another Click
  transaction paid the order meanwhile the answer is −4. A reservation completes even after the
  order's deadline passed: Click took the money.
- Concurrent repeats serialise on the order's row lock, then the transaction's, so 20 copies of
  one Complete credit once (one answer 0, the rest −4).
- Unexpected failures are −7 (logged); every call that reaches a transaction is stored on its
  Payment row (`raw.calls`), every state change is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ValidationFailed
from stario.core.services import audit, orders
from stario.core.services.orders import LockedOrder, OrderPolicy, PaymentRef, Refusal
from stario.core.settings import Settings
from stario.models import Payment, PaymentProvider, utcnow

log = logging.getLogger(__name__)

PROVIDER = PaymentProvider.CLICK
PAY_URL = "https://my.click.uz/services/pay"
PREPARE, COMPLETE = 0, 1
PREPARED, CONFIRMED, CANCELLED = "prepared", "confirmed", "cancelled"

SUCCESS = 0
SIGN_CHECK_FAILED = -1
INCORRECT_AMOUNT = -2
ACTION_NOT_FOUND = -3
ALREADY_PAID = -4
USER_NOT_FOUND = -5
TRANSACTION_NOT_FOUND = -6
FAILED_TO_UPDATE = -7
BAD_REQUEST = -8
TRANSACTION_CANCELLED = -9

NOTES: Final[dict[int, str]] = {
    SUCCESS: "Success",
    SIGN_CHECK_FAILED: "SIGN CHECK FAILED!",
    INCORRECT_AMOUNT: "Incorrect parameter amount",
    ACTION_NOT_FOUND: "Action not found",
    ALREADY_PAID: "Already paid",
    USER_NOT_FOUND: "User does not exist",
    TRANSACTION_NOT_FOUND: "Transaction does not exist",
    FAILED_TO_UPDATE: "Failed to update user",
    BAD_REQUEST: "Error in request from click",
    TRANSACTION_CANCELLED: "Transaction cancelled",
}

PREPARE_FIELDS: Final = (
    "click_trans_id",
    "service_id",
    "click_paydoc_id",
    "merchant_trans_id",
    "amount",
    "action",
    "error",
    "error_note",
    "sign_time",
    "sign_string",
)
COMPLETE_FIELDS: Final = (*PREPARE_FIELDS, "merchant_prepare_id")
_DIGITS = re.compile(r"[0-9]{1,20}")
_INTEGER = re.compile(r"-?[0-9]{1,10}")
_SOUMS = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClickConfig:
    service_id: str | None
    merchant_id: str | None
    secret_key: str | None
    merchant_user_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ClickConfig:
        return cls(
            service_id=settings.click_service_id or None,
            merchant_id=settings.click_merchant_id or None,
            secret_key=(
                settings.click_secret_key.get_secret_value() if settings.click_secret_key else None
            ),
            merchant_user_id=settings.click_merchant_user_id or None,
        )


class ClickError(Exception):
    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"{code}: {NOTES[code]}")


# Use cases ------------------------------------------------------------------------------------


async def prepare(
    session: AsyncSession,
    fields: Iterable[tuple[str, str]],
    *,
    config: ClickConfig,
    policy: OrderPolicy,
    now: datetime | None = None,
) -> JsonObject:
    """Answer Prepare: reserve the order for this Click transaction."""
    return await _answer(session, _Call(list(fields), PREPARE, config, policy, now or utcnow()))


async def complete(
    session: AsyncSession,
    fields: Iterable[tuple[str, str]],
    *,
    config: ClickConfig,
    policy: OrderPolicy,
    now: datetime | None = None,
) -> JsonObject:
    """Answer Complete: credit the order once, or cancel the reservation."""
    return await _answer(session, _Call(list(fields), COMPLETE, config, policy, now or utcnow()))


def sign_string(fields: dict[str, str], secret_key: str, action: int) -> str:
    """The md5 Click signs its calls with, over the values as given."""
    parts = [
        fields.get("click_trans_id", ""),
        fields.get("service_id", ""),
        secret_key,
        fields.get("merchant_trans_id", ""),
        fields.get("merchant_prepare_id", "") if action == COMPLETE else "",
        fields.get("amount", ""),
        fields.get("action", ""),
        fields.get("sign_time", ""),
    ]
    return hashlib.md5("".join(parts).encode(), usedforsecurity=False).hexdigest()


def payment_link(
    config: ClickConfig, *, order_id: int, amount_uzs: int, return_url: str | None = None
) -> str:
    """The CLICK-Button link (§2.8); `transaction_param` comes back as `merchant_trans_id`."""
    if not config.service_id or not config.merchant_id:
        raise ValidationFailed("CLICK_SERVICE_ID and CLICK_MERCHANT_ID must be set")
    query = {
        "service_id": config.service_id,
        "merchant_id": config.merchant_id,
        "amount": f"{amount_uzs}.00",
        "transaction_param": str(order_id),
    }
    if config.merchant_user_id:
        query["merchant_user_id"] = config.merchant_user_id
    if return_url:
        query["return_url"] = return_url
    return f"{PAY_URL}?{urlencode(query)}"


# The two calls --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Call:
    pairs: list[tuple[str, str]]
    action: int
    config: ClickConfig
    policy: OrderPolicy
    now: datetime
    fields: dict[str, str] | None = None
    payment_id: int | None = None


async def _answer(session: AsyncSession, call: _Call) -> JsonObject:
    try:
        # Audit rows are written in one batch when the use case commits.
        with session.no_autoflush:
            try:
                await _run(session, call)
            except IntegrityError:
                # A twin Prepare stored this Click transaction first and has committed.
                await session.rollback()
                await _run(session, call)
    except ClickError as error:
        await session.rollback()
        return _reply(call, error.code)
    except Exception:  # Click must get a JSON answer whatever broke
        log.exception("Click %s failed", "prepare" if call.action == PREPARE else "complete")
        await session.rollback()
        return _reply(call, FAILED_TO_UPDATE)
    return _reply(call, SUCCESS)


async def _run(session: AsyncSession, call: _Call) -> None:
    fields = _checked_fields(call)
    if call.action == PREPARE:
        await _prepare(session, call, fields)
    else:
        await _complete(session, call, fields)


async def _prepare(session: AsyncSession, call: _Call, fields: dict[str, str]) -> None:
    order = await _order(session, fields)
    click_trans_id = fields["click_trans_id"]
    payment = await _find(session, click_trans_id=click_trans_id)
    if payment is not None:
        call.payment_id = payment.id
        if payment.order_id != order.id:
            raise ClickError(TRANSACTION_NOT_FOUND)
        _refuse_settled(payment, fields, order)
        await _store_call(session, call, payment)
        await session.commit()
        return

    refusal = orders.refusal_for_new_payment(order, call.now)
    if refusal is Refusal.PAID:
        raise ClickError(ALREADY_PAID)
    if not _amount_matches(fields["amount"], order.amount_tiyin):
        raise ClickError(INCORRECT_AMOUNT)
    if refusal is not None:
        raise ClickError(TRANSACTION_CANCELLED)
    payment_id = await session.scalar(
        sa.insert(Payment)
        .values(
            order_id=order.id,
            provider=PROVIDER,
            external_id=click_trans_id,
            amount=order.amount_uzs,
            currency="UZS",
            provider_state=PREPARED,
            created_at=call.now,
            updated_at=call.now,
            raw=orders.with_provider_call({}, _payload(call, fields), call.now),
        )
        .returning(Payment.id)
    )
    assert payment_id is not None  # INSERT ... RETURNING always returns the new id
    call.payment_id = payment_id
    orders.record_payment_created(
        session, order.id, orders.PaymentRef(PROVIDER, click_trans_id), payment_id
    )
    await session.commit()


async def _complete(session: AsyncSession, call: _Call, fields: dict[str, str]) -> None:
    order = await _order(session, fields)
    prepare_id = fields["merchant_prepare_id"]
    if not _DIGITS.fullmatch(prepare_id) or int(prepare_id) >= 2**63:
        raise ClickError(TRANSACTION_NOT_FOUND)
    payment = await _find(session, payment_id=int(prepare_id))
    if (
        payment is None
        or payment.order_id != order.id
        or payment.external_id != fields["click_trans_id"]
    ):
        raise ClickError(TRANSACTION_NOT_FOUND)
    call.payment_id = payment.id
    _refuse_settled(payment, fields, order)

    if int(fields["error"]) < 0:
        # Click could not take the money (or gave up): release the reservation.
        await _settle(session, call, payment, CANCELLED, fields, audit_action="payment.cancelled")
        await session.commit()
        raise ClickError(TRANSACTION_CANCELLED)
    if not orders.can_complete_reserved_payment(order):  # another Click payment paid it
        raise ClickError(ALREADY_PAID)
    await orders.mark_paid(
        session,
        order,
        PaymentRef(PROVIDER, payment.external_id),
        policy=call.policy,
        now=call.now,
        payment_change={"payment_id": payment.id, "state": f"{payment.state} -> {CONFIRMED}"},
    )
    await _settle(session, call, payment, CONFIRMED, fields)
    await session.commit()


# Rules shared by both -------------------------------------------------------------------------


def _checked_fields(call: _Call) -> dict[str, str]:
    """The fields, signature, service and action checked, in the order Click's library does."""
    required = PREPARE_FIELDS if call.action == PREPARE else COMPLETE_FIELDS
    fields: dict[str, str] = {}
    for name, value in call.pairs:
        if name in fields:
            raise ClickError(BAD_REQUEST)  # which copy was signed is anyone's guess
        fields[name] = value
    call.fields = fields
    if any(name not in fields for name in required):
        raise ClickError(BAD_REQUEST)
    secret = call.config.secret_key
    expected = sign_string(fields, secret, call.action) if secret else ""
    received = fields["sign_string"].strip().lower()
    if not secret or not hmac.compare_digest(received.encode(), expected.encode()):
        raise ClickError(SIGN_CHECK_FAILED)
    if fields["service_id"] != call.config.service_id:
        raise ClickError(BAD_REQUEST)
    if not _DIGITS.fullmatch(fields["click_trans_id"]) or not _INTEGER.fullmatch(fields["error"]):
        raise ClickError(BAD_REQUEST)
    if not _INTEGER.fullmatch(fields["action"]) or int(fields["action"]) != call.action:
        raise ClickError(ACTION_NOT_FOUND)
    return fields


async def _order(session: AsyncSession, fields: dict[str, str]) -> LockedOrder:
    order_id = fields["merchant_trans_id"]
    if not _DIGITS.fullmatch(order_id) or not 0 < int(order_id) < 2**63:
        raise ClickError(USER_NOT_FOUND)
    order = await orders.lock_order(session, int(order_id))
    if order is None or order.provider is not PROVIDER:
        raise ClickError(USER_NOT_FOUND)
    return order


def _refuse_settled(payment: _Payment, fields: dict[str, str], order: LockedOrder) -> None:
    if payment.state == CONFIRMED:
        raise ClickError(ALREADY_PAID)
    if not _amount_matches(fields["amount"], order.amount_tiyin):
        raise ClickError(INCORRECT_AMOUNT)
    if payment.state == CANCELLED:
        raise ClickError(TRANSACTION_CANCELLED)


def _amount_matches(amount: str, amount_tiyin: int) -> bool:
    """Soums as Click sent them, compared exactly (no float) with the order's UZS price."""
    return bool(_SOUMS.fullmatch(amount)) and Decimal(amount) * 100 == amount_tiyin


# Storage and answers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Payment:
    id: int
    order_id: int
    external_id: str
    state: str
    raw: JsonObject


async def _find(
    session: AsyncSession, *, click_trans_id: str | None = None, payment_id: int | None = None
) -> _Payment | None:
    statement = sa.select(
        Payment.id, Payment.order_id, Payment.external_id, Payment.provider_state, Payment.raw
    ).where(Payment.provider == PROVIDER)
    if click_trans_id is not None:
        statement = statement.where(Payment.external_id == click_trans_id)
    if payment_id is not None:
        statement = statement.where(Payment.id == payment_id)
    row = (await session.execute(statement.with_for_update())).one_or_none()
    if row is None:
        return None
    return _Payment(row.id, row.order_id, row.external_id, row.provider_state, row.raw or {})


async def _store_call(session: AsyncSession, call: _Call, payment: _Payment) -> None:
    await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id)
        .values(raw=orders.with_provider_call(payment.raw, _payload(call, call.fields), call.now))
        .execution_options(synchronize_session=False)
    )


async def _settle(
    session: AsyncSession,
    call: _Call,
    payment: _Payment,
    state: str,
    fields: dict[str, str],
    *,
    audit_action: str | None = None,
) -> None:
    """Store the payment's new state (audited as `audit_action`, unless the order's own audit
    row records it)."""
    values: dict[str, Any] = {
        "provider_state": state,
        "raw": orders.with_provider_call(payment.raw, _payload(call, fields), call.now),
        "updated_at": call.now,
    }
    if state == CONFIRMED:
        values["performed_at"] = call.now
    else:
        values["cancelled_at"] = call.now
        values["cancel_reason"] = int(fields["error"])
    await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if audit_action is None:
        return
    audit.record(
        session,
        audit_action,
        actor_id=None,
        target_type="order",
        target_id=payment.order_id,
        details={
            "provider": PROVIDER.value,
            "external_id": payment.external_id,
            "payment_id": payment.id,
            "state": f"{payment.state} -> {state}",
            "click_error": int(fields["error"]),
        },
    )


def _payload(call: _Call, fields: dict[str, str] | None) -> JsonObject:
    return {"action": "prepare" if call.action == PREPARE else "complete", "fields": fields or {}}


def _reply(call: _Call, code: int) -> JsonObject:
    fields = call.fields or {}
    click_trans_id = fields.get("click_trans_id")
    answer: JsonObject = {
        "click_trans_id": (
            int(click_trans_id)
            if click_trans_id is not None and _DIGITS.fullmatch(click_trans_id)
            else click_trans_id
        ),
        "merchant_trans_id": fields.get("merchant_trans_id"),
    }
    if call.action == PREPARE:
        answer["merchant_prepare_id"] = call.payment_id
    else:
        answer["merchant_confirm_id"] = call.payment_id if code == SUCCESS else None
    answer["error"] = code
    answer["error_note"] = NOTES[code]
    return answer
