"""Small builders for test data (real rows in the test database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.services import ledger
from stario.models import (
    Artist,
    ArtistPhoto,
    ArtistRestriction,
    Product,
    User,
    VerificationStatus,
    utcnow,
)

ALL_PRODUCTS = [product.value for product in Product]


async def add_user(
    db: async_sessionmaker[AsyncSession],
    user_id: int,
    *,
    balance: int = 0,
    language: str = "en",
    banned: bool = False,
) -> None:
    async with db() as session:
        session.add(
            User(id=user_id, first_name=f"Fan{user_id}", language=language, is_banned=banned)
        )
        await session.flush()
        if balance:
            await ledger.credit(session, user_id, balance, f"test:topup:{user_id}")
        await session.commit()


async def add_artist(
    db: async_sessionmaker[AsyncSession],
    slug: str = "sevara",
    *,
    status: VerificationStatus = VerificationStatus.VERIFIED,
    active: bool = True,
    consent_scope: list[str] | None = None,
    consent_days: int = 365,
    products_allowed: list[str] | None = None,
    blocked_words: list[str] | None = None,
    blocked_topics: list[str] | None = None,
    max_seconds: int = 30,
    photo_key: str | None = "artists/sevara/portrait.jpg",
    price_greeting: int = 5,
    price_poster: int = 2,
) -> int:
    now = utcnow()
    async with db() as session:
        artist = Artist(
            slug=slug,
            names={"uz": "Sevara", "ru": "Севара", "en": "Sevara"},
            bios={"uz": "Qoʻshiqchi", "ru": "Певица", "en": "Singer"},
            verification_status=status,
            is_active=active,
            price_greeting=price_greeting,
            price_poster=price_poster,
            consent_given_by="test",
            consent_given_at=now,
            consent_scope=ALL_PRODUCTS if consent_scope is None else consent_scope,
            consent_expires_at=now + timedelta(days=consent_days),
        )
        artist.restriction = ArtistRestriction(
            blocked_words=blocked_words or [],
            blocked_topics=blocked_topics or [],
            max_seconds=max_seconds,
            products_allowed=ALL_PRODUCTS if products_allowed is None else products_allowed,
        )
        if photo_key:
            artist.photos = [ArtistPhoto(storage_key=photo_key, is_primary=True, provenance="t")]
        session.add(artist)
        await session.commit()
        return artist.id
