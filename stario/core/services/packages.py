"""Credit packages fans can buy."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.models import CreditPackage


@dataclass(frozen=True, slots=True)
class PackageView:
    code: str
    credits: int
    price_uzs: int
    price_tiyin: int
    price_stars: int


async def list_active(session: AsyncSession) -> list[PackageView]:
    rows = await session.scalars(
        sa.select(CreditPackage)
        .where(CreditPackage.is_active)
        .order_by(CreditPackage.sort_order, CreditPackage.credits)
    )
    return [
        PackageView(
            code=row.code,
            credits=row.credits,
            price_uzs=row.price_uzs,
            price_tiyin=row.price_uzs * 100,
            price_stars=row.price_stars,
        )
        for row in rows
    ]
