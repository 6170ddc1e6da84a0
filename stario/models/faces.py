"""Face Quiz gallery: one embedding per artist photo and face engine.

Only artists' photos are ever embedded and kept here; a fan's selfie and its embedding live in
the job's memory for a moment and are never stored (DESIGN §7).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stario.models.base import Base, BigId, CreatedAtMixin


class ArtistFaceEmbedding(CreatedAtMixin, Base):
    """The face of one artist photo as `engine` sees it: `dimension` float32 values, little
    endian, unit length (`vector`). A change of FACE_ENGINE adds rows; it never mixes models."""

    __tablename__ = "artist_face_embeddings"
    __table_args__ = (
        sa.UniqueConstraint("artist_photo_id", "engine"),
        sa.CheckConstraint("dimension > 0", name="dimension_positive"),
        sa.CheckConstraint("length(vector) = 4 * dimension", name="vector_float32"),
        sa.Index("ix_artist_face_embeddings_engine_artist", "engine", "artist_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    artist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artists.id", ondelete="CASCADE"), index=True
    )
    artist_photo_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artist_photos.id", ondelete="CASCADE")
    )
    engine: Mapped[str] = mapped_column(sa.String(64))
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
