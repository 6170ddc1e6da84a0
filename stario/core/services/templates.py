"""Occasion templates (PromptTemplate rows) as the order forms offer them, and their upkeep by
admins (`templates_of`, `set_template`, `delete_templates`; audited).

An artist's own template replaces the shared one (artist_id NULL) of the same occasion. Bodies
hold `{recipient}` and `{sender}` placeholders; `fill` replaces just those, so any other brace
in a template is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, ValidationFailed
from stario.core.services.admin import record
from stario.core.services.artists_admin import check_slug
from stario.core.services.generation import POSTER_TEMPLATES
from stario.core.settings import LANGUAGES
from stario.models import Artist, Product, PromptTemplate

# Occasions in the order the forms list them; others follow alphabetically.
OCCASION_ORDER = ("birthday", "wedding", "holiday", "congratulations", "custom")


@dataclass(frozen=True, slots=True)
class TemplateView:
    occasion: str
    title: str
    body: str


async def list_templates(
    session: AsyncSession, product: Product, language: str, artist_id: int | None = None
) -> list[TemplateView]:
    rows = await session.scalars(
        sa.select(PromptTemplate)
        .where(
            PromptTemplate.product == product,
            PromptTemplate.language == language,
            PromptTemplate.is_active,
            sa.or_(PromptTemplate.artist_id.is_(None), PromptTemplate.artist_id == artist_id),
        )
        .order_by(PromptTemplate.artist_id.is_not(None), PromptTemplate.id)
    )
    by_occasion: dict[str, TemplateView] = {}
    for row in rows:  # shared ones first, so the artist's own overwrite them
        by_occasion[row.occasion] = TemplateView(row.occasion, row.title, row.body)
    return sorted(by_occasion.values(), key=lambda view: _rank(view.occasion))


async def get_template(
    session: AsyncSession,
    product: Product,
    language: str,
    occasion: str,
    artist_id: int | None = None,
) -> TemplateView | None:
    for view in await list_templates(session, product, language, artist_id):
        if view.occasion == occasion:
            return view
    return None


def fill(body: str, *, recipient: str, sender: str) -> str:
    return body.replace("{recipient}", recipient).replace("{sender}", sender)


def _rank(occasion: str) -> tuple[int, str]:
    if occasion in OCCASION_ORDER:
        return OCCASION_ORDER.index(occasion), ""
    return len(OCCASION_ORDER), occasion


# Admin: an artist's own templates -----------------------------------------------------------

SHARED = "*"  # the slug that stands for the shared templates (artist_id NULL)
MAX_TITLE = 64  # a button's text
MAX_BODY = 1000
MAX_POSTER_LINES = 3
_OCCASION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class TemplateLine:
    product: Product
    occasion: str
    language: str
    title: str
    own: bool  # the artist's own (else a shared one the artist has not replaced)


@dataclass(frozen=True, slots=True)
class TemplateSet:
    created: bool  # else an existing one was replaced


async def templates_of(session: AsyncSession, slug: str) -> list[TemplateLine]:
    """What the order forms offer for the artist (`SHARED`: the shared ones), every product
    and language: the artist's own, and the shared ones they have not replaced."""
    artist_id = await _artist_id(session, slug)
    rows = await session.scalars(
        sa.select(PromptTemplate)
        .where(
            PromptTemplate.is_active,
            sa.or_(PromptTemplate.artist_id.is_(None), PromptTemplate.artist_id == artist_id),
        )
        .order_by(PromptTemplate.artist_id.is_not(None), PromptTemplate.id)
    )
    found: dict[tuple[Product, str, str], TemplateLine] = {}
    for row in rows:  # shared ones first, so the artist's own replace them
        own = artist_id is not None and row.artist_id == artist_id
        key = (row.product, row.occasion, row.language)
        found[key] = TemplateLine(row.product, row.occasion, row.language, row.title, own)
    return sorted(found.values(), key=_listing_order)


def _listing_order(line: TemplateLine) -> tuple[str, tuple[int, str], int]:
    return line.product.value, _rank(line.occasion), LANGUAGES.index(line.language)


def parse_template(product: str, occasion: str, language: str, text: str) -> dict[str, Any]:
    """Checked fields of a template from `/template_set` arguments; `text` is
    "title | body" (a poster's body: its 1 to 3 suggested lines, one a line)."""
    kind = _product(product)
    occasion = occasion.strip().lower()
    if not _OCCASION.match(occasion):
        raise ValidationFailed("occasion: a-z, 0-9 and _, up to 32 characters")
    if kind is Product.POSTER and occasion not in POSTER_TEMPLATES:
        raise ValidationFailed(f"a poster template's occasion is its style: {POSTER_TEMPLATES}")
    title, bar, body = text.partition("|")
    title, body = " ".join(title.split()), body.strip()
    if not bar or not 1 <= len(title) <= MAX_TITLE or not 1 <= len(body) <= MAX_BODY:
        raise ValidationFailed(f"expected a title (≤ {MAX_TITLE}) | a text (≤ {MAX_BODY})")
    if kind is Product.POSTER:
        lines = [" ".join(line.split()) for line in body.splitlines() if line.strip()]
        if len(lines) > MAX_POSTER_LINES:
            raise ValidationFailed(f"a poster takes 1..{MAX_POSTER_LINES} lines")
        body = "\n".join(lines)
    else:
        body = " ".join(body.split())
    return {"product": kind, "occasion": occasion, "language": _language(language),
            "title": title, "body": body}  # fmt: skip


async def set_template(
    session: AsyncSession, actor_id: int, slug: str, fields: dict[str, Any]
) -> TemplateSet:
    """Add the artist's template, or replace theirs for the same product, occasion and
    language (fields from `parse_template`)."""
    artist_id = await _artist_id(session, slug)
    existing = await session.scalar(
        _own(artist_id, fields["product"], fields["occasion"], fields["language"])
        .order_by(PromptTemplate.id)
        .limit(1)
    )
    if existing is None:
        session.add(PromptTemplate(artist_id=artist_id, is_active=True, **fields))
    else:
        existing.title, existing.body, existing.is_active = fields["title"], fields["body"], True
    details = {key: str(value) for key, value in fields.items() if key != "body"}
    record(session, actor_id, "template.set", "artist", slug, details)
    await session.commit()
    return TemplateSet(created=existing is None)


async def delete_templates(
    session: AsyncSession,
    actor_id: int,
    slug: str,
    product: str,
    occasion: str,
    language: str | None = None,
) -> int:
    """Remove the artist's own templates of an occasion (one language, or all); the shared
    ones, if any, are offered again. Returns how many were removed (0 changes nothing)."""
    artist_id = await _artist_id(session, slug)
    kind, occasion = _product(product), occasion.strip().lower()
    language = _language(language) if language is not None else None
    rows = list(await session.scalars(_own(artist_id, kind, occasion, language)))
    if not rows:
        return 0
    for row in rows:
        await session.delete(row)
    record(session, actor_id, "template.delete", "artist", slug,
           {"product": kind.value, "occasion": occasion, "language": language or "all",
            "removed": len(rows)})  # fmt: skip
    await session.commit()
    return len(rows)


def _own(
    artist_id: int | None, product: Product, occasion: str, language: str | None
) -> sa.Select[PromptTemplate]:
    query = sa.select(PromptTemplate).where(
        PromptTemplate.artist_id.is_(None)
        if artist_id is None
        else PromptTemplate.artist_id == artist_id,
        PromptTemplate.product == product,
        PromptTemplate.occasion == occasion,
    )
    return query if language is None else query.where(PromptTemplate.language == language)


async def _artist_id(session: AsyncSession, slug: str) -> int | None:
    if slug.strip() == SHARED:
        return None
    found = await session.scalar(sa.select(Artist.id).where(Artist.slug == check_slug(slug)))
    if found is None:
        raise NotFoundError(f"artist {slug!r} not found")
    return int(found)


def _product(value: str) -> Product:
    try:
        product = Product(value.strip().lower())
    except ValueError:
        product = None
    if product not in (Product.GREETING, Product.POSTER):
        raise ValidationFailed("product must be greeting or poster")
    return product


def _language(value: str) -> str:
    if value.strip().lower() not in LANGUAGES:
        raise ValidationFailed(f"language must be one of {LANGUAGES}")
    return value.strip().lower()
