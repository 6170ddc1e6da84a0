"""The artist catalogue as fans browse it: pages by category, search by name, one card.

Only artists a fan could order something from now are listed: verified, active, with a valid
consent record (`catalog.availability_problem` decides, for a greeting or a poster). The
catalogue is small (tens of artists), so the rules run in Python on the verified, active rows
that SQL narrows down, and the page is cut after them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from stario.core.errors import ArtistUnavailableError
from stario.core.services.catalog import ArtistView, availability_problem, to_view
from stario.models import Artist, Product, VerificationStatus, utcnow

ORDERABLE = (Product.GREETING, Product.POSTER)


@dataclass(frozen=True, slots=True)
class ArtistCard:
    artist: ArtistView
    products: tuple[Product, ...]  # what a fan may order from the artist now


@dataclass(frozen=True, slots=True)
class ArtistPage:
    cards: list[ArtistCard]
    page: int  # 0-based, clamped to the pages there are
    pages: int  # at least 1
    total: int


async def list_orderable(
    session: AsyncSession,
    *,
    category: str | None = None,
    query: str | None = None,
    product: Product | None = None,
    page: int = 0,
    per_page: int = 6,
    now: datetime | None = None,
) -> ArtistPage:
    """One page of orderable artists (by name), of one `category` or all, whose name or slug
    contains `query`, that take `product` (or either product)."""
    cards = await _orderable(session, now or utcnow(), product)
    if category:
        cards = [card for card in cards if card.artist.category == category]
    if query and (needle := query.strip().casefold()):
        cards = [card for card in cards if _matches(card.artist, needle)]
    pages = max(1, math.ceil(len(cards) / per_page))
    page = min(max(page, 0), pages - 1)
    return ArtistPage(cards[page * per_page : (page + 1) * per_page], page, pages, len(cards))


async def categories(session: AsyncSession, now: datetime | None = None) -> list[str]:
    """The categories that have at least one orderable artist, sorted."""
    return sorted({card.artist.category for card in await _orderable(session, now or utcnow())})


async def artist_card(
    session: AsyncSession, artist_id: int, now: datetime | None = None
) -> ArtistCard:
    """The card of one orderable artist; ArtistUnavailableError otherwise."""
    for card in await _orderable(session, now or utcnow(), artist_id=artist_id):
        return card
    raise ArtistUnavailableError(str(artist_id), "not orderable")


async def artist_card_by_slug(
    session: AsyncSession, slug: str, now: datetime | None = None
) -> ArtistCard:
    """The card of the orderable artist with this slug; ArtistUnavailableError otherwise."""
    artist_id = await session.scalar(sa.select(Artist.id).where(Artist.slug == slug))
    if artist_id is None:
        raise ArtistUnavailableError(slug, "unknown artist")
    return await artist_card(session, artist_id, now)


async def _orderable(
    session: AsyncSession,
    now: datetime,
    product: Product | None = None,
    artist_id: int | None = None,
) -> list[ArtistCard]:
    statement = (
        sa.select(Artist)
        .where(
            Artist.verification_status == VerificationStatus.VERIFIED,
            Artist.is_active,
            Artist.consent_given_at.is_not(None),
        )
        .options(selectinload(Artist.photos), selectinload(Artist.restriction))
        .order_by(Artist.id)
    )
    if artist_id is not None:
        statement = statement.where(Artist.id == artist_id)
    cards = []
    for artist in await session.scalars(statement):
        wanted = ORDERABLE if product is None else (product,)
        products = tuple(p for p in wanted if availability_problem(artist, p, now) is None)
        if products:
            cards.append(ArtistCard(to_view(artist), products))
    cards.sort(key=lambda card: card.artist.name_in("en").casefold())
    return cards


def _matches(artist: ArtistView, needle: str) -> bool:
    names = [artist.slug, *(str(name) for name in artist.names.values())]
    return any(needle in name.casefold() for name in names)
