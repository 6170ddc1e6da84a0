"""Admin and operator commands end to end: the role from the database, every command's happy
path and bad arguments, the audit log, and an artist photo sent as a reply."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from stario.core.services import jobs
from stario.models import (
    Artist,
    AuditLog,
    CreditLedger,
    ErrorClass,
    GenerationJob,
    JobStatus,
    Role,
    User,
    VerificationStatus,
)
from tests.bot.conftest import BotUnderTest
from tests.factories import add_artist, add_user
from tests.fakes import User as Fan
from tests.fakes.telegram_api import Call

ADMIN, OPERATOR, FAN = 7001, 7002, 7003


async def staff(env: BotUnderTest) -> None:
    await add_user(env.db, ADMIN, language="en")
    await add_user(env.db, OPERATOR, language="ru")
    await add_user(env.db, FAN, balance=10, language="uz")
    async with env.db() as session:
        await session.execute(sa.update(User).where(User.id == ADMIN).values(role=Role.ADMIN))
        await session.execute(
            sa.update(User).where(User.id == OPERATOR).values(role=Role.OPERATOR)
        )
        await session.commit()


async def audit_actions(env: BotUnderTest) -> list[str]:
    async with env.db() as session:
        return list(await session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def text(call: Call) -> str:
    return str(call.params["text"])


@pytest.mark.parametrize("command", ["/admin", "/stats", "/grant 7003 5 gift", "/ban 7003",
                                     "/jobs", "/artist_add x Name"])  # fmt: skip
async def test_non_staff_get_the_unknown_command_reply(env: BotUnderTest, command: str) -> None:
    await staff(env)
    unknown = await env.say(Fan(id=FAN), "/no_such_command")
    reply = await env.say(Fan(id=FAN), command)
    assert text(reply) == text(unknown) == env.text("uz", "fallback-command")
    assert await audit_actions(env) == []


async def test_operators_may_look_but_not_touch_money(env: BotUnderTest) -> None:
    await staff(env)
    operator = Fan(id=OPERATOR)
    assert text(await env.say(operator, "/admin")) == env.text("ru", "admin-menu-operator")
    assert text(await env.say(operator, "/grant 7003 5 x")) == env.text("ru", "fallback-command")
    stats = text(await env.say(operator, "/stats"))
    assert stats.startswith("📊")
    assert re.search(r"video \d+, poster \d+, face \d+", stats)  # depths of the real queues


async def test_grant_credits_once_and_is_audited(env: BotUnderTest) -> None:
    await staff(env)
    admin = Fan(id=ADMIN)
    reply = await env.say(admin, "/grant 7003 5 sorry for the wait")
    assert text(reply) == env.text("en", "admin-granted", credits=5, user="7003", balance=15)
    async with env.db() as session:
        grants = list(
            await session.scalars(
                sa.select(CreditLedger.idempotency_key).where(CreditLedger.user_id == FAN)
            )
        )
        assert len([key for key in grants if key.startswith("grant:")]) == 1
    assert await audit_actions(env) == ["admin.grant"]


@pytest.mark.parametrize(
    ("command", "usage"),
    [("/grant", "admin-usage-grant"), ("/grant 7003 five x", "admin-usage-grant"),
     ("/grant 7003 5", "admin-usage-grant"), ("/grant 7003 0 x", "admin-usage-grant"),
     ("/ban", "admin-usage-ban"), ("/user a b c!", "admin-usage-user"),
     ("/retry x", "admin-usage-retry"), ("/refund_job", "admin-usage-refund-job"),
     ("/artist_add Bad!Slug Name", "admin-usage-artist-add"),
     ("/artist_verify", "admin-usage-artist-verify"),
     ("/restrict sevara max_seconds=1", "admin-usage-restrict"),
     ("/consent sevara by=x", "admin-usage-consent")],
)  # fmt: skip
async def test_bad_arguments_get_the_usage_and_change_nothing(
    env: BotUnderTest, command: str, usage: str
) -> None:
    await staff(env)
    await add_artist(env.db)
    reply = await env.say(Fan(id=ADMIN), command)
    assert text(reply) == env.text("en", usage)
    assert await audit_actions(env) == []


async def test_ban_unban_and_user_summary(env: BotUnderTest) -> None:
    await staff(env)
    admin = Fan(id=ADMIN)
    assert text(await env.say(admin, "/ban 7003")) == env.text("en", "admin-banned", user="7003")
    banned = await env.say(Fan(id=FAN), "/help")
    assert text(banned) == env.text("uz", "banned")
    summary = text(await env.say(admin, "/user 7003"))
    assert "7003" in summary
    assert env.text("en", "admin-yes") in summary
    unbanned = await env.say(admin, "/unban 7003")
    assert text(unbanned) == env.text("en", "admin-unbanned", user="7003")
    assert text(await env.say(admin, "/user 99999")) == env.text("en", "error-not-found")
    assert await audit_actions(env) == ["admin.ban", "admin.unban"]


async def test_jobs_retry_and_refund(env: BotUnderTest) -> None:
    await staff(env)
    artist_id = await add_artist(env.db)
    async with env.db() as session:
        failed = GenerationJob(user_id=FAN, artist_id=artist_id, kind="greeting", cost=0)
        failed.status, failed.error_class = JobStatus.FAILED, ErrorClass.INTERNAL
        queued = GenerationJob(user_id=FAN, artist_id=artist_id, kind="poster", cost=0)
        session.add_all([failed, queued])
        await session.commit()
    admin = Fan(id=ADMIN)
    listing = text(await env.say(admin, "/jobs"))
    assert f"#{failed.id} greeting · failed (internal)" in listing
    assert f"#{queued.id} poster · queued" in listing

    retried = await env.say(admin, f"/retry {failed.id}")
    assert text(retried) == env.text("en", "admin-retried", job=str(failed.id))
    refused = await env.say(admin, f"/retry {failed.id}")  # queued now
    assert text(refused) == env.text("en", "admin-retry-refused", job_id=str(failed.id))

    refunded = await env.say(admin, f"/refund_job {queued.id}")
    assert text(refunded) == env.text("en", "admin-job-refunded", job=str(queued.id), credits=0)
    again = await env.say(admin, f"/refund_job {queued.id}")
    assert text(again) == env.text(
        "en", "admin-job-already-ended", job=str(queued.id), status="failed"
    )
    async with env.db() as session:
        assert (await jobs.get_job(session, queued.id)).status is JobStatus.FAILED
    assert await audit_actions(env) == ["admin.job_retry", "admin.job_refund", "admin.job_refund"]


def jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def reply_to_photo(env: BotUnderTest, admin: Fan, data: bytes, command: str) -> Call:
    """The admin sends a photo (the bot answers it with the usual hint), then replies to it."""
    mark = len(env.tg.calls)
    photo = env.tg.photo(admin, data)["message"]
    await env.next_call("sendMessage", after=mark, chat_id=admin.id)
    mark = len(env.tg.calls)
    length = len(command.split()[0])
    entities = [{"type": "bot_command", "offset": 0, "length": length}]
    content = {"text": command, "entities": entities, "reply_to_message": photo}
    env.tg.feed(env.fan_message(admin, content))
    return await env.next_call("sendMessage", after=mark, chat_id=admin.id)


async def test_artist_management_with_a_photo_reply(env: BotUnderTest) -> None:
    await staff(env)
    admin = Fan(id=ADMIN)
    added = await env.say(admin, "/artist_add yulduz Yulduz Usmonova")
    assert text(added).startswith(env.text("en", "admin-artist-state", slug="yulduz",
                                           status="pending"))  # fmt: skip
    consent = await env.say(admin, "/consent yulduz by=Yulduz LLC scope=greeting,poster days=30")
    assert text(consent).startswith("✅")
    restrict = await env.say(admin, "/restrict yulduz words=foo max_seconds=20 approval=no")
    assert "max_seconds=20" in text(restrict)

    saved = await reply_to_photo(env, admin, jpeg((512, 640)), "/artist_photo yulduz")
    assert text(saved) == env.text("en", "admin-photo-saved", slug="yulduz", width=512, height=640)
    assert env.tg.calls_of("getFile")

    refused = await reply_to_photo(env, admin, jpeg((64, 64)), "/artist_photo yulduz")
    assert text(refused).startswith(env.text("en", "admin-photo-bad"))
    no_reply = await env.say(admin, "/artist_photo yulduz")
    assert text(no_reply).startswith(env.text("en", "admin-photo-bad"))

    verified = await env.say(admin, "/artist_verify yulduz")
    assert text(verified) == env.text("en", "admin-artist-state", slug="yulduz",
                                      status="verified")  # fmt: skip
    suspended = await env.say(admin, "/artist_suspend yulduz")
    assert "suspended" in text(suspended)
    async with env.db() as session:
        artist = await session.scalar(sa.select(Artist).where(Artist.slug == "yulduz"))
        assert artist is not None
        assert artist.verification_status is VerificationStatus.SUSPENDED
        await session.refresh(artist, ["photos"])
        assert [photo.width for photo in artist.photos] == [512]
        stored = await env.runtime.storage.get(artist.photos[0].storage_key)
    assert stored == jpeg((512, 640))
    assert await audit_actions(env) == [
        "artist.add", "artist.consent", "artist.restrict", "artist.photo",
        "artist.verified", "artist.suspended",
    ]  # fmt: skip
    exists = await env.say(admin, "/artist_add yulduz Again")
    assert text(exists) == env.text("en", "admin-artist-exists")
