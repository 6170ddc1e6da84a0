"""Admin use cases on the real database: roles, grants, bans, look-up, statistics, job fixes and
artist management, each writing the audit log."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.adapters.storage_local import LocalStorage
from stario.core.errors import NotFoundError, QueueUnavailableError, ValidationFailed
from stario.core.services import admin, artists_admin, generation, jobs, ledger
from stario.core.services.generation import job_id_from_queue_id
from stario.models import (
    Artist,
    AuditLog,
    CreditLedger,
    CreditPackage,
    ErrorClass,
    GenerationJob,
    JobStatus,
    Order,
    OrderStatus,
    PaymentProvider,
    Role,
    User,
    VerificationStatus,
    utcnow,
)
from tests.factories import add_artist, add_user
from tests.integration.test_generation import RecordingQueue, greeting, place

Sessions = async_sessionmaker[AsyncSession]
ADMIN = 900


async def actions(db: Sessions) -> list[tuple[str, str | None]]:
    async with db() as session:
        rows = await session.execute(
            sa.select(AuditLog.action, AuditLog.target_id)
            .where(AuditLog.actor_id == ADMIN)
            .order_by(AuditLog.id)
        )
        return [(action, target) for action, target in rows]


async def add_admin(db: Sessions, role: Role = Role.ADMIN) -> None:
    await add_user(db, ADMIN)
    async with db() as session:
        await session.execute(sa.update(User).where(User.id == ADMIN).values(role=role))
        await session.commit()


async def test_roles_come_from_the_database(db: Sessions) -> None:
    await add_admin(db, Role.OPERATOR)
    await add_user(db, 1)
    async with db() as session:
        assert await admin.is_staff(session, ADMIN)
        assert not await admin.is_admin(session, ADMIN)
        assert not await admin.is_staff(session, 1)
        assert not await admin.is_staff(session, 424242)  # unknown


async def test_grant_writes_the_audit_row_first_and_credits_once(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=3)
    async with db() as session:
        done = await admin.grant(session, ADMIN, 1, 5, "apology for job 7")
    assert done.balance_after == 8
    async with db() as session:
        posting = await session.scalar(
            sa.select(CreditLedger).where(CreditLedger.idempotency_key == f"grant:{done.audit_id}")
        )
        assert posting is not None
        assert posting.amount == 5
        # The same key again (a retried call) changes nothing.
        again = await ledger.credit(session, 1, 5, f"grant:{done.audit_id}", "x")
        await session.commit()
        assert again.id == posting.id
        assert await ledger.balance_of(session, 1) == 8
    assert await actions(db) == [("admin.grant", "1")]


@pytest.mark.parametrize(
    ("user_id", "credits", "reason", "error"),
    [
        (1, 0, "r", ValidationFailed),
        (1, -3, "r", ValidationFailed),
        (1, 10**9, "r", ValidationFailed),
        (1, 5, "  ", ValidationFailed),
        (777, 5, "r", NotFoundError),
    ],
)
async def test_bad_grants_change_nothing(
    db: Sessions, user_id: int, credits: int, reason: str, error: type[Exception]
) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=3)
    async with db() as session:
        with pytest.raises(error):
            await admin.grant(session, ADMIN, user_id, credits, reason)
    async with db() as session:
        assert await ledger.balance_of(session, 1) == 3
    assert await actions(db) == []


async def test_ban_and_unban_are_audited_and_staff_cannot_be_banned(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1)
    async with db() as session:
        assert await admin.set_banned(session, ADMIN, 1, True)
        assert not await admin.set_banned(session, ADMIN, 1, True)
        with pytest.raises(ValidationFailed):
            await admin.set_banned(session, ADMIN, ADMIN, True)
    async with db() as session:
        assert (await session.get_one(User, 1)).is_banned
        assert await admin.set_banned(session, ADMIN, 1, False)
    assert await actions(db) == [("admin.ban", "1"), ("admin.ban", "1"), ("admin.unban", "1")]


async def test_find_user_by_id_or_username(db: Sessions) -> None:
    await add_user(db, 1, balance=6)
    await add_artist(db)
    async with db() as session:
        await session.execute(sa.update(User).where(User.id == 1).values(username="Aziza_01"))
        await session.commit()
    await place(db, RecordingQueue(), greeting(text="Happy birthday"))
    async with db() as session:
        by_name = await admin.find_user(session, "@aziza_01")
        by_id = await admin.find_user(session, "1")
        assert by_name == by_id
        assert (by_id.balance, by_id.jobs_total, by_id.paid_orders) == (1, 1, 0)
        assert [job.status for job in by_id.last_jobs] == [JobStatus.QUEUED]
        with pytest.raises(NotFoundError):
            await admin.find_user(session, "@nobody")
        with pytest.raises(ValidationFailed):
            await admin.find_user(session, "not a name!")


async def test_stats_of_today(db: Sessions) -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # 17:00 in Tashkent
    yesterday = now - timedelta(days=1)
    await add_user(db, 1)
    await add_user(db, 2)
    async with db() as session:
        await session.execute(sa.update(User).values(created_at=yesterday))
        await session.execute(sa.update(User).where(User.id == 2).values(last_seen_at=now))
        session.add(User(id=3, first_name="New", created_at=now, last_seen_at=now))
        for seconds, status in ((2, JobStatus.DELIVERED), (4, JobStatus.DELIVERED),
                                (10, JobStatus.UNDELIVERED), (0, JobStatus.FAILED)):  # fmt: skip
            started = now - timedelta(minutes=5)
            session.add(
                GenerationJob(
                    user_id=1,
                    kind="greeting",
                    status=status,
                    created_at=started,
                    started_at=started,
                    finished_at=started + timedelta(seconds=seconds),
                    result_key=None if status is JobStatus.FAILED else "r",
                )
            )
        session.add(GenerationJob(user_id=1, kind="poster", created_at=yesterday))
        package = CreditPackage(code="p", credits=10, price_uzs=10000, price_stars=50)
        session.add(package)
        await session.flush()
        for provider, paid_at in (
            (PaymentProvider.PAYME, now),
            (PaymentProvider.CLICK, now),
            (PaymentProvider.STARS, now),
            (PaymentProvider.PAYME, yesterday),
        ):
            session.add(
                Order(
                    user_id=1,
                    package_id=package.id,
                    provider=provider,
                    status=OrderStatus.PAID,
                    credits=10,
                    amount_tiyin=1_000_000,
                    amount_stars=50,
                    expires_at=now,
                    paid_at=paid_at,
                )
            )
        await session.commit()
        found = await admin.stats(session, now)
    assert (found.users_total, found.users_new, found.users_active) == (3, 1, 2)
    assert found.jobs_by_status == {"delivered": 2, "undelivered": 1, "failed": 1}
    assert found.failure_rate == pytest.approx(0.25)
    assert found.p50_s == pytest.approx(4.0)
    assert found.p95_s is not None
    assert 9 < found.p95_s <= 10
    assert {k: (v.orders, v.amount, v.currency) for k, v in found.revenue.items()} == {
        "payme": (1, 10000, "UZS"),
        "click": (1, 10000, "UZS"),
        "stars": (1, 50, "XTR"),
    }


async def test_day_starts_at_midnight_in_tashkent() -> None:
    now = datetime(2025, 3, 10, 20, 0, tzinfo=UTC)  # 01:00 on the 11th in Tashkent
    assert admin.day_start(now) == datetime(2025, 3, 10, 19, 0, tzinfo=UTC)


async def test_retry_of_an_undelivered_job_delivers_again_without_charging(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=10)
    await add_artist(db)
    queue = RecordingQueue()
    placed = await place(db, queue, greeting())
    async with db() as session:
        await jobs.store_result(session, placed.job_id, "results/x/greeting.mp4", {})
        await jobs.mark_undelivered(session, placed.job_id, "bot was blocked")
        line = await admin.retry(session, queue, ADMIN, placed.job_id)
        assert line.status is JobStatus.QUEUED
        job = await session.get_one(GenerationJob, placed.job_id)
        assert job.delivery_deadline_at is None
        assert not job.is_gift
        assert await ledger.balance_of(session, 1) == 5
        with pytest.raises(admin.JobNotRetryableError):  # queued now: not again
            await admin.retry(session, queue, ADMIN, placed.job_id)
    func, args, options = queue.enqueued[-1]
    assert (func, list(args)) == ("stario.workers.jobs.run_greeting", [placed.job_id])
    assert options.job_id != generation.queue_job_id(placed.job_id)
    assert job_id_from_queue_id(options.job_id) == placed.job_id
    assert await actions(db) == [("admin.job_retry", str(placed.job_id))]


async def test_retry_of_a_failed_job_is_a_gift_and_never_refunds_twice(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=10)
    await add_artist(db)
    queue = RecordingQueue()
    placed = await place(db, queue, greeting())
    async with db() as session:
        await jobs.fail(session, placed.job_id, ErrorClass.CAPACITY, "oom")
        assert await ledger.balance_of(session, 1) == 10
        await admin.retry(session, queue, ADMIN, placed.job_id)
        assert (await session.get_one(GenerationJob, placed.job_id)).is_gift
        ending = await jobs.fail(session, placed.job_id, ErrorClass.CAPACITY, "oom again")
        assert ending.changed
        assert not ending.refunded
        assert await ledger.balance_of(session, 1) == 10
        again = await admin.retry(session, queue, ADMIN, placed.job_id)
        assert again.status is JobStatus.QUEUED
    ids = [options.job_id for _, _, options in queue.enqueued[1:]]
    assert len(set(ids)) == 2


async def test_retry_with_the_queue_down_leaves_the_job_as_it_was(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=10)
    await add_artist(db)
    placed = await place(db, RecordingQueue(), greeting())
    async with db() as session:
        await jobs.fail(session, placed.job_id, ErrorClass.CAPACITY, "oom")
        with pytest.raises(QueueUnavailableError):
            await admin.retry(session, RecordingQueue(broken=True), ADMIN, placed.job_id)
        assert (await session.get_one(GenerationJob, placed.job_id)).status is JobStatus.FAILED


async def test_refund_job_refunds_once(db: Sessions) -> None:
    await add_admin(db)
    await add_user(db, 1, balance=10)
    await add_artist(db)
    placed = await place(db, RecordingQueue(), greeting())
    async with db() as session:
        first = await admin.refund_job(session, ADMIN, placed.job_id)
        second = await admin.refund_job(session, ADMIN, placed.job_id)
        assert first.refunded
        assert not second.refunded
        assert not second.changed
        assert await ledger.balance_of(session, 1) == 10
        with pytest.raises(NotFoundError):
            await admin.refund_job(session, ADMIN, 999_999)
        details = list(
            await session.scalars(
                sa.select(AuditLog.details).where(AuditLog.action == "admin.job_refund")
            )
        )
    assert details == [{"changed": True, "refunded": True}, {"changed": False, "refunded": False}]


async def test_list_jobs_by_status(db: Sessions) -> None:
    await add_user(db, 1, balance=20)
    await add_artist(db)
    queue = RecordingQueue()
    first = await place(db, queue, greeting(), key="a")
    second = await place(db, queue, greeting(), key="b")
    async with db() as session:
        await jobs.fail(session, first.job_id, ErrorClass.INTERNAL, "boom")
        listing = await admin.list_jobs(session, (JobStatus.QUEUED, JobStatus.FAILED))
    assert [job.id for job in listing[JobStatus.QUEUED]] == [second.job_id]
    assert [job.error_class for job in listing[JobStatus.FAILED]] == ["internal"]


# Artists ---------------------------------------------------------------------------------------


def image_bytes(size: tuple[int, int] = (400, 500), fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


async def test_artist_lifecycle(db: Sessions, tmp_path: Path) -> None:
    """Add (pending), consent, two photos (the last is primary), verify, suspend."""
    await add_admin(db)
    storage = LocalStorage(tmp_path, "http://files", b"secret")
    async with db() as session:
        added = await artists_admin.add(session, ADMIN, "yulduz", "Yulduz Usmonova")
        assert added.status is VerificationStatus.PENDING
        with pytest.raises(artists_admin.ArtistExistsError):
            await artists_admin.add(session, ADMIN, "yulduz", "Again")
        expires = await artists_admin.consent(
            session, ADMIN, "yulduz", "by=Yulduz Management LLC scope=greeting,poster days=30"
        )
        assert expires - utcnow() > timedelta(days=29)
        saved = await artists_admin.set_photo(
            session, storage, ADMIN, "yulduz", image_bytes(), "sent by admin 900"
        )
        assert saved.storage_key.startswith("artists/yulduz/")
        assert saved.width == 400
        assert await storage.get(saved.storage_key) == image_bytes()
        second = await artists_admin.set_photo(
            session, storage, ADMIN, "yulduz", image_bytes((600, 600), "PNG"), "again"
        )
        verified = await artists_admin.set_status(
            session, ADMIN, "yulduz", VerificationStatus.VERIFIED
        )
        assert verified.problem is None
        suspended = await artists_admin.set_status(
            session, ADMIN, "yulduz", VerificationStatus.SUSPENDED
        )
        assert suspended.problem == "status is suspended"
        artist = await session.scalar(sa.select(Artist).where(Artist.slug == "yulduz"))
        assert artist is not None
        assert artist.consent_given_by == "Yulduz Management LLC"
        await session.refresh(artist, ["photos"])
        assert [(p.storage_key, p.is_primary) for p in artist.photos] == [
            (saved.storage_key, False),
            (second.storage_key, True),
        ]
    assert [action for action, _ in await actions(db)] == [
        "artist.add", "artist.consent", "artist.photo", "artist.photo",
        "artist.verified", "artist.suspended",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        image_bytes((100, 100)),
        image_bytes((9000, 300)),
        image_bytes(fmt="GIF"),
    ],
)
async def test_bad_photos_are_refused(db: Sessions, tmp_path: Path, data: bytes) -> None:
    await add_admin(db)
    await add_artist(db)
    async with db() as session:
        with pytest.raises(artists_admin.BadPhotoError):
            await artists_admin.set_photo(
                session,
                LocalStorage(tmp_path, "http://files", b"secret"),
                ADMIN,
                "sevara",
                data,
                "x",
            )
    assert await actions(db) == []


async def test_restrict_changes_only_what_is_given(db: Sessions) -> None:
    await add_admin(db)
    await add_artist(db, blocked_words=["old"], max_seconds=30)
    async with db() as session:
        await artists_admin.restrict(
            session, ADMIN, "sevara",
            "words=Foo, bar topics=politics max_seconds=20 products=greeting approval=yes",
        )  # fmt: skip
        await artists_admin.restrict(session, ADMIN, "sevara", "max_seconds=25")
        artist = await session.scalar(sa.select(Artist).where(Artist.slug == "sevara"))
        assert artist is not None
        await session.refresh(artist, ["restriction"])
        restriction = artist.restriction
        assert restriction is not None
        assert restriction.blocked_words == ["foo", "bar"]
        assert restriction.blocked_topics == ["politics"]
        assert restriction.max_seconds == 25
        assert restriction.products_allowed == ["greeting"]
        assert restriction.needs_approval


@pytest.mark.parametrize(
    "args",
    [
        "",
        "nonsense",
        "max_seconds=2",
        "max_seconds=abc",
        "products=video",
        "approval=maybe",
        "colour=red",
        "words=a words=b",
        "junk words=a",
    ],
)
async def test_bad_restrictions_change_nothing(db: Sessions, args: str) -> None:
    await add_admin(db)
    await add_artist(db)
    async with db() as session:
        with pytest.raises(ValidationFailed):
            await artists_admin.restrict(session, ADMIN, "sevara", args)
    assert await actions(db) == []


@pytest.mark.parametrize(
    "args",
    [
        "by=x scope=greeting",
        "by=x scope=video days=3",
        "by=x scope=greeting days=0",
        "scope=greeting days=3",
    ],
)
async def test_bad_consents_change_nothing(db: Sessions, args: str) -> None:
    await add_admin(db)
    await add_artist(db)
    async with db() as session:
        with pytest.raises(ValidationFailed):
            await artists_admin.consent(session, ADMIN, "sevara", args)
    assert await actions(db) == []


async def test_unknown_artist_and_bad_slug(db: Sessions) -> None:
    await add_admin(db)
    async with db() as session:
        with pytest.raises(NotFoundError):
            await artists_admin.set_status(session, ADMIN, "ghost", VerificationStatus.VERIFIED)
        with pytest.raises(ValidationFailed):
            await artists_admin.add(session, ADMIN, "Bad Slug!", "Name")
