"""`stario reconcile stars`: Telegram's record of Stars transactions against the ledger.

Telegram delivers `successful_payment` once; a bot that crashes after taking the update (or a
webhook answered 200 before the work was done) loses it, and the fan has paid for nothing
(payments-spec §3.8). `getStarTransactions` lists every transaction of the bot, oldest first;
this compares it with our records:

- An incoming invoice payment from a fan (`source.type == "user"`, `transaction_type`
  `invoice_payment`) whose charge id (the transaction id) has no ledger credit
  `pay:stars:<id>` and no stored payment is handed to `stars.record_successful_payment`, the
  use case of the bot's `successful_payment` handler: it credits once, keyed on the charge id,
  so a reconcile racing the bot (or run twice) credits nothing more. A payload that does not
  verify for that payer, or does not match its order, is stored unmatched by that use case and
  reported, not credited.
- An outgoing transaction with the id of a charge is a refund (Telegram reuses the charge id,
  so transactions are keyed on (id, direction)). One whose payment is not marked refunded here
  is reported for an admin (`/refund_stars` reverses the credit): reconcile never takes credits
  back on its own.
- Anything else (other transaction types, withdrawals) is counted, not touched.

The Bot API call sits behind `StarTransactionSource`; this module sees plain data only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from stario.core.services import stars
from stario.models import CreditLedger, Payment, PaymentProvider

PAGE_SIZE = 100  # the Bot API's maximum
MAX_PAGES = 10_000  # a million transactions: a guard against a source that never ends
INVOICE_PAYMENT = "invoice_payment"


@dataclass(frozen=True, slots=True)
class StarTransaction:
    """One entry of getStarTransactions, as plain data."""

    id: str
    amount: int
    date: datetime
    incoming: bool
    partner_type: str | None = None  # the source's (incoming) or receiver's (outgoing) type
    transaction_type: str | None = None
    user_id: int | None = None
    invoice_payload: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_bot_api(cls, data: dict[str, Any]) -> StarTransaction:
        """From the Bot API's JSON object (a `StarTransaction`)."""
        partner = data.get("source") or data.get("receiver") or {}
        user = partner.get("user") or {}
        return cls(
            id=str(data["id"]),
            amount=int(data["amount"]),
            date=datetime.fromtimestamp(int(data["date"]), UTC),
            incoming="source" in data,
            partner_type=partner.get("type"),
            transaction_type=partner.get("transaction_type"),
            user_id=int(user["id"]) if "id" in user else None,
            invoice_payload=partner.get("invoice_payload"),
            raw=data,
        )

    @property
    def is_invoice_payment(self) -> bool:
        return (
            self.incoming
            and self.partner_type == "user"
            and self.transaction_type in (None, INVOICE_PAYMENT)
            and self.user_id is not None
            and self.invoice_payload is not None
        )


class StarTransactionSource(Protocol):
    async def page(self, offset: int, limit: int) -> Sequence[StarTransaction]:
        """Transactions `offset` .. `offset + limit - 1`, oldest first (fewer at the end)."""
        ...


async def fetch_all(
    source: StarTransactionSource, *, page_size: int = PAGE_SIZE
) -> list[StarTransaction]:
    found: list[StarTransaction] = []
    for _ in range(MAX_PAGES):
        page = await source.page(len(found), page_size)
        found.extend(page)
        if len(page) < page_size:
            return found
    raise RuntimeError(f"getStarTransactions returned more than {MAX_PAGES} pages")


@dataclass
class StarsReconciliation:
    """What reconcile found and did; `as_json()` is the command's report."""

    transactions: int = 0
    incoming_payments: int = 0
    already_credited: int = 0
    credited: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    refunds: int = 0
    refunds_not_reversed: list[dict[str, Any]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needs_admin(self) -> bool:
        """Something only a person can settle: a payment matching no order, or a refund
        Telegram made that the ledger has not reversed (an admin runs /refund_stars)."""
        return bool(self.unmatched or self.refunds_not_reversed)

    def as_json(self) -> dict[str, Any]:
        return {
            "needs_admin": self.needs_admin,
            "transactions": self.transactions,
            "incoming_payments": self.incoming_payments,
            "already_credited": self.already_credited,
            "credited": self.credited,
            "unmatched": self.unmatched,
            "refunds": self.refunds,
            "refunds_not_reversed": self.refunds_not_reversed,
            "other": self.other,
        }


async def reconcile_stars(
    sessions: async_sessionmaker[AsyncSession],
    transactions: Sequence[StarTransaction],
    *,
    config: stars.StarsConfig,
) -> StarsReconciliation:
    """Credit the charges the bot missed and report the rest (see the module doc). Each
    credit is its own unit of work (the use case commits), so one failure loses no other."""
    report = StarsReconciliation(transactions=len(transactions))
    charge_ids = {tx.id for tx in transactions if tx.incoming}
    async with sessions() as session:
        known = await _known_charges(session, [tx.id for tx in transactions])
    for tx in transactions:
        if tx.is_invoice_payment:
            report.incoming_payments += 1
            if now_known := await _payment(sessions, tx, known.get(tx.id), config, report):
                known[tx.id] = now_known
        elif not tx.incoming and (tx.id in charge_ids or tx.id in known):
            report.refunds += 1
            _refund(tx, known.get(tx.id), report)
        else:
            report.other.append(_brief(tx))
    return report


@dataclass(frozen=True, slots=True)
class _Known:
    state: str
    order_id: int | None
    credited: bool
    reversed: bool


async def _known_charges(session: AsyncSession, ids: list[str]) -> dict[str, _Known]:
    if not ids:
        return {}
    credit = aliased(CreditLedger)
    reversal = aliased(CreditLedger)
    key = sa.literal("pay:stars:") + Payment.external_id
    rows = await session.execute(
        sa.select(
            Payment.external_id,
            Payment.provider_state,
            Payment.order_id,
            credit.id.label("credit_id"),
            reversal.id.label("reversal_id"),
        )
        .outerjoin(credit, credit.idempotency_key == key)
        .outerjoin(reversal, reversal.reverses_id == credit.id)
        .where(Payment.provider == PaymentProvider.STARS, Payment.external_id.in_(set(ids)))
    )
    return {
        row.external_id: _Known(
            row.provider_state,
            row.order_id,
            row.credit_id is not None,
            row.reversal_id is not None,
        )
        for row in rows
    }


async def _payment(
    sessions: async_sessionmaker[AsyncSession],
    tx: StarTransaction,
    known: _Known | None,
    config: stars.StarsConfig,
    report: StarsReconciliation,
) -> _Known | None:
    """What is known of the charge after this (None: unchanged)."""
    if known is not None and known.credited:
        report.already_credited += 1
        return None
    if known is not None:  # stored before without a credit: unmatched (or refunded as such)
        report.unmatched.append(_brief(tx) | {"state": known.state, "new": False})
        return None
    assert tx.user_id is not None
    assert tx.invoice_payload is not None
    async with sessions() as session:
        done = await stars.record_successful_payment(
            session, tx.user_id, tx.invoice_payload, tx.amount, tx.id, "",
            {"reconciled_from": tx.raw}, config=config,
        )  # fmt: skip
    if done.outcome == "credited":
        report.credited.append(
            _brief(tx) | {"order_id": done.order_id, "credits": done.credits,
                          "repeat_of": done.repeat_of}
        )  # fmt: skip
        return _Known(stars.PAID, done.order_id, credited=True, reversed=False)
    if done.outcome == "duplicate":  # the bot recorded it meanwhile
        report.already_credited += 1
        return None
    valid = stars.verify_payload(config.secret, tx.invoice_payload, tx.user_id) is not None
    reason = "no_matching_order" if valid else "bad_payload"
    report.unmatched.append(_brief(tx) | {"state": stars.UNMATCHED, "new": True,
                                          "reason": reason})  # fmt: skip
    return _Known(stars.UNMATCHED, None, credited=False, reversed=False)


def _refund(tx: StarTransaction, known: _Known | None, report: StarsReconciliation) -> None:
    if known is not None and known.state == stars.REFUNDED:
        return
    if known is not None and known.credited and known.reversed:
        return
    report.refunds_not_reversed.append(
        _brief(tx) | {"state": None if known is None else known.state,
                      "credited": known is not None and known.credited}
    )  # fmt: skip


def _brief(tx: StarTransaction) -> dict[str, Any]:
    return {
        "charge_id": tx.id,
        "direction": "in" if tx.incoming else "out",
        "type": tx.transaction_type or tx.partner_type,
        "user_id": tx.user_id,
        "amount": tx.amount,
        "date": tx.date.isoformat(),
        "payload": tx.invoice_payload,
    }
