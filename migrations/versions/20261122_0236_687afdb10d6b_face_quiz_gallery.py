"""face quiz gallery: artist face embeddings per engine; one quiz result per job

Revision ID: 687afdb10d6b
Revises: 7522694453ee
Create Date: 2026-11-22 02:36:56.420114+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "687afdb10d6b"
down_revision: str | None = "7522694453ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artist_face_embeddings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("artist_photo_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "dimension > 0", name=op.f("ck_artist_face_embeddings_dimension_positive")
        ),
        sa.CheckConstraint(
            "length(vector) = 4 * dimension", name=op.f("ck_artist_face_embeddings_vector_float32")
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_artist_face_embeddings_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["artist_photo_id"],
            ["artist_photos.id"],
            name=op.f("fk_artist_face_embeddings_artist_photo_id_artist_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_face_embeddings")),
        sa.UniqueConstraint(
            "artist_photo_id",
            "engine",
            name=op.f("uq_artist_face_embeddings_artist_photo_id_engine"),
        ),
    )
    with op.batch_alter_table("artist_face_embeddings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_artist_face_embeddings_artist_id"), ["artist_id"], unique=False
        )
        batch_op.create_index(
            "ix_artist_face_embeddings_engine_artist", ["engine", "artist_id"], unique=False
        )

    with op.batch_alter_table("face_quiz_results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            "ix_face_quiz_results_board", ["artist_id", "on_leaderboard", "score"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_face_quiz_results_job_id"), ["job_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_face_quiz_results_job_id_generation_jobs"),
            "generation_jobs",
            ["job_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("face_quiz_results", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_face_quiz_results_job_id_generation_jobs"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_face_quiz_results_job_id"), type_="unique")
        batch_op.drop_index("ix_face_quiz_results_board")
        batch_op.drop_column("job_id")

    with op.batch_alter_table("artist_face_embeddings", schema=None) as batch_op:
        batch_op.drop_index("ix_artist_face_embeddings_engine_artist")
        batch_op.drop_index(batch_op.f("ix_artist_face_embeddings_artist_id"))

    op.drop_table("artist_face_embeddings")
