from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stario.models.base import Base, BigId, CreatedAtMixin, TimestampMixin, UTCDateTime, str_enum
from stario.models.enums import ErrorClass, JobKind, JobStatus


class GenerationJob(TimestampMixin, Base):
    """A paid (or free) generation: greeting video, poster or face quiz (DESIGN §6)."""

    __tablename__ = "generation_jobs"
    __table_args__ = (
        sa.CheckConstraint("cost >= 0", name="cost_non_negative"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_generation_jobs_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    artist_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("artists.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind, "job_kind"))
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    # Idempotency of the order itself: a double tap or a repeated update creates one job.
    request_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cost: Mapped[int] = mapped_column(default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error_class: Mapped[ErrorClass | None] = mapped_column(str_enum(ErrorClass, "error_class"))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    result_key: Mapped[str | None] = mapped_column(sa.String(512))
    telegram_file_id: Mapped[str | None] = mapped_column(sa.String(256))
    chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    delivery_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(sa.String(256))
    # Refunded for missing its deadline, then finished anyway: delivered free of charge.
    is_gift: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class FaceQuizResult(CreatedAtMixin, Base):
    """A quiz outcome: score and badge only. Never an image, never an embedding."""

    __tablename__ = "face_quiz_results"
    __table_args__ = (
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_percent"),
        sa.Index("ix_face_quiz_results_board", "artist_id", "on_leaderboard", "score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    artist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artists.id", ondelete="CASCADE"), index=True
    )
    # The quiz job that produced it: one result per job, however often the job runs.
    job_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("generation_jobs.id", ondelete="SET NULL"), unique=True
    )
    score: Mapped[int]
    badge: Mapped[str] = mapped_column(sa.String(32))
    on_leaderboard: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
