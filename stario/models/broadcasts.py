"""Broadcasts: one message from an admin to every fan (or the fans of one language).

A broadcast is a draft until confirmed; confirming snapshots its recipients (one row each), and
the bot's sender (`stario.bot.broadcaster`) walks them. A recipient goes pending → sending →
sent / blocked / failed; "sending" is written and committed *before* the Bot API call, so a
sender that dies mid-call leaves the row "sending" and a restart never sends it again (at most
once: see `stario.core.services.broadcasts`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stario.models.base import Base, BigId, CreatedAtMixin, UTCDateTime, str_enum


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; the message may or may not have gone out
    SENT = "sent"
    BLOCKED = "blocked"  # the fan blocked the bot (or the chat is gone): skipped
    FAILED = "failed"


class Broadcast(CreatedAtMixin, Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        sa.CheckConstraint(
            "language IS NULL OR language IN ('uz', 'ru', 'en')", name="language_supported"
        ),
        sa.CheckConstraint("sent >= 0 AND skipped >= 0 AND failed >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_by: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str | None] = mapped_column(sa.String(2))  # None: every language
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[BroadcastStatus] = mapped_column(
        str_enum(BroadcastStatus, "broadcast_status"), default=BroadcastStatus.DRAFT, index=True
    )
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    sent: Mapped[int] = mapped_column(default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    failed: Mapped[int] = mapped_column(default=0, server_default="0")
    progress_chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "user_id"),
        sa.Index("ix_broadcast_recipients_broadcast_id_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RecipientStatus] = mapped_column(
        str_enum(RecipientStatus, "recipient_status"), default=RecipientStatus.PENDING
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
