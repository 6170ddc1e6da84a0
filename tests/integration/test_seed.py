"""`stario seed-demo` on real PostgreSQL: creates the demo catalogue once, never clobbers edits."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from stario.core.demo_portraits import HEIGHT, WIDTH, HairStyle, render_portrait
from stario.core.errors import ObjectNotFoundError
from stario.core.services import catalog, moderation
from stario.core.services.seed import (
    DEMO_ARTISTS,
    DEMO_PACKAGES,
    DEMO_TEMPLATES,
    DemoArtist,
    SeedReport,
    seed_demo,
)
from stario.models import (
    Artist,
    ArtistPhoto,
    ArtistRestriction,
    AuditLog,
    CreditPackage,
    Product,
    PromptTemplate,
    VerificationStatus,
    utcnow,
)

Sessions = async_sessionmaker[AsyncSession]
GREETING_OCCASIONS = {"birthday", "wedding", "holiday", "congratulations", "custom"}
POSTER_LAYOUTS = {"classic", "neon", "minimal"}
LANGUAGES = {"uz", "ru", "en"}
TABLES = (Artist, ArtistRestriction, ArtistPhoto, PromptTemplate, CreditPackage)


class MemoryStorage:
    """The Storage port on a dict: enough for seeding, no files, no network."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.objects[key] = (bytes(data), content_type)

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise ObjectNotFoundError(key)
        return self.objects[key][0]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def delete_older_than(self, prefix: str, age: timedelta) -> int:
        return 0  # seeding never ages objects

    async def presigned_get_url(self, key: str, expires: timedelta) -> str:
        return f"memory://{key}?get&ttl={int(expires.total_seconds())}"

    async def presigned_put_url(self, key: str, expires: timedelta) -> str:
        return f"memory://{key}?put&ttl={int(expires.total_seconds())}"


async def run_seed(db: Sessions, storage: MemoryStorage) -> SeedReport:
    async with db() as session:
        return await seed_demo(session, storage)


async def row_counts(db: Sessions) -> dict[str, int]:
    async with db() as session:
        return {
            model.__tablename__: await session.scalar(
                sa.select(sa.func.count()).select_from(model)
            )
            or 0
            for model in TABLES
        }


async def test_first_run_creates_the_whole_demo_catalogue(db: Sessions) -> None:
    storage = MemoryStorage()

    report = await run_seed(db, storage)

    assert report.as_dict() == {
        "artists": {"created": 4, "updated": 0, "unchanged": 0},
        "restrictions": {"created": 4, "updated": 0, "unchanged": 0},
        "photos": {"created": 4, "updated": 0, "unchanged": 0},
        "templates": {"created": 24, "updated": 0, "unchanged": 0},
        "packages": {"created": 3, "updated": 0, "unchanged": 0},
    }
    async with db() as session:
        artists = list(
            await session.scalars(
                sa.select(Artist).order_by(Artist.slug).options(selectinload(Artist.restriction))
            )
        )
        assert len(artists) == 4
        for artist in artists:
            assert artist.verification_status is VerificationStatus.VERIFIED
            assert artist.is_active
            assert artist.quiz_enabled
            assert set(artist.names) == set(artist.bios) == LANGUAGES
            assert artist.consent_reference == "demo:generated"
            assert artist.consent_expires_at is not None
            assert artist.consent_expires_at > utcnow() + timedelta(days=300)
            restriction = artist.restriction
            assert restriction is not None
            assert restriction.blocked_topics
            assert 20 <= restriction.max_seconds <= 30
            assert not restriction.needs_approval
            for product in Product:
                assert catalog.availability_problem(artist, product, utcnow()) is None

        photos = list(await session.scalars(sa.select(ArtistPhoto)))
        assert {photo.artist_id for photo in photos if photo.is_primary} == {a.id for a in artists}
        for photo in photos:
            slug = next(artist.slug for artist in artists if artist.id == photo.artist_id)
            assert photo.storage_key == f"artists/{slug}/portrait-1.jpg"
            assert "depicts no real person" in photo.provenance
            data, content_type = storage.objects[photo.storage_key]
            assert content_type == "image/jpeg"
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "JPEG"
                assert (image.width, image.height) == (photo.width, photo.height)

        templates = list(await session.scalars(sa.select(PromptTemplate)))
        assert all(template.artist_id is None and template.is_active for template in templates)
        keys = {(t.product, t.occasion, t.language) for t in templates}
        assert keys == {
            (Product.GREETING, o, lang) for o in GREETING_OCCASIONS for lang in LANGUAGES
        } | {(Product.POSTER, layout, lang) for layout in POSTER_LAYOUTS for lang in LANGUAGES}
        for template in templates:
            assert template.title
            assert "{recipient}" in template.body
            assert "{sender}" in template.body

        packages = list(await session.scalars(sa.select(CreditPackage)))
        assert {p.code: (p.credits, p.price_uzs, p.price_stars) for p in packages} == {
            "start": (5, 15_000, 50),
            "popular": (15, 39_000, 130),
            "fan": (40, 89_000, 300),
        }
        assert all(package.is_active for package in packages)

        audit = (await session.scalars(sa.select(AuditLog))).one()
        assert (audit.action, audit.actor_id) == ("seed.demo", None)
        assert audit.details == report.as_dict()


async def test_second_run_creates_nothing_and_changes_nothing(db: Sessions) -> None:
    storage = MemoryStorage()
    await run_seed(db, storage)
    counts, objects = await row_counts(db), dict(storage.objects)

    again = await run_seed(db, storage)

    assert again.created == 0
    assert again.as_dict() == {
        "artists": {"created": 0, "updated": 0, "unchanged": 4},
        "restrictions": {"created": 0, "updated": 0, "unchanged": 4},
        "photos": {"created": 0, "updated": 0, "unchanged": 4},
        "templates": {"created": 0, "updated": 0, "unchanged": 24},
        "packages": {"created": 0, "updated": 0, "unchanged": 3},
    }
    assert await row_counts(db) == counts
    assert storage.objects == objects
    async with db() as session:
        audits = await session.scalar(
            sa.select(sa.func.count()).where(AuditLog.action == "seed.demo")
        )
    assert audits == 2  # each run is on record


async def test_reseeding_keeps_admin_edits_and_restores_deleted_rows(db: Sessions) -> None:
    storage = MemoryStorage()
    await run_seed(db, storage)
    async with db() as session:
        package = await session.scalar(
            sa.select(CreditPackage).where(CreditPackage.code == "start")
        )
        assert package is not None
        package.price_uzs, package.is_active = 19_000, False
        artist = await session.scalar(sa.select(Artist).where(Artist.slug == "demo-jasur-kadr"))
        assert artist is not None
        artist.price_greeting = 7
        artist.verification_status = VerificationStatus.SUSPENDED
        template = await session.scalar(
            sa.select(PromptTemplate).where(
                PromptTemplate.occasion == "birthday", PromptTemplate.language == "en"
            )
        )
        assert template is not None
        template.body = "Happy birthday, {recipient}! Love, {sender}"
        await session.execute(sa.delete(CreditPackage).where(CreditPackage.code == "fan"))
        await session.commit()

    report = await run_seed(db, storage)

    assert report.packages.created == 1  # only the deleted one
    assert report.created == 1
    async with db() as session:
        start = await session.scalar(sa.select(CreditPackage).where(CreditPackage.code == "start"))
        jasur = await session.scalar(sa.select(Artist).where(Artist.slug == "demo-jasur-kadr"))
        birthday = await session.scalar(
            sa.select(PromptTemplate.body).where(
                PromptTemplate.occasion == "birthday", PromptTemplate.language == "en"
            )
        )
        fan = await session.scalar(sa.select(CreditPackage).where(CreditPackage.code == "fan"))
    assert start is not None
    assert (start.price_uzs, start.is_active) == (19_000, False)
    assert jasur is not None
    assert (jasur.price_greeting, jasur.verification_status) == (
        7,
        VerificationStatus.SUSPENDED,
    )
    assert birthday == "Happy birthday, {recipient}! Love, {sender}"
    assert fan is not None
    assert (fan.credits, fan.price_uzs, fan.price_stars) == (40, 89_000, 300)


async def test_a_portrait_missing_from_storage_is_uploaded_again(db: Sessions) -> None:
    storage = MemoryStorage()
    await run_seed(db, storage)
    key = "artists/demo-laylo-sado/portrait-1.jpg"
    original = storage.objects.pop(key)

    report = await run_seed(db, storage)

    assert (report.photos.updated, report.photos.unchanged, report.photos.created) == (1, 3, 0)
    assert storage.objects[key] == original  # the same picture: portraits are deterministic


async def test_an_admins_own_primary_photo_stays_primary(db: Sessions) -> None:
    async with db() as session:
        artist = Artist(slug="demo-karim-kulgu", names={"en": "Karim (admin)"})
        session.add(artist)
        await session.flush()
        session.add(
            ArtistPhoto(artist_id=artist.id, storage_key="artists/own.jpg", is_primary=True)
        )
        await session.commit()

    report = await run_seed(db, MemoryStorage())

    assert (report.artists.created, report.artists.unchanged) == (3, 1)
    async with db() as session:
        karim = await session.scalar(sa.select(Artist).where(Artist.slug == "demo-karim-kulgu"))
        assert karim is not None
        assert karim.names == {"en": "Karim (admin)"}
        primary = await session.scalars(
            sa.select(ArtistPhoto.storage_key).where(
                ArtistPhoto.artist_id == karim.id, ArtistPhoto.is_primary
            )
        )
        assert list(primary) == ["artists/own.jpg"]


async def test_concurrent_runs_create_each_row_once(db: Sessions) -> None:
    storage = MemoryStorage()

    first, second = await asyncio.gather(run_seed(db, storage), run_seed(db, storage))

    assert first.created + second.created == 4 + 4 + 4 + 24 + 3
    assert await row_counts(db) == {
        "artists": 4,
        "artist_restrictions": 4,
        "artist_photos": 4,
        "prompt_templates": 24,
        "credit_packages": 3,
    }


def test_a_portrait_decodes_and_is_the_same_for_a_slug() -> None:
    portrait = render_portrait("demo-laylo-sado", hair_style=HairStyle.LONG)

    assert (portrait.width, portrait.height) == (WIDTH, HEIGHT)
    with Image.open(io.BytesIO(portrait.jpeg)) as image:
        assert image.format == "JPEG"
        assert image.size == (WIDTH, HEIGHT)
        image.load()
    assert render_portrait("demo-laylo-sado", hair_style=HairStyle.LONG).jpeg == portrait.jpeg
    assert render_portrait("another-slug", hair_style=HairStyle.LONG).jpeg != portrait.jpeg


@pytest.mark.parametrize("demo", DEMO_ARTISTS, ids=lambda demo: demo.slug)
def test_every_demo_template_passes_the_artists_own_moderation(demo: DemoArtist) -> None:
    """A fan who keeps a template as it is must never be refused by the demo artist's rules."""
    rules = catalog.Restrictions(
        blocked_topics=demo.blocked_topics,
        blocked_words=demo.blocked_words,
        max_seconds=demo.max_seconds,
    )
    for template in DEMO_TEMPLATES:
        text = template.body.format(recipient="Mohinabonu", sender="Abdurahmon")
        for line in text.splitlines():
            assert moderation.check_text(line, rules) == moderation.normalise(line)


def test_demo_packages_are_priced_per_credit_cheaper_as_they_grow() -> None:
    per_credit = [package.price_uzs / package.credits for package in DEMO_PACKAGES]
    assert per_credit == sorted(per_credit, reverse=True)
    assert [package.sort_order for package in DEMO_PACKAGES] == sorted(
        package.sort_order for package in DEMO_PACKAGES
    )
