"""job delivery fields

Revision ID: 5c5d56082f09
Revises: 856dec33d665
Create Date: 2026-11-22 00:22:19.900508+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c5d56082f09"
down_revision: str | None = "856dec33d665"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_STATUSES = "'queued', 'running', 'delivered', 'failed', 'cancelled'"
NEW_STATUSES = "'queued', 'running', 'delivered', 'undelivered', 'failed', 'cancelled'"


def upgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=256), nullable=True))
        batch_op.add_column(
            sa.Column("is_gift", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_generation_jobs_request_key"), ["request_key"]
        )
        batch_op.drop_constraint(batch_op.f("ck_generation_jobs_job_status"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=9),
            type_=sa.String(length=11),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_generation_jobs_job_status"), f"status IN ({NEW_STATUSES})"
        )


def downgrade() -> None:
    op.execute("UPDATE generation_jobs SET status = 'delivered' WHERE status = 'undelivered'")
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_generation_jobs_job_status"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=11),
            type_=sa.String(length=9),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_generation_jobs_job_status"), f"status IN ({OLD_STATUSES})"
        )
        batch_op.drop_constraint(batch_op.f("uq_generation_jobs_request_key"), type_="unique")
        batch_op.drop_column("is_gift")
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("request_key")
