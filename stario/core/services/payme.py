"""Payme Merchant API: Payme Business calls us with JSON-RPC 2.0 (payments-spec §1).

What Payme sends and what we answer:
- Authentication before anything is looked at (only unparseable JSON, −32700, comes first):
  HTTP Basic `PAYME_LOGIN:PAYME_KEY` (login `Paycom` by default), the key compared in constant
  time; anything else is −32504. With PAYME_KEY unset every call is −32504.
- A request is an object with `method` (string), `params` (object) and `id` (integer; echoed).
  Malformed JSON is −32700; a missing or mistyped RPC field or parameter is −32600 (`data` names
  it); an unknown method is −32601 (`data` is its name). Every error carries a `message` object
  in ru, uz and en. Unexpected failures are −32400 (logged).
- The account is one order: `account.order_id`. An unknown order, or one for another provider,
  is −31050 with `data: "order_id"`. Amounts are integer tiyin and must equal the order's
  `amount_tiyin` exactly (−31001). An order that is paid, closed, or has another live Payme
  transaction cannot start one: −31008 (also from CheckPerformTransaction; spec §6.1 leaves it
  open, this follows Payme's PHP template and the sandbox's CreateTransaction rule).
- States: 1 created (the order is reserved), 2 performed (credited), −1 cancelled before
  perform, −2 cancelled after perform (credits reversed). A transaction in state 1 older than
  12 h (from Payme's `time`) is cancelled with reason 4 when next touched, and the call is −31008.
- Repeats (Payme resends every call whose answer it lost; the sandbox sends them twice) are
  answered from the stored transaction, so they are identical: times are the stored ones (kept
  at millisecond precision). Concurrent repeats serialise on the order's row lock.
- Cancel after perform is a refund: the credits are reversed once; if the fan already spent
  them the refund is refused with −31007 and the transaction stays performed.
- GetStatement lists the transactions Payme created in [from, to] (its `time`), oldest first.
- Every call that touches a transaction is stored on its Payment row (`raw.calls`), and every
  state change is audited (a perform or refund by the order's own `order.paid` /
  `order.refunded` row, which records the transaction's transition too).
- The read-only methods (CheckPerformTransaction, CheckTransaction, GetStatement) run outside a
  transaction.

One request is one use case: it commits once (or not at all).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeGuard, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import RefundRefusedError, ValidationFailed
from stario.core.services import audit, orders
from stario.core.services.orders import LockedOrder, OrderPolicy, PaymentRef
from stario.core.settings import Settings
from stario.models import Payment, PaymentProvider, utcnow

log = logging.getLogger(__name__)

PROVIDER = PaymentProvider.PAYME
ACCOUNT_FIELD = "order_id"
TIMEOUT = timedelta(milliseconds=43_200_000)

CREATED, PERFORMED, CANCELLED, CANCELLED_AFTER_PERFORM = 1, 2, -1, -2
REASONS: Final = frozenset({1, 2, 3, 4, 5, 10})
REASON_TIMEOUT = 4

# Error codes (spec §1.6).
METHOD_NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
NO_PRIVILEGE = -32504
SYSTEM_ERROR = -32400
WRONG_AMOUNT = -31001
TRANSACTION_NOT_FOUND = -31003
CANNOT_CANCEL = -31007
CANNOT_PERFORM = -31008
ORDER_NOT_FOUND = -31050

MESSAGES: Final[dict[int, dict[str, str]]] = {
    METHOD_NOT_POST: {
        "ru": "Метод запроса не POST",
        "uz": "Soʻrov usuli POST emas",
        "en": "The request method is not POST",
    },
    PARSE_ERROR: {
        "ru": "Ошибка разбора JSON",
        "uz": "JSON tahlilida xatolik",
        "en": "JSON parse error",
    },
    INVALID_REQUEST: {
        "ru": "Отсутствуют обязательные поля в RPC-запросе или тип полей не соответствует "
        "спецификации",
        "uz": "RPC soʻrovida majburiy maydonlar yoʻq yoki maydon turi spetsifikatsiyaga mos emas",
        "en": "Required RPC fields are missing or their types do not match the specification",
    },
    METHOD_NOT_FOUND: {
        "ru": "Запрашиваемый метод не найден",
        "uz": "Soʻralgan usul topilmadi",
        "en": "The requested method was not found",
    },
    NO_PRIVILEGE: {
        "ru": "Недостаточно привилегий для выполнения метода",
        "uz": "Usulni bajarish uchun huquqlar yetarli emas",
        "en": "Insufficient privilege to perform this method",
    },
    SYSTEM_ERROR: {
        "ru": "Системная ошибка",
        "uz": "Tizim xatosi",
        "en": "System error",
    },
    WRONG_AMOUNT: {
        "ru": "Неверная сумма",
        "uz": "Notoʻgʻri summa",
        "en": "Wrong amount",
    },
    TRANSACTION_NOT_FOUND: {
        "ru": "Транзакция не найдена",
        "uz": "Tranzaksiya topilmadi",
        "en": "Transaction not found",
    },
    CANNOT_CANCEL: {
        "ru": "Заказ выполнен. Невозможно отменить транзакцию. Товар или услуга предоставлена "
        "покупателю в полном объеме",
        "uz": "Buyurtma bajarilgan. Tranzaksiyani bekor qilib boʻlmaydi. Tovar yoki xizmat "
        "xaridorga toʻliq taqdim etilgan",
        "en": "Order completed. Impossible to cancel the transaction. The goods or service have "
        "been provided to the buyer in full",
    },
    CANNOT_PERFORM: {
        "ru": "Невозможно выполнить операцию",
        "uz": "Amalni bajarib boʻlmaydi",
        "en": "Unable to perform the operation",
    },
    ORDER_NOT_FOUND: {
        "ru": "Заказ не найден",
        "uz": "Buyurtma topilmadi",
        "en": "Order not found",
    },
}

JsonObject = dict[str, Any]
RequestId = int | None


class PaymeError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, code: int, data: object = None) -> None:
        self.code = code
        self.data = data
        super().__init__(f"{code}: {data}")


@dataclass(frozen=True, slots=True)
class PaymeConfig:
    merchant_id: str | None
    key: str | None
    login: str = "Paycom"
    checkout_url: str = "https://checkout.paycom.uz"

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymeConfig:
        return cls(
            merchant_id=settings.payme_merchant_id or None,
            key=settings.payme_key.get_secret_value() if settings.payme_key else None,
            login=settings.payme_login,
            checkout_url=settings.payme_checkout_url,
        )


# Transport-neutral entry points ---------------------------------------------------------------


def error_response(code: int, request_id: RequestId = None, data: object = None) -> JsonObject:
    return {
        "error": {"code": code, "message": MESSAGES[code], "data": data},
        "id": request_id,
    }


def authorised(config: PaymeConfig, authorization: str | None) -> bool:
    """Is this `Authorization` header `Basic base64(login:key)`? Constant-time on the key."""
    if not config.key or not authorization:
        return False
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    login, separator, password = decoded.partition(":")
    key_matches = hmac.compare_digest(password.encode(), config.key.encode())
    return bool(separator) and login == config.login and key_matches


async def handle(
    session: AsyncSession,
    request: object,
    *,
    authorization: str | None,
    config: PaymeConfig,
    policy: OrderPolicy,
    now: datetime | None = None,
) -> JsonObject:
    """Answer one parsed JSON-RPC request (the JSON object Payme posted)."""
    request_id = _request_id(request)
    if not authorised(config, authorization):
        return error_response(NO_PRIVILEGE, request_id)
    try:
        method, params, request_id = _rpc_fields(request)
        call = _METHODS.get(method)
        if call is None:
            raise PaymeError(METHOD_NOT_FOUND, method)
        moment = _ms_precision(now or utcnow())
        if method in _READ_ONLY:
            # Nothing to commit: no BEGIN/ROLLBACK round trips either.
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        # Audit rows are written in one batch when the use case commits.
        with session.no_autoflush:
            try:
                result = await call(_Call(session, params, request, moment, policy))
            except IntegrityError:
                # A twin call inserted the same transaction first; it has committed: answer
                # from what it stored.
                await session.rollback()
                result = await call(_Call(session, params, request, moment, policy))
    except PaymeError as error:
        await session.rollback()
        return error_response(error.code, request_id, error.data)
    except Exception:  # Payme must get a JSON-RPC answer (HTTP 200) whatever broke
        log.exception("Payme %s failed", _method_name(request))
        await session.rollback()
        return error_response(SYSTEM_ERROR, request_id)
    return {"result": result, "id": request_id}


def checkout_link(
    config: PaymeConfig,
    *,
    order_id: int,
    amount_tiyin: int,
    language: str | None = None,
    return_url: str | None = None,
) -> str:
    """`<checkout_url>/base64(m=<merchant>;ac.order_id=<id>;a=<tiyin>[;l=..][;c=..])` (§1.9)."""
    if not config.merchant_id:
        raise ValidationFailed("PAYME_MERCHANT_ID is not set")
    parts = [f"m={config.merchant_id}", f"ac.{ACCOUNT_FIELD}={order_id}", f"a={amount_tiyin}"]
    if language:
        parts.append(f"l={language}")
    if return_url:
        if ";" in return_url:
            raise ValidationFailed("a Payme return URL cannot contain ';'")
        parts.append(f"c={return_url}")
    encoded = base64.b64encode(";".join(parts).encode()).decode("ascii")
    return f"{config.checkout_url.rstrip('/')}/{encoded}"


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(milliseconds: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=milliseconds)


# The methods ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    session: AsyncSession
    params: JsonObject
    request: object
    now: datetime
    policy: OrderPolicy


@dataclass(frozen=True, slots=True)
class _Transaction:
    """A Payme transaction as stored: one Payment row."""

    id: int
    order_id: int
    external_id: str
    amount: int
    state: int
    time: datetime
    create_time: datetime
    perform_time: datetime | None
    cancel_time: datetime | None
    reason: int | None
    raw: JsonObject

    @property
    def ref(self) -> PaymentRef:
        return PaymentRef(PROVIDER, self.external_id)

    def timed_out(self, now: datetime) -> bool:
        return self.state == CREATED and now - self.time > TIMEOUT


async def _check_perform_transaction(call: _Call) -> JsonObject:
    amount = _amount(call.params)
    found = await orders.read_order_flagged(call.session, _READ_ORDER, _order_id(call.params))
    order, live = found if found is not None else (None, False)
    _refuse_new_transaction(call, order, amount, has_live_transaction=live)
    return {"allow": True}


async def _create_transaction(call: _Call) -> JsonObject:
    payme_id = _payme_id(call.params)
    payme_time = _timestamp(call.params, "time")
    amount = _amount(call.params)
    order_id = _order_id(call.params)
    order = await orders.lock_order(call.session, order_id)
    # Read under the order's lock (a twin call may have just stored this very transaction).
    transaction, live = await _this_and_live(call.session, payme_id, order_id)
    if transaction is not None:
        if transaction.order_id != order_id:  # a known id with another account: not a repeat
            raise PaymeError(CANNOT_PERFORM, "transaction_of_another_order")
        if transaction.state != CREATED:
            raise PaymeError(CANNOT_PERFORM, "transaction_not_active")
        if transaction.timed_out(call.now):
            await _cancel_timed_out(call, transaction)
        if transaction.amount != amount:
            raise PaymeError(WRONG_AMOUNT, "amount")
        await _store_call(call, transaction)
        await call.session.commit()
        return _created(transaction)

    order = _refuse_new_transaction(call, order, amount, has_live_transaction=live)
    if call.now - from_ms(payme_time) > TIMEOUT:
        raise PaymeError(CANNOT_PERFORM, "transaction_timed_out")
    transaction = await _insert(call, order, payme_id, from_ms(payme_time), amount)
    await call.session.commit()
    return _created(transaction)


async def _perform_transaction(call: _Call) -> JsonObject:
    order, transaction = await _lock_transaction(call)
    if transaction.state == PERFORMED:
        await _store_call(call, transaction)
        await call.session.commit()
        return _performed(transaction)
    if transaction.state != CREATED:
        raise PaymeError(CANNOT_PERFORM, "transaction_cancelled")
    if transaction.timed_out(call.now):
        await _cancel_timed_out(call, transaction)
    if not orders.can_complete_reserved_payment(order):
        raise PaymeError(CANNOT_PERFORM, "order_not_payable")
    await orders.mark_paid(
        call.session,
        order,
        transaction.ref,
        policy=call.policy,
        now=call.now,
        payment_change=_change(transaction, PERFORMED),
    )
    transaction = await _update(call, transaction, state=PERFORMED, perform_time=call.now)
    await call.session.commit()
    return _performed(transaction)


async def _cancel_transaction(call: _Call) -> JsonObject:
    reason = call.params.get("reason")
    if not _is_int(reason) or reason not in REASONS:
        raise PaymeError(INVALID_REQUEST, "reason")
    order, transaction = await _lock_transaction(call)
    if transaction.state in (CANCELLED, CANCELLED_AFTER_PERFORM):
        await _store_call(call, transaction)
        await call.session.commit()
        return _cancelled(transaction)
    if transaction.state == CREATED:
        transaction = await _update(
            call,
            transaction,
            state=CANCELLED,
            cancel_time=call.now,
            reason=reason,
            audit_action="payment.cancelled",
        )
        await call.session.commit()
        return _cancelled(transaction)

    # Performed: the money goes back to the card, so the credits come back once, if unspent.
    try:
        await orders.refund(
            call.session,
            order,
            transaction.ref,
            actor_id=None,
            now=call.now,
            payment_change=_change(transaction, CANCELLED_AFTER_PERFORM, reason),
        )
    except RefundRefusedError as refused:
        audit.record(
            call.session,
            "payment.refund_refused",
            actor_id=None,
            target_type="order",
            target_id=order.id,
            details={
                "provider": PROVIDER.value,
                "external_id": transaction.external_id,
                "balance": refused.balance,
                "needed": refused.needed,
            },
        )
        await _store_call(call, transaction)
        await call.session.commit()
        raise PaymeError(CANNOT_CANCEL, "credits_spent") from None
    transaction = await _update(
        call, transaction, state=CANCELLED_AFTER_PERFORM, cancel_time=call.now, reason=reason
    )
    await call.session.commit()
    return _cancelled(transaction)


async def _check_transaction(call: _Call) -> JsonObject:
    transaction = await _find(call.session, _payme_id(call.params))
    if transaction is None:
        raise PaymeError(TRANSACTION_NOT_FOUND, "id")
    return {
        "create_time": to_ms(transaction.create_time),
        "perform_time": _ms_or_zero(transaction.perform_time),
        "cancel_time": _ms_or_zero(transaction.cancel_time),
        "transaction": str(transaction.id),
        "state": transaction.state,
        "reason": transaction.reason,
    }


async def _get_statement(call: _Call) -> JsonObject:
    start = from_ms(_timestamp(call.params, "from"))
    end = from_ms(_timestamp(call.params, "to"))
    rows = await call.session.execute(_GET_STATEMENT, {"start": start, "end": end})
    return {
        "transactions": [
            {
                "id": transaction.external_id,
                "time": to_ms(transaction.time),
                "amount": transaction.amount,
                "account": {ACCOUNT_FIELD: str(transaction.order_id)},
                "create_time": to_ms(transaction.create_time),
                "perform_time": _ms_or_zero(transaction.perform_time),
                "cancel_time": _ms_or_zero(transaction.cancel_time),
                "transaction": str(transaction.id),
                "state": transaction.state,
                "reason": transaction.reason,
                "receivers": None,
            }
            for transaction in map(_transaction, rows)
        ]
    }


_READ_ONLY = frozenset({"CheckPerformTransaction", "CheckTransaction", "GetStatement"})
_METHODS = {
    "CheckPerformTransaction": _check_perform_transaction,
    "CreateTransaction": _create_transaction,
    "PerformTransaction": _perform_transaction,
    "CancelTransaction": _cancel_transaction,
    "CheckTransaction": _check_transaction,
    "GetStatement": _get_statement,
}


# Rules shared by the methods ------------------------------------------------------------------


def _refuse_new_transaction(
    call: _Call, order: LockedOrder | None, amount: int, *, has_live_transaction: bool
) -> LockedOrder:
    """The order, if a new transaction for `amount` may start on it; else the error, checked
    in the spec's order: account, amount, then whether the order can take it."""
    if order is None or order.provider is not PROVIDER:
        raise PaymeError(ORDER_NOT_FOUND, ACCOUNT_FIELD)
    if amount != order.amount_tiyin:
        raise PaymeError(WRONG_AMOUNT, "amount")
    refusal = orders.refusal_for_new_payment(order, call.now)
    if refusal is not None:
        raise PaymeError(CANNOT_PERFORM, f"order_{refusal.value}")
    if has_live_transaction:
        raise PaymeError(CANNOT_PERFORM, "order_has_transaction")
    return order


async def _lock_transaction(call: _Call) -> tuple[LockedOrder, _Transaction]:
    """The transaction named by `params.id` and its order, both under row locks."""
    locked = await orders.lock_payment(call.session, PaymentRef(PROVIDER, _payme_id(call.params)))
    if locked is None:
        raise PaymeError(TRANSACTION_NOT_FOUND, "id")
    order, payment = locked
    return order, _transaction(payment)


async def _cancel_timed_out(call: _Call, transaction: _Transaction) -> None:
    """State 1 past 12 h: cancel with reason 4 (committed), and the call fails with −31008."""
    await _update(
        call,
        transaction,
        state=CANCELLED,
        cancel_time=call.now,
        reason=REASON_TIMEOUT,
        audit_action="payment.cancelled",
    )
    await call.session.commit()
    raise PaymeError(CANNOT_PERFORM, "transaction_timed_out")


# Storage --------------------------------------------------------------------------------------

_PAYMENTS = cast(sa.Table, Payment.__table__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rendered into the SQL (not bound): an IN list of parameters is re-rendered on every call.
_LIVE_STATES: tuple[sa.ColumnClause[Any], ...] = (
    sa.literal_column(f"'{CREATED}'"),
    sa.literal_column(f"'{PERFORMED}'"),
)

# Statements are built once (building them per call costs more than their round trips).
_SELECT = sa.select(
    _PAYMENTS.c.id,
    _PAYMENTS.c.order_id,
    _PAYMENTS.c.external_id,
    _PAYMENTS.c.amount,
    _PAYMENTS.c.provider_state,
    _PAYMENTS.c.provider_created_at,
    _PAYMENTS.c.created_at,
    _PAYMENTS.c.performed_at,
    _PAYMENTS.c.cancelled_at,
    _PAYMENTS.c.cancel_reason,
    _PAYMENTS.c.raw,
).where(_PAYMENTS.c.provider == PROVIDER.value)
_FIND = _SELECT.where(_PAYMENTS.c.external_id == sa.bindparam("external_id"))
_THIS_AND_LIVE = _SELECT.where(
    sa.or_(
        _PAYMENTS.c.external_id == sa.bindparam("external_id"),
        sa.and_(
            _PAYMENTS.c.order_id == sa.bindparam("order_id"),
            _PAYMENTS.c.provider_state.in_(_LIVE_STATES),
        ),
    )
)
_HAS_LIVE = (
    sa.select(_PAYMENTS.c.id)
    .where(
        _PAYMENTS.c.provider == PROVIDER.value,
        _PAYMENTS.c.order_id == orders.ORDER_ID,
        _PAYMENTS.c.provider_state.in_(_LIVE_STATES),
    )
    .exists()
)
_READ_ORDER = orders.read_order_with(_HAS_LIVE)
_GET_STATEMENT = _SELECT.where(
    _PAYMENTS.c.provider_created_at >= sa.bindparam("start"),
    _PAYMENTS.c.provider_created_at <= sa.bindparam("end"),
).order_by(_PAYMENTS.c.provider_created_at, _PAYMENTS.c.id)
_INSERT = (
    sa.insert(_PAYMENTS)
    .values(
        order_id=sa.bindparam("order_id"),
        provider=PROVIDER.value,
        external_id=sa.bindparam("external_id"),
        amount=sa.bindparam("amount"),
        currency="UZS",
        provider_state=str(CREATED),
        provider_created_at=sa.bindparam("payme_time"),
        created_at=sa.bindparam("now"),
        updated_at=sa.bindparam("now"),
        raw=sa.bindparam("call_log", type_=_PAYMENTS.c.raw.type),
    )
    .returning(_PAYMENTS.c.id)
)
_NEW_PAYMENT = _INSERT.returning(_PAYMENTS.c.order_id, _PAYMENTS.c.external_id).cte("new_payment")
_INSERT_AUDITED = sa.select(_NEW_PAYMENT.c.id).add_cte(
    audit.with_change(
        _NEW_PAYMENT,
        _NEW_PAYMENT.c.order_id,
        target_type="order",
        details=sa.func.jsonb_build_object(
            "provider",
            PROVIDER.value,
            "external_id",
            _NEW_PAYMENT.c.external_id,
            "payment_id",
            _NEW_PAYMENT.c.id,
        ),
    )
)
_SET_STATE = (
    sa.update(_PAYMENTS)
    .where(_PAYMENTS.c.id == sa.bindparam("payment_id"))
    .values(
        provider_state=sa.bindparam("state"),
        performed_at=sa.bindparam("perform_time"),
        cancelled_at=sa.bindparam("cancel_time"),
        cancel_reason=sa.bindparam("reason"),
        raw=sa.bindparam("call_log", type_=_PAYMENTS.c.raw.type),
        updated_at=sa.bindparam("now"),
    )
)
_SET_RAW = (
    sa.update(_PAYMENTS)
    .where(_PAYMENTS.c.id == sa.bindparam("payment_id"))
    .values(raw=sa.bindparam("call_log", type_=_PAYMENTS.c.raw.type))
)


async def _find(session: AsyncSession, payme_id: str) -> _Transaction | None:
    row = (await session.execute(_FIND, {"external_id": payme_id})).one_or_none()
    return None if row is None else _transaction(row)


async def _this_and_live(
    session: AsyncSession, payme_id: str, order_id: int
) -> tuple[_Transaction | None, bool]:
    """This transaction if stored, and whether another one is live (state 1 or 2) on the order."""
    rows = await session.execute(_THIS_AND_LIVE, {"external_id": payme_id, "order_id": order_id})
    this, live = None, False
    for transaction in map(_transaction, rows):
        if transaction.external_id == payme_id:
            this = transaction
        else:
            live = True
    return this, live


def _transaction(row: Any) -> _Transaction:
    """From a row of _SELECT, or a LockedPayment (the same names)."""
    return _Transaction(
        id=row.id,
        order_id=row.order_id,
        external_id=row.external_id,
        amount=row.amount,
        state=int(row.provider_state),
        time=row.provider_created_at,
        create_time=row.created_at,
        perform_time=row.performed_at,
        cancel_time=row.cancelled_at,
        reason=row.cancel_reason,
        raw=row.raw or {},
    )


async def _insert(
    call: _Call, order: LockedOrder, payme_id: str, payme_time: datetime, amount: int
) -> _Transaction:
    """Store a new transaction, audited (`payment.created`, as `orders.record_payment_created`
    writes it) in the same statement on PostgreSQL."""
    raw = _with_call({}, call)
    values = {
        "order_id": order.id,
        "external_id": payme_id,
        "amount": amount,
        "payme_time": payme_time,
        "now": call.now,
        "call_log": raw,
    }
    if call.session.get_bind().dialect.name == "postgresql":
        audit_binds = {
            "audit_action": "payment.created",
            "audit_actor": None,
            "audit_at": call.now,
        }
        payment_id = await call.session.scalar(_INSERT_AUDITED, values | audit_binds)
    else:
        payment_id = await call.session.scalar(_INSERT, values)
        assert payment_id is not None
        orders.record_payment_created(
            call.session, order.id, orders.PaymentRef(PROVIDER, payme_id), payment_id
        )
    assert payment_id is not None
    return _Transaction(
        id=payment_id,
        order_id=order.id,
        external_id=payme_id,
        amount=amount,
        state=CREATED,
        time=payme_time,
        create_time=call.now,
        perform_time=None,
        cancel_time=None,
        reason=None,
        raw=raw,
    )


async def _update(
    call: _Call,
    transaction: _Transaction,
    *,
    state: int,
    audit_action: str | None = None,
    perform_time: datetime | None = None,
    cancel_time: datetime | None = None,
    reason: int | None = None,
) -> _Transaction:
    """Store the transaction's new state (audited as `audit_action`, unless the order's own
    audit row records it)."""
    raw = _with_call(transaction.raw, call)
    changed = _Transaction(
        id=transaction.id,
        order_id=transaction.order_id,
        external_id=transaction.external_id,
        amount=transaction.amount,
        state=state,
        time=transaction.time,
        create_time=transaction.create_time,
        perform_time=perform_time or transaction.perform_time,
        cancel_time=cancel_time or transaction.cancel_time,
        reason=reason if reason is not None else transaction.reason,
        raw=raw,
    )
    await call.session.execute(
        _SET_STATE,
        {
            "payment_id": transaction.id,
            "state": str(state),
            "perform_time": changed.perform_time,
            "cancel_time": changed.cancel_time,
            "reason": changed.reason,
            "call_log": raw,
            "now": call.now,
        },
    )
    if audit_action is not None:
        audit.record(
            call.session,
            audit_action,
            actor_id=None,
            target_type="order",
            target_id=transaction.order_id,
            details={
                "provider": PROVIDER.value,
                "external_id": transaction.external_id,
                **_change(transaction, state, changed.reason),
            },
        )
    return changed


def _change(transaction: _Transaction, state: int, reason: int | None = None) -> JsonObject:
    change: JsonObject = {"payment_id": transaction.id, "state": f"{transaction.state} -> {state}"}
    return change if reason is None else change | {"reason": reason}


async def _store_call(call: _Call, transaction: _Transaction) -> None:
    """Keep a repeated call's payload (the state does not change)."""
    await call.session.execute(
        _SET_RAW, {"payment_id": transaction.id, "call_log": _with_call(transaction.raw, call)}
    )


def _with_call(raw: JsonObject, call: _Call) -> JsonObject:
    return orders.with_provider_call(raw, call.request, call.now)


# Answers --------------------------------------------------------------------------------------


def _created(transaction: _Transaction) -> JsonObject:
    return {
        "create_time": to_ms(transaction.create_time),
        "transaction": str(transaction.id),
        "state": transaction.state,
    }


def _performed(transaction: _Transaction) -> JsonObject:
    return {
        "transaction": str(transaction.id),
        "perform_time": _ms_or_zero(transaction.perform_time),
        "state": transaction.state,
    }


def _cancelled(transaction: _Transaction) -> JsonObject:
    return {
        "transaction": str(transaction.id),
        "cancel_time": _ms_or_zero(transaction.cancel_time),
        "state": transaction.state,
    }


def _ms_or_zero(moment: datetime | None) -> int:
    return 0 if moment is None else to_ms(moment)


def _ms_precision(moment: datetime) -> datetime:
    """Times are stored at millisecond precision, so every answer repeats them exactly."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# Reading the request --------------------------------------------------------------------------


def _request_id(request: object) -> RequestId:
    if isinstance(request, dict):
        value = request.get("id")
        if _is_int(value):
            return int(value)
    return None


def _method_name(request: object) -> str:
    method = request.get("method") if isinstance(request, dict) else None
    return method[:64] if isinstance(method, str) else "request"


def _rpc_fields(request: object) -> tuple[str, JsonObject, int]:
    if not isinstance(request, dict):
        raise PaymeError(INVALID_REQUEST, "request")
    method, params, request_id = request.get("method"), request.get("params"), request.get("id")
    if not _is_int(request_id):
        raise PaymeError(INVALID_REQUEST, "id")
    if not isinstance(method, str) or not method:
        raise PaymeError(INVALID_REQUEST, "method")
    if not isinstance(params, dict):
        raise PaymeError(INVALID_REQUEST, "params")
    return method, params, request_id


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _payme_id(params: JsonObject) -> str:
    value = params.get("id")
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise PaymeError(INVALID_REQUEST, "id")
    return value


def _amount(params: JsonObject) -> int:
    value = params.get("amount")
    if not _is_int(value) or value <= 0:
        raise PaymeError(INVALID_REQUEST, "amount")
    return int(value)


def _timestamp(params: JsonObject, name: str) -> int:
    value = params.get(name)
    # 13-digit milliseconds; anything from 1970 to year 2286 fits.
    if not _is_int(value) or not 0 <= value < 10**13:
        raise PaymeError(INVALID_REQUEST, name)
    return int(value)


def _order_id(params: JsonObject) -> int:
    account = params.get("account")
    if not isinstance(account, dict):
        raise PaymeError(INVALID_REQUEST, "account")
    value = account.get(ACCOUNT_FIELD)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if not _is_int(value) or not 0 < value < 2**63:
        raise PaymeError(ORDER_NOT_FOUND, ACCOUNT_FIELD)
    return value
