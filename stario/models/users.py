from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stario.models.base import Base, BigId, CreatedAtMixin, TimestampMixin, UTCDateTime, str_enum
from stario.models.enums import Role


class User(TimestampMixin, Base):
    """A Telegram user; the primary key is the Telegram user id."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_non_negative"),
        sa.CheckConstraint("referrer_id IS NULL OR referrer_id <> id", name="no_self_referral"),
        sa.CheckConstraint("language IN ('uz', 'ru', 'en')", name="language_supported"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(sa.String(64))
    first_name: Mapped[str] = mapped_column(sa.String(128), default="")
    last_name: Mapped[str | None] = mapped_column(sa.String(128))
    language: Mapped[str] = mapped_column(sa.String(2), default="uz")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.USER)
    is_banned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    referrer_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    balance: Mapped[int] = mapped_column(default=0, server_default="0")
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(CreatedAtMixin, Base):
    """Who did what to what; written by every admin action and every money state change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
