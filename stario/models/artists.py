from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stario.models.base import Base, CreatedAtMixin, TimestampMixin, UTCDateTime, str_enum
from stario.models.enums import Product, VerificationStatus

TRUE_SQL = sa.true()


class Artist(TimestampMixin, Base):
    """A celebrity whose likeness fans order. `names`/`bios` map uz, ru, en to text."""

    __tablename__ = "artists"
    __table_args__ = (
        sa.CheckConstraint("price_greeting > 0", name="price_greeting_positive"),
        sa.CheckConstraint("price_poster > 0", name="price_poster_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    bios: Mapped[dict[str, Any]] = mapped_column(default=dict)
    category: Mapped[str] = mapped_column(sa.String(32), index=True, default="music")
    verification_status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status"), default=VerificationStatus.PENDING
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=TRUE_SQL)
    quiz_enabled: Mapped[bool] = mapped_column(default=True, server_default=TRUE_SQL)
    price_greeting: Mapped[int] = mapped_column(default=5, server_default="5")
    price_poster: Mapped[int] = mapped_column(default=2, server_default="2")

    # Consent record: who agreed, when, to which products (scope), until when.
    consent_given_by: Mapped[str | None] = mapped_column(sa.String(256))
    consent_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_scope: Mapped[list[str]] = mapped_column(default=list)
    consent_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_reference: Mapped[str | None] = mapped_column(sa.String(512))

    photos: Mapped[list[ArtistPhoto]] = relationship(
        back_populates="artist", cascade="all, delete-orphan", order_by="ArtistPhoto.id"
    )
    restriction: Mapped[ArtistRestriction | None] = relationship(
        back_populates="artist", cascade="all, delete-orphan", uselist=False
    )

    def name_in(self, language: str) -> str:
        return str(self.names.get(language) or self.names.get("en") or self.slug)

    def price_of(self, product: Product) -> int:
        return self.price_poster if product is Product.POSTER else self.price_greeting


class ArtistPhoto(CreatedAtMixin, Base):
    """A gallery photo. `embeddings` maps a face engine name to its vector for this photo."""

    __tablename__ = "artist_photos"
    __table_args__ = (
        sa.Index(
            "uq_artist_photos_one_primary",
            "artist_id",
            unique=True,
            postgresql_where=sa.text("is_primary"),
            sqlite_where=sa.text("is_primary"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artists.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(512))
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    width: Mapped[int | None]
    height: Mapped[int | None]
    provenance: Mapped[str] = mapped_column(sa.Text, default="")
    embeddings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    artist: Mapped[Artist] = relationship(back_populates="photos")


class ArtistRestriction(TimestampMixin, Base):
    """What an artist allows: topics, words, length and products; one row per artist."""

    __tablename__ = "artist_restrictions"
    __table_args__ = (sa.CheckConstraint("max_seconds BETWEEN 3 AND 300", name="max_seconds"),)

    artist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True
    )
    allowed_topics: Mapped[list[str]] = mapped_column(default=list)
    blocked_topics: Mapped[list[str]] = mapped_column(default=list)
    blocked_words: Mapped[list[str]] = mapped_column(default=list)
    max_seconds: Mapped[int] = mapped_column(default=30, server_default="30")
    products_allowed: Mapped[list[str]] = mapped_column(
        default=lambda: [product.value for product in Product]
    )
    needs_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    artist: Mapped[Artist] = relationship(back_populates="restriction")


class PromptTemplate(TimestampMixin, Base):
    """An occasion template for a product, for one artist or (artist_id NULL) for all."""

    __tablename__ = "prompt_templates"
    __table_args__ = (
        sa.Index("ix_prompt_templates_lookup", "artist_id", "product", "occasion", "language"),
        sa.CheckConstraint("language IN ('uz', 'ru', 'en')", name="language_supported"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("artists.id", ondelete="CASCADE"))
    product: Mapped[Product] = mapped_column(str_enum(Product, "product"))
    occasion: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(2))
    title: Mapped[str] = mapped_column(sa.String(128))
    body: Mapped[str] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=TRUE_SQL)
