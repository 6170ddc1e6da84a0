"""Occasion templates (PromptTemplate rows) as the order forms offer them.

An artist's own template replaces the shared one (artist_id NULL) of the same occasion. Bodies
hold `{recipient}` and `{sender}` placeholders; `fill` replaces just those, so any other brace
in a template is kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.models import Product, PromptTemplate

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
