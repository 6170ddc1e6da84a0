"""The read-only queries behind the bot's catalogue, order forms and history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import ArtistUnavailableError, NotFoundError
from stario.core.services import browse, history, templates
from stario.models import Artist, GenerationJob, JobKind, Product, PromptTemplate
from tests.factories import add_artist, add_user

Sessions = async_sessionmaker[AsyncSession]


async def test_only_orderable_artists_are_listed_paged_and_searchable(db: Sessions) -> None:
    ids = [await add_artist(db, f"a{n}") for n in range(5)]
    await add_artist(db, "old", consent_days=-1)
    await add_artist(db, "posters", products_allowed=["poster"])
    async with db() as session:
        await session.execute(sa.update(Artist).where(Artist.id == ids[0])
                              .values(names={"en": "Zarina"}, category="film"))  # fmt: skip
        await session.commit()
    async with db() as session:
        page = await browse.list_orderable(session, page=1, per_page=4)
        assert (page.page, page.pages, page.total, len(page.cards)) == (1, 2, 6, 2)
        assert await browse.categories(session) == ["film", "music"]
        found = await browse.list_orderable(session, query="zar")
        assert [card.artist.slug for card in found.cards] == ["a0"]
        greeting = await browse.list_orderable(session, product=Product.GREETING, per_page=50)
        assert "posters" not in {card.artist.slug for card in greeting.cards}
        card = await browse.artist_card(session, ids[1])
        assert card.products == (Product.GREETING, Product.POSTER)
        old = await session.scalar(sa.select(Artist.id).where(Artist.slug == "old"))
        with pytest.raises(ArtistUnavailableError):
            await browse.artist_card(session, int(old or 0))


async def test_an_artists_own_template_replaces_the_shared_one(db: Sessions) -> None:
    artist = await add_artist(db)
    async with db() as session:
        session.add_all([
            PromptTemplate(product=Product.GREETING, occasion="custom", language="en",
                           title="Own", body="Hi {recipient}"),
            PromptTemplate(product=Product.GREETING, occasion="birthday", language="en",
                           title="Birthday", body="Happy birthday, {recipient}! {sender}"),
            PromptTemplate(artist_id=artist, product=Product.GREETING, occasion="birthday",
                           language="en", title="Her birthday", body="{recipient}! {x}"),
        ])  # fmt: skip
        await session.commit()
    async with db() as session:
        shared = await templates.list_templates(session, Product.GREETING, "en")
        own = await templates.list_templates(session, Product.GREETING, "en", artist)
        none = await templates.list_templates(session, Product.GREETING, "ru", artist)
    assert [view.title for view in shared] == ["Birthday", "Own"]
    assert [view.title for view in own] == ["Her birthday", "Own"]
    assert none == []
    assert templates.fill(own[0].body, recipient="Aziza", sender="B") == "Aziza! {x}"


async def test_history_lists_only_the_fans_own_orders(db: Sessions) -> None:
    artist = await add_artist(db)
    await add_user(db, 1)
    await add_user(db, 2)
    async with db() as session:
        session.add_all(
            GenerationJob(user_id=user, artist_id=artist, kind=kind, params={})
            for user, kind in [(1, JobKind.POSTER), (1, JobKind.GREETING), (1, JobKind.FACE),
                               (2, JobKind.POSTER), (1, JobKind.POSTER)]
        )  # fmt: skip
        await session.commit()
    async with db() as session:
        page = await history.list_orders(session, 1, page=0, per_page=2)
        assert [job.id for job in page.orders] == [5, 2]
        assert (page.pages, page.total) == (2, 3)
        assert (await history.own_order(session, 1, 1)).id == 1
        with pytest.raises(NotFoundError):
            await history.own_order(session, 1, 4)
        with pytest.raises(NotFoundError):
            await history.own_order(session, 1, 3)  # a face quiz is not an order
