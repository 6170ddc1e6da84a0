"""Face Quiz jobs: the card in the fan's chat, refunds, the gallery indexer, and privacy (the
selfie gone from storage within seconds, nowhere in temp files, the database or the logs).

Real PostgreSQL, the fake Bot API over HTTP, the job entry points called as RQ calls them (one
test goes through a real RQ worker on Redis). Most tests use a deterministic stand-in engine;
the last ones use the real default engine on real photos (tests/fixtures/faces).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
import sqlalchemy as sa
from redis import Redis
from rq import SimpleWorker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.queue_rq import RQJobQueue
from stario.core.ports.queue import JobQueue
from stario.core.services import face_gallery_store as store
from stario.core.services import ledger, quiz
from stario.core.settings import Settings
from stario.handlers.common import OrderCb
from stario.handlers.quiz import QuizCb
from stario.models import (
    ArtistPhoto,
    Base,
    ErrorClass,
    FaceQuizResult,
    GenerationJob,
    JobStatus,
)
from stario.models.db import create_engine, create_session_factory
from stario.workers import jobs as worker_jobs
from stario.workers import quiz as worker_quiz
from stario.workers.engines.base import FaceEmbedding, UserInputError
from stario.workers.engines.registry import Engines
from tests.bot.orders import RecordingQueue
from tests.factories import add_artist, add_user
from tests.fakes import FakeTelegram, User

T = TypeVar("T")
FAN = User(id=6101, first_name="Aziza", language_code="ru")
ADMIN_ID = 9101
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
Vector = npt.NDArray[np.float32]


def unit(*values: float) -> Vector:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@dataclass
class StandInFaces:
    """A FaceEngine whose answers the test sets per image: a vector, or a refusal reason."""

    answers: dict[bytes, Vector | str | Exception] = field(default_factory=dict)
    name: str = "stand-in"
    dimension: int = 4
    threshold: float = 0.4

    def _answer(self, image: bytes) -> FaceEmbedding:
        answer = self.answers.get(image, "no_face")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            raise UserInputError(answer)
        return FaceEmbedding(vector=answer, box=(1, 2, 3, 4))

    def embed_selfie(self, image: bytes) -> FaceEmbedding:
        return self._answer(image)

    def embed_photo(self, image: bytes) -> FaceEmbedding:
        return self._answer(image)

    def similarity_percent(self, distance: float) -> float:
        return max(0.0, 100.0 - 100.0 * distance)


@dataclass
class World:
    settings: Settings
    telegram: FakeTelegram
    context: worker_jobs.WorkerContext
    deleted_at: dict[str, float] = field(default_factory=dict)

    def run(self, action: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
        async def go() -> T:
            engine = create_engine(self.settings.database_url, pooled=False)
            try:
                return await action(create_session_factory(engine))
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def put(self, key: str, data: bytes) -> None:
        asyncio.run(self.context.storage.put(key, data))

    def exists(self, key: str) -> bool:
        return asyncio.run(self.context.storage.exists(key))

    def place(
        self, selfie: bytes, *, slug: str | None = None, key: str = "m1",
        queue: JobQueue | None = None,
    ) -> tuple[int, str]:  # fmt: skip
        """The fan's selfie stored as the handler does, and the quiz placed: (job id, key)."""
        selfie_key = quiz.new_selfie_key()
        self.put(selfie_key, selfie)
        order = quiz.QuizOrder(
            user_id=FAN.id, mode=quiz.Mode.ONE if slug else quiz.Mode.ALL, selfie_key=selfie_key,
            artist_slug=slug, language="ru", chat_id=FAN.id,
        )  # fmt: skip

        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            async with db() as session:
                placed = await quiz.place_quiz(
                    session, queue or RecordingQueue(), order, request_key=key,
                    limits=quiz.Limits(free_per_day=1, price=1),
                )  # fmt: skip
            return placed.job_id

        return self.run(action), selfie_key

    def job(self, job_id: int) -> GenerationJob:
        async def action(db: async_sessionmaker[AsyncSession]) -> GenerationJob:
            async with db() as session:
                found = await session.get(GenerationJob, job_id)
                assert found is not None
                return found

        return self.run(action)

    def balance(self) -> int:
        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            async with db() as session:
                return await ledger.balance_of(session, FAN.id)

        return self.run(action)

    def results(self) -> list[FaceQuizResult]:
        async def action(db: async_sessionmaker[AsyncSession]) -> list[FaceQuizResult]:
            async with db() as session:
                return list(await session.scalars(sa.select(FaceQuizResult)))

        return self.run(action)

    def add_artist(self, slug: str) -> int:
        """An artist the quiz is open with, without photos yet."""

        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            return await add_artist(db, slug, photo_key=None)

        return self.run(action)

    def add_gallery_photo(self, slug: str, artist_id: int, photo: bytes) -> int:
        key = f"artists/{slug}/{uuid.uuid4().hex[:8]}.jpg"
        self.put(key, photo)

        async def action(db: async_sessionmaker[AsyncSession]) -> int:
            async with db() as session:
                row = ArtistPhoto(artist_id=artist_id, storage_key=key, provenance="test")
                session.add(row)
                await session.commit()
                return row.id

        return self.run(action)


@pytest.fixture
def world(
    db: async_sessionmaker[AsyncSession], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    with FakeTelegram() as telegram:
        configured = settings.model_copy(
            update={"telegram_api_url": telegram.url, "admin_ids": frozenset({ADMIN_ID})}
        )
        context = worker_jobs.configure(configured)
        world = World(configured, telegram, context)
        original_delete = context.storage.delete

        async def recording_delete(key: str) -> None:
            await original_delete(key)
            world.deleted_at.setdefault(key, time.time())

        monkeypatch.setattr(context.storage, "delete", recording_delete)
        monkeypatch.setattr(worker_quiz, "_galleries", {})
        world.run(lambda sessions: add_user(sessions, FAN.id, balance=3, language="ru"))
        yield world


def stand_in(world: World) -> StandInFaces:
    engine = StandInFaces()
    world.context.engines.face = engine
    return engine


def gallery(world: World, engine: StandInFaces) -> dict[str, int]:
    """Two artists with one indexed photo each: sevara ≈ (1,0,0,0), yulduz ≈ (0,1,0,0)."""
    ids = {}
    for slug, vector in (("sevara", unit(1, 0, 0, 0)), ("yulduz", unit(0, 1, 0, 0))):
        ids[slug] = world.add_artist(slug)
        photo = f"{slug}-photo".encode()
        engine.answers[photo] = vector
        photo_id = world.add_gallery_photo(slug, ids[slug], photo)
        worker_quiz.index_artist_photo(photo_id, ADMIN_ID)
    return ids


def buttons_of(call: Any) -> list[dict[str, str]]:
    markup = call.params["reply_markup"]
    return [button for row in markup["inline_keyboard"] for button in row]


def test_mode_all_sends_the_card_of_the_closest_artist(world: World) -> None:
    engine = stand_in(world)
    ids = gallery(world, engine)
    selfie = b"\xff\xd8\xff selfie of Aziza " + uuid.uuid4().bytes
    engine.answers[selfie] = unit(0.2, 1, 0, 0)
    job_id, key = world.place(selfie)

    worker_quiz.run_face_quiz(job_id)

    card = world.telegram.wait_for_sync("sendPhoto", predicate=lambda c: not c.failed)
    assert card.chat_id == FAN.id
    assert card.files["photo"].data[:3] == b"\xff\xd8\xff"
    score = round(100 - 100 * float(np.linalg.norm(unit(0.2, 1, 0, 0) - unit(0, 1, 0, 0))))
    assert card.params["caption"] == world.context.translator.get(
        "ru", "quiz-caption-all", artist="Севара", score=score,
        badge=world.context.translator.get("ru", f"quiz-badge-{quiz.badge_for(score)}"),
    )  # fmt: skip
    [result] = world.results()
    assert (result.artist_id, result.score, result.job_id) == (ids["yulduz"], score, job_id)
    assert result.on_leaderboard is False
    buttons = buttons_of(card)
    assert QuizCb.unpack(buttons[0]["callback_data"]) == QuizCb(action="again")
    assert buttons[1]["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F")
    assert "start%3Dquiz_yulduz" in buttons[1]["url"]
    assert buttons[2]["switch_inline_query"] == f"quiz_{result.id}"
    order = OrderCb.unpack(buttons[3]["callback_data"])
    assert (order.product, order.artist_id) == ("greeting", ids["yulduz"])
    shown = QuizCb.unpack(buttons[4]["callback_data"])
    assert (shown.action, shown.artist_id, shown.value) == ("show", ids["yulduz"], result.id)
    job = world.job(job_id)
    assert (job.status, job.cost, world.balance()) == (JobStatus.DELIVERED, 0, 3)
    assert not world.exists(key)
    assert world.deleted_at[key] <= card.at + 3


def test_mode_one_scores_against_that_artist_only(world: World) -> None:
    engine = stand_in(world)
    ids = gallery(world, engine)
    selfie = b"selfie close to yulduz"
    engine.answers[selfie] = unit(0, 1, 0, 0)
    job_id, _ = world.place(selfie, slug="sevara")
    worker_quiz.run_face_quiz(job_id)
    world.telegram.wait_for_sync("sendPhoto")
    [result] = world.results()
    assert (result.artist_id, result.badge) == (ids["sevara"], "opposites")
    again = QuizCb.unpack(buttons_of(world.telegram.last("sendPhoto"))[0]["callback_data"])
    assert again.artist_id == ids["sevara"]


@pytest.mark.parametrize(
    ("answer", "message_key", "error_class"),
    [
        ("no_face", "quiz-error-no-face", ErrorClass.USER_INPUT),
        ("many_faces", "quiz-error-many-faces", ErrorClass.USER_INPUT),
        ("face_too_small", "quiz-error-face-too-small", ErrorClass.USER_INPUT),
        ("face_blurry", "quiz-error-face-blurry", ErrorClass.USER_INPUT),
        ("bad_photo", "quiz-error-bad-photo", ErrorClass.USER_INPUT),
        (RuntimeError("engine bug"), "quiz-error-internal", ErrorClass.INTERNAL),
    ],
)
def test_a_failed_paid_quiz_is_refunded_once_and_the_selfie_deleted(
    world: World, answer: str | Exception, message_key: str, error_class: ErrorClass
) -> None:
    engine = stand_in(world)
    gallery(world, engine)
    engine.answers[b"first"] = unit(1, 0, 0, 0)
    world.place(b"first", key="free-one")  # uses up the day's free quiz
    selfie = b"a selfie the engine refuses"
    engine.answers[selfie] = answer
    job_id, key = world.place(selfie, key="paid")
    assert world.balance() == 2

    worker_quiz.run_face_quiz(job_id)
    worker_quiz.run_face_quiz(job_id)  # a second run (a duplicate delivery) changes nothing

    translator = world.context.translator
    expected = "\n\n".join(
        (translator.get("ru", message_key), translator.get("ru", "quiz-not-charged"))
    )
    assert world.telegram.sent_texts(FAN.id).count(expected) == 1
    job = world.job(job_id)
    assert (job.status, job.error_class) == (JobStatus.FAILED, error_class)
    assert world.balance() == 3
    assert not world.exists(key)
    assert world.results() == []


def test_the_queue_giving_up_refunds_and_drops_the_selfie(world: World) -> None:
    stand_in(world)
    world.place(b"x", key="free-one")
    job_id, key = world.place(b"never looked at", key="paid")
    worker_quiz.on_final_failure(f"stario-job-{job_id}", "JobTimeoutException: 60 s")
    assert not world.exists(key)
    assert world.balance() == 3
    assert world.job(job_id).status is JobStatus.FAILED


def test_an_artist_closed_after_the_quiz_was_placed(world: World) -> None:
    engine = stand_in(world)
    gallery(world, engine)
    engine.answers[b"me"] = unit(1, 0, 0, 0)
    job_id, key = world.place(b"me", slug="sevara")

    async def close(db: async_sessionmaker[AsyncSession]) -> None:
        async with db() as session:
            await session.execute(sa.text("UPDATE artists SET quiz_enabled = false"))
            await session.commit()

    world.run(close)
    worker_quiz.run_face_quiz(job_id)
    expected = world.context.translator.get("ru", "quiz-error-artist-unavailable")
    assert any(text.startswith(expected) for text in world.telegram.sent_texts(FAN.id))
    assert not world.exists(key)


def test_indexing_a_photo_without_a_face_tells_the_admin_and_keeps_it(world: World) -> None:
    engine = stand_in(world)
    artist_id = world.add_artist("sevara")
    good = world.add_gallery_photo("sevara", artist_id, b"good photo")
    engine.answers[b"good photo"] = unit(1, 1, 0, 0)
    faceless = world.add_gallery_photo("sevara", artist_id, b"a landscape")
    worker_quiz.index_artist_photo(good, ADMIN_ID)
    worker_quiz.index_artist_photo(faceless, ADMIN_ID)

    texts = world.telegram.sent_texts(ADMIN_ID)
    t = world.context.translator
    assert texts == [
        t.get(None, "quiz-admin-photo-indexed", slug="sevara", reason="", engine="stand-in"),
        t.get(None, "quiz-admin-photo-no-face", slug="sevara", reason="no_face",
              engine="stand-in"),
    ]  # fmt: skip

    async def state(db: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
        async with db() as session:
            photos = await session.scalar(sa.select(sa.func.count(ArtistPhoto.id)))
            vectors = await store.signature(session, "stand-in")
            return int(photos or 0), vectors[0]

    assert world.run(state) == (2, 1)


def test_the_gallery_cache_reloads_when_a_photo_is_indexed(world: World) -> None:
    engine = stand_in(world)
    ids = gallery(world, engine)
    engine.answers[b"me"] = unit(0, 0, 1, 0)
    first, _ = world.place(b"me", key="a")
    worker_quiz.run_face_quiz(first)
    engine.answers[b"third"] = unit(0, 0, 1, 0)
    photo = world.add_gallery_photo("sevara", ids["sevara"], b"third")
    worker_quiz.index_artist_photo(photo)
    second, _ = world.place(b"me", key="b")
    worker_quiz.run_face_quiz(second)
    scores = [result.score for result in world.results()]
    assert scores[1] == 100 > scores[0]


# --- Privacy -------------------------------------------------------------------------------


def _tables_dump(world: World) -> list[tuple[str, object]]:
    async def action(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, object]]:
        values: list[tuple[str, object]] = []
        async with db() as session:
            for table in Base.metadata.sorted_tables:
                for row in await session.execute(sa.select(table)):
                    values.extend((table.name, value) for value in row)
        return values

    return world.run(action)


def _temp_files_since(started: float) -> list[Path]:
    found = []
    for path in Path(tempfile.gettempdir()).rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime >= started and path.stat().st_size < 2**24:
                found.append(path)
        except OSError:  # another process's file came and went
            continue
    return found


def assert_no_trace(
    world: World, selfie: bytes, key: str, vector: Vector, caplog: pytest.LogCaptureFixture,
    started: float,
) -> None:  # fmt: skip
    # Pieces of the middle of the file: JPEG headers are alike from one photo to the next.
    probes = [selfie[len(selfie) * k // 10 :][:24] for k in range(3, 10)]
    vector_bytes = vector.astype("<f4").tobytes()
    # Storage: the object is gone, and no stored object holds a piece of it.
    assert not world.exists(key)
    root = Path(world.settings.storage_url.removeprefix("file://"))
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(probe in data for probe in probes), path
    # Temporary files written during the quiz: none holds the selfie or names its key.
    for path in _temp_files_since(started):
        data = path.read_bytes()
        assert key.encode() not in data, path
        assert not any(probe in data for probe in probes), path
        assert vector_bytes not in data, path
    # The database: no bytes of the selfie and no embedding of it, in any column of any table.
    for table, value in _tables_dump(world):
        blob = value if isinstance(value, bytes) else repr(value).encode()
        assert not any(probe in blob for probe in probes), table
        assert vector_bytes not in blob, table
        if table == "artist_face_embeddings" and isinstance(value, bytes):
            assert not np.allclose(np.frombuffer(value, "<f4")[:4], vector[:4]), table
    # The logs.
    text = "\n".join(record.getMessage() for record in caplog.records)
    for probe in probes:
        assert repr(probe)[2:-1] not in text
        assert probe.hex() not in text
    assert np.array2string(vector)[:12] not in text


def test_privacy_after_a_successful_quiz(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.time() - 1
    engine = stand_in(world)
    gallery(world, engine)
    selfie = (FACES / "obama-blue-room.jpg").read_bytes()
    vector = unit(0.3, 0.9, 0.1, 0.2)
    engine.answers[selfie] = vector
    job_id, key = world.place(selfie)
    worker_quiz.run_face_quiz(job_id)
    card = world.telegram.wait_for_sync("sendPhoto")
    assert world.deleted_at[key] <= card.at + 3
    assert_no_trace(world, selfie, key, vector, caplog, started)


def test_privacy_after_a_failed_quiz(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.time() - 1
    engine = stand_in(world)
    gallery(world, engine)
    selfie = (FACES / "two-people.jpg").read_bytes()
    engine.answers[selfie] = "many_faces"
    job_id, key = world.place(selfie)
    worker_quiz.run_face_quiz(job_id)
    notice_at = time.time()
    assert world.job(job_id).status is JobStatus.FAILED
    assert world.deleted_at[key] <= notice_at + 3
    assert_no_trace(world, selfie, key, unit(9, 9, 9, 9), caplog, started)


# --- Through a real RQ worker, and the real engine ------------------------------------------


def test_through_rq_with_the_real_engine_on_real_photos(
    world: World, redis_url: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    started = time.time() - 1
    engine = world.context.engines.face  # the default engine (FACE_ENGINE=local)
    assert isinstance(world.context.engines, Engines)
    ids = {slug: world.add_artist(slug) for slug in ("obama", "biden")}
    for slug, name in (("obama", "obama-portrait.jpg"), ("biden", "biden.jpg")):
        photo = world.add_gallery_photo(slug, ids[slug], (FACES / name).read_bytes())
        worker_quiz.index_artist_photo(photo, ADMIN_ID)
    faceless = world.add_gallery_photo("biden", ids["biden"], _gray_jpeg())
    worker_quiz.index_artist_photo(faceless, ADMIN_ID)
    admin_texts = world.telegram.sent_texts(ADMIN_ID)
    assert len(admin_texts) == 3
    assert "no_face" in admin_texts[2]

    redis_url = redis_url.rsplit("/", 1)[0] + "/9"  # this suite's own Redis db for RQ
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    monkeypatch.setattr(quiz, "QUEUE", f"face-{uuid.uuid4().hex[:8]}")
    queue = RQJobQueue(redis_url)
    try:
        selfie = (FACES / "obama-blue-room.jpg").read_bytes()
        job_id, key = world.place(selfie, queue=queue, key="real-1")
        crowd = (FACES / "two-people.jpg").read_bytes()
        crowd_job, crowd_key = world.place(crowd, queue=queue, key="real-2", slug="biden")
        SimpleWorker([quiz.QUEUE], connection=redis).work(burst=True)
    finally:
        asyncio.run(queue.close())
        redis.flushdb()
        redis.close()

    card = world.telegram.wait_for_sync("sendPhoto")
    assert card.chat_id == FAN.id
    [result] = world.results()
    assert result.artist_id == ids["obama"]
    assert result.score >= 75  # the same person by the engine's threshold
    assert result.badge == "twin"
    assert world.job(job_id).status is JobStatus.DELIVERED
    failed = world.job(crowd_job)
    assert (failed.status, failed.error_message) == (JobStatus.FAILED, "many_faces")
    assert world.balance() == 3  # the first was free, the second refunded
    t = world.context.translator
    assert t.get("ru", "quiz-error-many-faces") in "\n".join(world.telegram.sent_texts(FAN.id))
    vector = engine.embed_selfie(selfie).vector
    assert_no_trace(world, selfie, key, vector, caplog, started)
    assert_no_trace(world, crowd, crowd_key, vector, caplog, started)


def _gray_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 320), (128, 128, 128)).save(out, "JPEG")
    return out.getvalue()
