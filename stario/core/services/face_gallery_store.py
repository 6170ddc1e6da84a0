"""The artists' face gallery in the database: one vector per photo and face engine.

Vectors are stored as little-endian float32 bytes (`ArtistFaceEmbedding`); turning them into
arrays and searching them is the workers' business (`stario.workers.face_gallery`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, ValidationFailed
from stario.core.ports.queue import JobOptions, JobQueue
from stario.models import Artist, ArtistFaceEmbedding, ArtistPhoto

QUEUE = "face"
INDEX_ENTRY_POINT = "stario.workers.quiz.index_artist_photo"
INDEX_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class PhotoRef:
    id: int
    artist_id: int
    slug: str
    storage_key: str


@dataclass(frozen=True, slots=True)
class GalleryRow:
    artist_id: int
    photo_id: int
    vector: bytes  # float32, little endian


async def photo(session: AsyncSession, photo_id: int) -> PhotoRef:
    row = (
        await session.execute(
            sa.select(ArtistPhoto.id, ArtistPhoto.artist_id, Artist.slug, ArtistPhoto.storage_key)
            .join(Artist, Artist.id == ArtistPhoto.artist_id)
            .where(ArtistPhoto.id == photo_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"artist photo {photo_id} not found")
    return PhotoRef(*row)


async def photo_by_key(session: AsyncSession, storage_key: str) -> PhotoRef:
    photo_id = await session.scalar(
        sa.select(ArtistPhoto.id).where(ArtistPhoto.storage_key == storage_key).limit(1)
    )
    if photo_id is None:
        raise NotFoundError(f"no artist photo stored under {storage_key}")
    return await photo(session, photo_id)


async def enqueue_index(queue: JobQueue, photo_id: int, notify_chat_id: int = 0) -> None:
    """Compute (again) the gallery vector of one photo on the `face` queue; the worker tells
    `notify_chat_id` (an admin) how it went."""
    await queue.enqueue(
        INDEX_ENTRY_POINT,
        [photo_id, notify_chat_id],
        # A fresh id each time: the queue keeps finished ids and would drop a repeat.
        JobOptions(queue=QUEUE, job_id=f"stario-face-index-{photo_id}-{secrets.token_hex(6)}",
                   timeout_s=INDEX_TIMEOUT_S),
    )  # fmt: skip


async def save_vector(
    session: AsyncSession, photo_id: int, engine: str, dimension: int, vector: bytes
) -> None:
    """Store (or replace) the vector of a photo for `engine`; commits."""
    if dimension <= 0 or len(vector) != 4 * dimension:
        raise ValidationFailed("a gallery vector is `dimension` float32 values")
    ref = await photo(session, photo_id)
    # Replaced, not updated in place: a new id tells cached galleries (`signature`) to reload.
    await session.execute(
        sa.delete(ArtistFaceEmbedding).where(
            ArtistFaceEmbedding.artist_photo_id == photo_id, ArtistFaceEmbedding.engine == engine
        )
    )
    session.add(
        ArtistFaceEmbedding(
            artist_id=ref.artist_id, artist_photo_id=photo_id, engine=engine[:64],
            dimension=dimension, vector=vector,
        )
    )  # fmt: skip
    await session.commit()


async def photos_missing(
    session: AsyncSession, engine: str, artist_slug: str | None = None
) -> list[PhotoRef]:
    """Photos (of one artist, or of all) that have no vector for `engine` yet."""
    has_vector = sa.exists().where(
        ArtistFaceEmbedding.artist_photo_id == ArtistPhoto.id,
        ArtistFaceEmbedding.engine == engine,
    )
    statement = (
        sa.select(ArtistPhoto.id, ArtistPhoto.artist_id, Artist.slug, ArtistPhoto.storage_key)
        .join(Artist, Artist.id == ArtistPhoto.artist_id)
        .where(~has_vector)
        .order_by(ArtistPhoto.id)
    )
    if artist_slug is not None:
        if await session.scalar(sa.select(Artist.id).where(Artist.slug == artist_slug)) is None:
            raise NotFoundError(f"artist {artist_slug} not found")
        statement = statement.where(Artist.slug == artist_slug)
    return [PhotoRef(*row) for row in await session.execute(statement)]


async def signature(session: AsyncSession, engine: str) -> tuple[int, int]:
    """(how many vectors `engine` has, the newest id): a cached gallery reloads when it
    changes (a photo indexed, replaced or deleted)."""
    found = (
        await session.execute(
            sa.select(
                sa.func.count(ArtistFaceEmbedding.id), sa.func.max(ArtistFaceEmbedding.id)
            ).where(ArtistFaceEmbedding.engine == engine)
        )
    ).one()
    return int(found[0] or 0), int(found[1] or 0)


async def load(session: AsyncSession, engine: str) -> list[GalleryRow]:
    rows = await session.execute(
        sa.select(
            ArtistFaceEmbedding.artist_id,
            ArtistFaceEmbedding.artist_photo_id,
            ArtistFaceEmbedding.vector,
        )
        .where(ArtistFaceEmbedding.engine == engine)
        .order_by(ArtistFaceEmbedding.id)
    )
    return [GalleryRow(*row) for row in rows]
