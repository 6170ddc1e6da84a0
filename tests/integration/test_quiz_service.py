"""The Face Quiz use cases on real PostgreSQL: the daily free allowance, charging once,
refunding once, leaderboards, which artists a quiz compares with, and the gallery store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.storage_factory import build_storage
from stario.core.errors import (
    ArtistUnavailableError,
    InsufficientBalanceError,
    NotFoundError,
    QueueUnavailableError,
    ValidationFailed,
)
from stario.core.ports.queue import EnqueuedJob, JobOptions
from stario.core.services import face_gallery_store as store
from stario.core.services import jobs, ledger, quiz
from stario.core.services.generation import PlacedJob
from stario.core.settings import Settings
from stario.models import (
    Artist,
    ArtistPhoto,
    ErrorClass,
    FaceQuizResult,
    GenerationJob,
    User,
    VerificationStatus,
    utcnow,
)
from tests.bot.orders import RecordingQueue
from tests.conftest import TEST_DATABASE_URL
from tests.factories import add_artist, add_user

Sessions = async_sessionmaker[AsyncSession]
FAN = 4401
LIMITS = quiz.Limits(free_per_day=2, price=1)


class DownQueue(RecordingQueue):
    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob:
        raise ConnectionError("redis is down")


async def place(
    db: Sessions, key: str, *, slug: str | None = None, queue: RecordingQueue | None = None
) -> PlacedJob:
    order = quiz.QuizOrder(
        user_id=FAN, mode=quiz.Mode.ONE if slug else quiz.Mode.ALL,
        selfie_key=quiz.new_selfie_key(), artist_slug=slug, language="ru", chat_id=FAN,
    )  # fmt: skip
    async with db() as session:
        return await quiz.place_quiz(
            session, queue or RecordingQueue(), order, request_key=key, limits=LIMITS
        )


async def balance(db: Sessions) -> int:
    async with db() as session:
        return await ledger.balance_of(session, FAN)


async def test_free_quizzes_per_day_then_one_credit_each(db: Sessions) -> None:
    await add_user(db, FAN, balance=1)
    await add_artist(db, "sevara")
    queue = RecordingQueue()
    costs = [(await place(db, f"k{n}", slug="sevara", queue=queue)).cost for n in range(3)]
    assert costs == [0, 0, 1]
    assert await balance(db) == 0
    [(path, _args, options)] = queue.enqueued[:1]
    assert path == "stario.workers.quiz.run_face_quiz"
    assert (options.queue, options.on_failure) == ("face", "stario.workers.quiz.on_final_failure")
    assert options.retry_intervals_s == ()  # the selfie is gone once read: never retried
    with pytest.raises(InsufficientBalanceError):
        await place(db, "k3", slug="sevara")
    async with db() as session:
        assert await session.scalar(sa.select(sa.func.count(GenerationJob.id))) == 3


async def test_a_repeated_update_is_one_job_charged_once(db: Sessions) -> None:
    await add_user(db, FAN, balance=5)
    await add_artist(db, "sevara")
    await place(db, "free-1")
    await place(db, "free-2")
    first = await place(db, "same-message")
    again = await place(db, "same-message")
    assert (first.cost, again.is_repeat, again.job_id) == (1, True, first.job_id)
    assert await balance(db) == 4


async def test_failed_quiz_is_refunded_once_and_free_ones_are_given_back(db: Sessions) -> None:
    await add_user(db, FAN, balance=3)
    await add_artist(db, "sevara")
    free = await place(db, "a")
    async with db() as session:
        await jobs.fail(session, free.job_id, ErrorClass.USER_INPUT, "no_face")
    # A failed free quiz does not use up the allowance: the next two are free again.
    assert [(await place(db, key)).cost for key in ("b", "c")] == [0, 0]
    paid = await place(db, "d")
    assert (paid.cost, await balance(db)) == (1, 2)
    async with db() as session:
        ended = [await jobs.fail(session, paid.job_id, ErrorClass.INTERNAL, "x") for _ in "12"]
    assert [ending.refunded for ending in ended] == [True, False]
    assert await balance(db) == 3


async def test_allowance_restarts_each_utc_day(db: Sessions) -> None:
    await add_user(db, FAN, balance=0)
    await add_artist(db, "sevara")
    for key in ("a", "b"):
        await place(db, key)
    async with db() as session:
        await session.execute(
            sa.update(GenerationJob).values(
                created_at=quiz.day_start(utcnow()) - timedelta(seconds=1)
            )
        )
        await session.commit()
        assert (await quiz.quote(session, FAN, LIMITS)).free_left == 2
    assert (await place(db, "c")).cost == 0


async def test_concurrent_quizzes_cannot_both_take_the_last_free_one(db: Sessions) -> None:
    await add_user(db, FAN, balance=5)
    await add_artist(db, "sevara")
    await place(db, "first")
    placed = await asyncio.gather(*(place(db, f"race-{n}") for n in range(4)))
    assert sorted(job.cost for job in placed) == [0, 1, 1, 1]
    assert await balance(db) == 2


async def test_queue_down_refunds_at_once(db: Sessions) -> None:
    await add_user(db, FAN, balance=2)
    await add_artist(db, "sevara")
    await place(db, "a")
    await place(db, "b")
    with pytest.raises(QueueUnavailableError):
        await place(db, "c", queue=DownQueue())
    assert await balance(db) == 2


async def test_orders_that_cannot_be_placed(db: Sessions) -> None:
    await add_user(db, FAN, balance=2)
    await add_artist(db, "closed", consent_scope=["greeting", "poster"])
    with pytest.raises(ArtistUnavailableError):
        await place(db, "a", slug="closed")
    async with db() as session:
        bad = quiz.QuizOrder(user_id=FAN, mode=quiz.Mode.ALL, selfie_key="artists/x/photo.jpg")
        with pytest.raises(ValidationFailed):
            await quiz.place_quiz(session, RecordingQueue(), bad, request_key="z", limits=LIMITS)
        assert await session.scalar(sa.select(sa.func.count(GenerationJob.id))) == 0


async def test_mode_all_compares_with_artists_the_quiz_is_open_with(db: Sessions) -> None:
    open_ids = [await add_artist(db, "a"), await add_artist(db, "b")]
    await add_artist(db, "no-consent", consent_scope=["greeting"])
    await add_artist(db, "pending", status=VerificationStatus.PENDING)
    await add_artist(db, "expired", consent_days=-1)
    disabled = await add_artist(db, "disabled")
    async with db() as session:
        await session.execute(
            sa.update(Artist).where(Artist.id == disabled).values(quiz_enabled=False)
        )
        await session.commit()
        assert sorted(await quiz.quiz_artist_ids(session, None)) == open_ids
        assert await quiz.quiz_artist_ids(session, "b") == [open_ids[1]]
        with pytest.raises(ArtistUnavailableError):
            await quiz.quiz_artist_ids(session, "disabled")


@pytest.mark.parametrize(
    ("score", "badge"),
    [(100, "twin"), (75, "twin"), (74, "lookalike"), (50, "lookalike"), (49, "vibe"),
     (30, "vibe"), (29, "opposites"), (0, "opposites")],
)  # fmt: skip
def test_badges(score: int, badge: str) -> None:
    assert quiz.badge_for(score) == badge


async def _result(
    db: Sessions, user_id: int, artist_id: int, score: int, shown: bool, days_ago: int = 0
) -> int:
    async with db() as session:
        result = FaceQuizResult(
            user_id=user_id, artist_id=artist_id, score=score, badge=quiz.badge_for(score),
            on_leaderboard=shown, created_at=utcnow() - timedelta(days=days_ago),
        )  # fmt: skip
        session.add(result)
        await session.commit()
        return result.id


async def test_leaderboard_best_score_per_opted_in_fan_first_name_only(db: Sessions) -> None:
    artist = await add_artist(db, "sevara")
    other = await add_artist(db, "yulduz")
    for fan in range(1, 14):
        await add_user(db, fan)
    async with db() as session:
        await session.execute(
            sa.update(User).where(User.id == 1).values(first_name="Aziza Karimova")
        )
        await session.commit()
    await _result(db, 1, artist, 61, shown=True)
    await _result(db, 1, artist, 90, shown=True, days_ago=3)  # best of all time, not today
    await _result(db, 1, artist, 70, shown=False)  # not opted in: not shown
    await _result(db, 2, artist, 99, shown=False)
    await _result(db, 3, other, 95, shown=True)  # another artist's board
    for fan in range(4, 14):
        await _result(db, fan, artist, 10 + fan, shown=True)
    async with db() as session:
        today = await quiz.leaderboard(session, artist, quiz.day_start(utcnow()))
        all_time = await quiz.leaderboard(session, artist)
    assert len(today) == len(all_time) == quiz.LEADERBOARD_SIZE
    assert (today[0].first_name, today[0].score) == ("Aziza", 61)
    assert (all_time[0].first_name, all_time[0].score, all_time[0].badge) == ("Aziza", 90, "twin")
    assert [entry.first_name for entry in all_time].count("Aziza") == 1
    assert "Fan2" not in [entry.first_name for entry in all_time]
    assert [entry.score for entry in today] == sorted((e.score for e in today), reverse=True)


async def test_only_the_fan_can_show_their_result(db: Sessions) -> None:
    artist = await add_artist(db, "sevara")
    await add_user(db, 1)
    await add_user(db, 2)
    result_id = await _result(db, 1, artist, 80, shown=False)
    async with db() as session:
        with pytest.raises(NotFoundError):
            await quiz.set_on_leaderboard(session, 2, result_id, shown=True)
        shown = await quiz.set_on_leaderboard(session, 1, result_id, shown=True)
        assert shown.on_leaderboard
        assert shown.artist_slug == "sevara"
        assert [e.score for e in await quiz.leaderboard(session, artist)] == [80]


async def test_gallery_vectors_per_engine_replaced_not_duplicated(db: Sessions) -> None:
    artist = await add_artist(db, "sevara")
    async with db() as session:
        photo = await session.scalar(
            sa.select(ArtistPhoto.id).where(ArtistPhoto.artist_id == artist)
        )
        assert photo is not None
        assert [p.id for p in await store.photos_missing(session, "e1")] == [photo]
        vector = np.ones(4, dtype="<f4") / 2
        await store.save_vector(session, photo, "e1", 4, vector.tobytes())
        first = await store.signature(session, "e1")
        await store.save_vector(session, photo, "e1", 4, (-vector).tobytes())
        second = await store.signature(session, "e1")
        assert first[0] == second[0] == 1
        assert second[1] > first[1]
        assert await store.photos_missing(session, "e1") == []
        assert len(await store.photos_missing(session, "e2", "sevara")) == 1
        [row] = await store.load(session, "e1")
        assert np.frombuffer(row.vector, "<f4").tolist() == (-vector).tolist()
        with pytest.raises(ValidationFailed):
            await store.save_vector(session, photo, "e1", 4, b"\x00" * 12)
        with pytest.raises(NotFoundError):
            await store.photos_missing(session, "e1", "nobody")


def test_selfie_keys_are_random_and_recognised() -> None:
    keys = {quiz.new_selfie_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(quiz.is_selfie_key(key) for key in keys)
    assert not quiz.is_selfie_key("artists/sevara/portrait.jpg")
    assert not quiz.is_selfie_key("selfies/../results/1/quiz.jpg")


async def test_presigned_upload_url_is_valid_five_minutes(tmp_path: Path) -> None:

    storage = build_storage(
        Settings(_env_file=None, database_url=TEST_DATABASE_URL, storage_url=f"file://{tmp_path}")
    )
    key, url = await quiz.selfie_upload_url(storage)
    assert quiz.is_selfie_key(key)
    assert "PUT" in url
    expires = int(url.split("expires=")[1].split("&")[0])
    assert abs(expires - (utcnow().timestamp() + 300)) <= 2
