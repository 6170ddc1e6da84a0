from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stario.models.base import Base, BigId, CreatedAtMixin, TimestampMixin, UTCDateTime, str_enum
from stario.models.enums import OrderStatus, PaymentProvider, PostingKind


class CreditLedger(CreatedAtMixin, Base):
    """Append-only: one row per balance change, unique on its idempotency key (DESIGN §5)."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_non_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        sa.CheckConstraint(
            "(kind = 'debit' AND amount < 0) OR (kind = 'credit' AND amount > 0) "
            "OR (kind = 'reversal' AND reverses_id IS NOT NULL)",
            name="amount_sign_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[PostingKind] = mapped_column(str_enum(PostingKind, "posting_kind"))
    amount: Mapped[int]
    balance_after: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(256), default="")
    reverses_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("credit_ledger.id", ondelete="RESTRICT"), unique=True
    )


class CreditPackage(TimestampMixin, Base):
    __tablename__ = "credit_packages"
    __table_args__ = (
        sa.CheckConstraint("credits > 0", name="credits_positive"),
        sa.CheckConstraint("price_uzs > 0", name="price_uzs_positive"),
        sa.CheckConstraint("price_stars > 0", name="price_stars_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    credits: Mapped[int]
    price_uzs: Mapped[int] = mapped_column(sa.BigInteger)
    price_stars: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("amount_tiyin > 0", name="amount_tiyin_positive"),
        sa.CheckConstraint("amount_stars > 0", name="amount_stars_positive"),
        sa.CheckConstraint("credits > 0", name="credits_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    package_id: Mapped[int] = mapped_column(sa.ForeignKey("credit_packages.id"))
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "provider"))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.PENDING, index=True
    )
    credits: Mapped[int]
    amount_tiyin: Mapped[int] = mapped_column(sa.BigInteger)
    amount_stars: Mapped[int]
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]


class Payment(TimestampMixin, Base):
    """One provider transaction; `raw` keeps the provider's payloads as received."""

    __tablename__ = "payments"
    __table_args__ = (sa.UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True
    )
    provider: Mapped[PaymentProvider] = mapped_column(str_enum(PaymentProvider, "provider"))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    # Amount in the provider's unit: tiyin (Payme), soums (Click), Stars (Telegram).
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(8))
    provider_state: Mapped[str] = mapped_column(sa.String(16))
    provider_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[int | None]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
