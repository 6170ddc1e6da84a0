"""The artist catalogue as fans see it: only verified, active artists with valid consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from stario.core.errors import ArtistUnavailableError
from stario.models import Artist, ArtistPhoto, Product, VerificationStatus, utcnow


@dataclass(frozen=True, slots=True)
class Restrictions:
    blocked_topics: tuple[str, ...] = ()
    blocked_words: tuple[str, ...] = ()
    max_seconds: int = 30
    products_allowed: tuple[str, ...] = tuple(product.value for product in Product)
    needs_approval: bool = False


@dataclass(frozen=True, slots=True)
class ArtistView:
    id: int
    slug: str
    names: dict[str, str]
    bios: dict[str, str]
    category: str
    price_greeting: int
    price_poster: int
    primary_photo_key: str | None
    restrictions: Restrictions

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.slug

    def price_of(self, product: Product) -> int:
        return self.price_poster if product is Product.POSTER else self.price_greeting


def availability_problem(artist: Artist, product: Product, now: datetime) -> str | None:
    """Why `artist` cannot take an order for `product` now, or None when it can."""
    if artist.verification_status is not VerificationStatus.VERIFIED:
        return f"status is {artist.verification_status.value}"
    if not artist.is_active:
        return "inactive"
    if artist.consent_given_at is None or product.value not in artist.consent_scope:
        return f"no consent for {product.value}"
    if artist.consent_expires_at is not None and artist.consent_expires_at <= now:
        return "consent expired"
    restriction = artist.restriction
    if restriction is not None and product.value not in restriction.products_allowed:
        return f"{product.value} not allowed by the artist"
    if product is Product.FACE_QUIZ and not artist.quiz_enabled:
        return "quiz disabled"
    return None


async def orderable_artist(
    session: AsyncSession, slug: str, product: Product, now: datetime | None = None
) -> ArtistView:
    """The artist, if a fan may order `product` from them now; else ArtistUnavailableError."""
    artist = await session.scalar(
        sa.select(Artist)
        .where(Artist.slug == slug)
        .options(selectinload(Artist.photos), selectinload(Artist.restriction))
    )
    if artist is None:
        raise ArtistUnavailableError(slug, "unknown artist")
    problem = availability_problem(artist, product, now or utcnow())
    if problem is not None:
        raise ArtistUnavailableError(slug, problem)
    return to_view(artist)


def to_view(artist: Artist) -> ArtistView:
    restriction = artist.restriction
    return ArtistView(
        id=artist.id,
        slug=artist.slug,
        names=dict(artist.names),
        bios=dict(artist.bios),
        category=artist.category,
        price_greeting=artist.price_greeting,
        price_poster=artist.price_poster,
        primary_photo_key=_primary_photo_key(artist.photos),
        restrictions=Restrictions()
        if restriction is None
        else Restrictions(
            blocked_topics=tuple(restriction.blocked_topics),
            blocked_words=tuple(restriction.blocked_words),
            max_seconds=restriction.max_seconds,
            products_allowed=tuple(restriction.products_allowed),
            needs_approval=restriction.needs_approval,
        ),
    )


def _primary_photo_key(photos: list[ArtistPhoto]) -> str | None:
    primary = [photo for photo in photos if photo.is_primary] or photos
    return primary[0].storage_key if primary else None
