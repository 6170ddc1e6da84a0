"""Artist management by admins: add (pending), edit the card, verify, suspend, the primary
photo, restrictions and the consent record. Every change writes the audit log in its own
transaction.

Arguments of `/artist_edit`, `/restrict` and `/consent` are `key=value` pairs; a value runs to
the next ` key=` (so `by=Sevara Management LLC` keeps its spaces) and lists are comma separated.
Every pair is checked before anything changes.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from stario.core.errors import NotFoundError, StarioError, ValidationFailed
from stario.core.ports.storage import Storage
from stario.core.services.admin import record
from stario.core.services.catalog import availability_problem
from stario.core.settings import LANGUAGES
from stario.models import (
    Artist,
    ArtistPhoto,
    ArtistRestriction,
    Product,
    VerificationStatus,
    utcnow,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
MAX_NAME = 128
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MIN_PHOTO_SIDE = 256
MAX_PHOTO_SIDE = 8000
PHOTO_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
RESTRICT_KEYS = frozenset({"words", "topics", "max_seconds", "products", "approval"})
# What `/artist_edit` changes: what the artist's card shows fans, and whether fans see it.
EDIT_KEYS = frozenset({
    "name", "name_uz", "name_ru", "name_en", "bio_uz", "bio_ru", "bio_en", "category",
    "price_greeting", "price_poster", "quiz_enabled", "active",
})  # fmt: skip
CATEGORIES = ("music", "film", "sport", "comedy", "other")  # each has a localised name
MAX_BIO = 600  # the card's caption holds the name, bio and prices within Telegram's 1024
MAX_PRICE = 1000
CONSENT_KEYS = frozenset({"by", "scope", "days", "ref"})
PRODUCTS = frozenset(product.value for product in Product)
_PAIR = re.compile(r"(?:^|\s)([a-z_]+)=(.*?)(?=\s+[a-z_]+=|$)", re.DOTALL)


class ArtistExistsError(StarioError):
    key = "admin-artist-exists"

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"artist {slug!r} exists")


class BadPhotoError(ValidationFailed):
    key = "admin-photo-bad"


@dataclass(frozen=True, slots=True)
class ArtistState:
    slug: str
    status: VerificationStatus
    # Why fans cannot order a greeting from the artist now (None: they can).
    problem: str | None


@dataclass(frozen=True, slots=True)
class ArtistDetails:
    """Everything `/artist_edit` can change, and whether fans can order now."""

    slug: str
    status: VerificationStatus
    names: dict[str, str]
    bios: dict[str, str]
    category: str
    price_greeting: int
    price_poster: int
    quiz_enabled: bool
    is_active: bool
    problem: str | None


@dataclass(frozen=True, slots=True)
class PhotoSaved:
    storage_key: str
    width: int
    height: int


def check_slug(slug: str) -> str:
    slug = slug.strip()
    if not SLUG.match(slug):
        raise ValidationFailed(f"slug must match {SLUG.pattern}")
    return slug


def parse_pairs(text: str, allowed: frozenset[str]) -> dict[str, str]:
    """`a=1 b=x y` → {"a": "1", "b": "x y"}; unknown, repeated or missing keys are refused."""
    text = text.strip()
    if not re.match(r"^[a-z_]+=", text):  # each value runs to the next key: only a
        raise ValidationFailed("expected key=value pairs")  # prefix could go unparsed
    pairs: dict[str, str] = {}
    for match in _PAIR.finditer(text):
        key, value = match.group(1), match.group(2).strip()
        if key not in allowed or key in pairs:
            raise ValidationFailed(f"unknown or repeated key {key!r}")
        pairs[key] = value
    return pairs


async def add(session: AsyncSession, actor_id: int, slug: str, name: str) -> ArtistState:
    slug, name = check_slug(slug), _name(name)
    if await session.scalar(sa.select(Artist.id).where(Artist.slug == slug)) is not None:
        raise ArtistExistsError(slug)
    artist = Artist(
        slug=slug,
        names={"uz": name, "ru": name, "en": name},
        bios={},
        verification_status=VerificationStatus.PENDING,
    )
    artist.restriction = ArtistRestriction()
    session.add(artist)
    record(session, actor_id, "artist.add", "artist", slug, {"name": name})
    await session.commit()
    return await state(session, slug)


async def set_status(
    session: AsyncSession, actor_id: int, slug: str, status: VerificationStatus
) -> ArtistState:
    artist = await _artist(session, slug)
    previous = artist.verification_status
    artist.verification_status = status
    record(
        session,
        actor_id,
        f"artist.{status.value}",
        "artist",
        artist.slug,
        {"from": previous.value},
    )
    await session.commit()
    return await state(session, artist.slug)


async def state(session: AsyncSession, slug: str, now: datetime | None = None) -> ArtistState:
    artist = await _artist(session, slug)
    return ArtistState(artist.slug, artist.verification_status, _problem(artist, now))


async def details(session: AsyncSession, slug: str, now: datetime | None = None) -> ArtistDetails:
    artist = await _artist(session, slug)
    return ArtistDetails(
        slug=artist.slug,
        status=artist.verification_status,
        names={language: str(artist.names.get(language) or "") for language in LANGUAGES},
        bios={language: str(artist.bios.get(language) or "") for language in LANGUAGES},
        category=artist.category,
        price_greeting=artist.price_greeting,
        price_poster=artist.price_poster,
        quiz_enabled=artist.quiz_enabled,
        is_active=artist.is_active,
        problem=_problem(artist, now),
    )


async def edit(session: AsyncSession, actor_id: int, slug: str, args: str) -> ArtistDetails:
    """Apply `/artist_edit` pairs (only the keys given change); returns the artist afterwards.
    `name=` sets the name in every language, `name_uz=`... one; an empty `bio_xx=` clears."""
    pairs = parse_pairs(args, EDIT_KEYS)
    checked = {key: _edit_value(key, value) for key, value in pairs.items()}
    artist = await _artist(session, slug)
    names, bios = dict(artist.names), dict(artist.bios)
    for key, value in checked.items():
        if key == "name":
            names.update(dict.fromkeys(LANGUAGES, value))
        elif key.startswith("name_"):
            names[key.removeprefix("name_")] = value
        elif key.startswith("bio_"):
            bios[key.removeprefix("bio_")] = value
        else:
            setattr(artist, "is_active" if key == "active" else key, value)
    artist.names, artist.bios = names, bios  # new dicts: JSON columns see the change
    record(session, actor_id, "artist.edit", "artist", artist.slug, dict(pairs))
    await session.commit()
    return await details(session, artist.slug)


def _edit_value(key: str, value: str) -> str | int | bool:
    if key == "name" or key.startswith("name_"):
        return _name(value)
    if key.startswith("bio_"):
        bio = " ".join(value.split())
        if len(bio) > MAX_BIO:
            raise ValidationFailed(f"a bio is at most {MAX_BIO} characters")
        return bio
    if key == "category":
        if value.lower() not in CATEGORIES:
            raise ValidationFailed(f"category must be one of {CATEGORIES}")
        return value.lower()
    if key.startswith("price_"):
        return _int(value, 1, MAX_PRICE)
    return _yes_no(value)  # quiz_enabled, active


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationFailed(f"name must be 1..{MAX_NAME} characters")
    return name


def _problem(artist: Artist, now: datetime | None) -> str | None:
    problem = availability_problem(artist, Product.GREETING, now or utcnow())
    if problem is None and not artist.photos:
        problem = "no photo"
    return problem


def check_photo(data: bytes) -> tuple[str, int, int]:
    """The image format, width and height of a real, sanely sized photo; else BadPhotoError."""
    if not 0 < len(data) <= MAX_PHOTO_BYTES:
        raise BadPhotoError(f"a photo must be 1 byte..{MAX_PHOTO_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image_format, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise BadPhotoError(f"not an image: {error}") from error
    if image_format not in PHOTO_FORMATS:
        raise BadPhotoError(f"unsupported image format {image_format!r}")
    if min(width, height) < MIN_PHOTO_SIDE or max(width, height) > MAX_PHOTO_SIDE:
        raise BadPhotoError(f"photo size {width}x{height} out of range")
    return image_format, width, height


async def set_photo(
    session: AsyncSession,
    storage: Storage,
    actor_id: int,
    slug: str,
    data: bytes,
    provenance: str,
) -> PhotoSaved:
    """Store a checked photo under artists/<slug>/ and make it the artist's primary one."""
    artist = await _artist(session, slug)
    image_format, width, height = check_photo(data)
    extension, content_type = PHOTO_FORMATS[image_format]
    key = f"artists/{artist.slug}/{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    await storage.put(key, data, content_type)
    await session.execute(
        sa.update(ArtistPhoto)
        .where(ArtistPhoto.artist_id == artist.id, ArtistPhoto.is_primary.is_(True))
        .values(is_primary=False)
        .execution_options(synchronize_session=False)
    )
    existing = await session.scalar(
        sa.select(ArtistPhoto).where(
            ArtistPhoto.artist_id == artist.id, ArtistPhoto.storage_key == key
        )
    )
    if existing is not None:
        existing.is_primary = True
    else:
        photo = ArtistPhoto(artist_id=artist.id, storage_key=key, is_primary=True)
        photo.width, photo.height, photo.provenance = width, height, provenance[:500]
        session.add(photo)
    record(
        session,
        actor_id,
        "artist.photo",
        "artist",
        artist.slug,
        {"key": key, "width": width, "height": height},
    )
    await session.commit()
    return PhotoSaved(key, width, height)


async def restrict(session: AsyncSession, actor_id: int, slug: str, args: str) -> dict[str, str]:
    """Apply `/restrict` pairs; only the keys given change. Returns what was set."""
    pairs = parse_pairs(args, RESTRICT_KEYS)
    artist = await _artist(session, slug)
    restriction = artist.restriction or ArtistRestriction(artist_id=artist.id)
    if "words" in pairs:
        restriction.blocked_words = _list(pairs["words"])
    if "topics" in pairs:
        restriction.blocked_topics = _list(pairs["topics"])
    if "max_seconds" in pairs:
        restriction.max_seconds = _int(pairs["max_seconds"], 3, 300)
    if "products" in pairs:
        restriction.products_allowed = _products(pairs["products"])
    if "approval" in pairs:
        restriction.needs_approval = _yes_no(pairs["approval"])
    artist.restriction = restriction
    record(session, actor_id, "artist.restrict", "artist", artist.slug, dict(pairs))
    await session.commit()
    return pairs


async def consent(
    session: AsyncSession, actor_id: int, slug: str, args: str, now: datetime | None = None
) -> datetime:
    """Record the consent (`by`, `scope`, `days`, optional `ref`); returns when it expires."""
    pairs = parse_pairs(args, CONSENT_KEYS)
    if not {"by", "scope", "days"} <= pairs.keys():
        raise ValidationFailed("consent needs by=, scope= and days=")
    given_by = pairs["by"]
    if not 1 <= len(given_by) <= 256:
        raise ValidationFailed("by= must be 1..256 characters")
    scope, days = _products(pairs["scope"]), _int(pairs["days"], 1, 3650)
    artist = await _artist(session, slug)
    now = now or utcnow()
    artist.consent_given_by = given_by
    artist.consent_given_at = now
    artist.consent_scope = scope
    artist.consent_expires_at = now + timedelta(days=days)
    artist.consent_reference = pairs.get("ref", "")[:512] or None
    record(session, actor_id, "artist.consent", "artist", artist.slug, dict(pairs))
    await session.commit()
    return artist.consent_expires_at


async def _artist(session: AsyncSession, slug: str) -> Artist:
    artist = await session.scalar(
        sa.select(Artist)
        .where(Artist.slug == check_slug(slug))
        .options(selectinload(Artist.photos), selectinload(Artist.restriction))
        .execution_options(populate_existing=True)
    )
    if artist is None:
        raise NotFoundError(f"artist {slug!r} not found")
    return artist


def _list(value: str) -> list[str]:
    items = [item.strip().lower() for item in value.split(",")]
    items = [item for item in items if item]
    if len(items) > 200 or any(len(item) > 64 for item in items):
        raise ValidationFailed("at most 200 items of up to 64 characters")
    return list(dict.fromkeys(items))


def _products(value: str) -> list[str]:
    items = _list(value)
    if not items or not set(items) <= PRODUCTS:
        raise ValidationFailed(f"products must be some of {sorted(PRODUCTS)}")
    return items


def _int(value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValidationFailed(f"expected a whole number {low}..{high}")
    return int(value)


def _yes_no(value: str) -> bool:
    if value.lower() not in ("yes", "no"):
        raise ValidationFailed("expected yes or no")
    return value.lower() == "yes"
