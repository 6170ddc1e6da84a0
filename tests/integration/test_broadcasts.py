"""Broadcast use cases on PostgreSQL: the recipients snapshot (language filter, banned fans
left out), claim and mark (each recipient claimed once, also by concurrent senders), recovery
after a crash, finishing, and the audit log."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import ValidationFailed
from stario.core.services import broadcasts
from stario.models import AuditLog, BroadcastStatus, RecipientStatus
from tests.factories import add_user

Sessions = async_sessionmaker[AsyncSession]
ADMIN = 100


async def fans(db: Sessions) -> None:
    await add_user(db, ADMIN, language="en")
    rows = [(1, "uz", False), (2, "uz", False), (3, "ru", False), (4, "en", False),
            (5, "uz", True), (6, "ru", True)]  # fmt: skip
    for user_id, language, banned in rows:
        await add_user(db, user_id, language=language, banned=banned)


async def started(db: Sessions, language: str | None) -> broadcasts.BroadcastView:
    async with db() as session:
        draft, _ = await broadcasts.create_draft(session, ADMIN, "Hello!", language)
    async with db() as session:
        view, changed = await broadcasts.confirm(session, ADMIN, draft.id)
    assert changed
    return view


async def audit(db: Sessions) -> list[str]:
    async with db() as session:
        return list(await session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


async def test_draft_reach_and_snapshot_leave_out_banned_and_other_languages(db: Sessions) -> None:
    await fans(db)
    async with db() as session:
        draft, reach = await broadcasts.create_draft(session, ADMIN, "Salom!", "uz")
    assert (draft.status, reach) == (BroadcastStatus.DRAFT, 2)
    await add_user(db, 7, language="uz")  # joined between the draft and the confirmation
    async with db() as session:
        view, changed = await broadcasts.confirm(session, ADMIN, draft.id)
    assert changed
    assert view.status is BroadcastStatus.SENDING
    assert view.total == 3
    async with db() as session:
        assert set(await broadcasts.recipients(session, draft.id)) == {1, 2, 7}
        again, changed = await broadcasts.confirm(session, ADMIN, draft.id)  # a double tap
    assert not changed
    assert again.total == 3
    async with db() as session:
        assert len(await broadcasts.recipients(session, draft.id)) == 3
    assert await audit(db) == ["broadcast.draft", "broadcast.confirm"]


async def test_all_languages_and_cancel(db: Sessions) -> None:
    await fans(db)
    view = await started(db, None)
    assert view.total == 5  # admin, 1, 2, 3, 4
    async with db() as session:
        draft, reach = await broadcasts.create_draft(session, ADMIN, "x", "ru")
        assert reach == 1
        assert await broadcasts.cancel(session, ADMIN, draft.id)
        assert not await broadcasts.cancel(session, ADMIN, draft.id)
        _, changed = await broadcasts.confirm(session, ADMIN, draft.id)
        assert not changed
        assert (await broadcasts.get(session, draft.id)).status is BroadcastStatus.CANCELLED
        assert await broadcasts.recipients(session, draft.id) == {}


@pytest.mark.parametrize(("text", "language"), [("", None), ("  ", None), ("x" * 4097, None),
                                                 ("ok", "de")])  # fmt: skip
async def test_bad_drafts_are_refused(db: Sessions, text: str, language: str | None) -> None:
    await fans(db)
    async with db() as session:
        with pytest.raises(ValidationFailed):
            await broadcasts.create_draft(session, ADMIN, text, language)
    assert await audit(db) == []


def test_parse_language() -> None:
    assert broadcasts.parse_language(None) is None
    assert broadcasts.parse_language(" ALL ") is None
    assert broadcasts.parse_language("ru") == "ru"
    with pytest.raises(ValidationFailed):
        broadcasts.parse_language("de")


async def test_claim_mark_and_finish(db: Sessions) -> None:
    await fans(db)
    view = await started(db, None)
    outcomes = {1: RecipientStatus.SENT, 2: RecipientStatus.BLOCKED, 3: RecipientStatus.FAILED}
    seen: list[int] = []
    while True:
        async with db() as session:
            claimed = await broadcasts.claim(session, view.id, limit=2)
        if not claimed:
            break
        async with db() as session:
            assert (await broadcasts.finish(session, view.id))[1] is False  # rows in flight
        for claim in claimed:
            seen.append(claim.user_id)
            async with db() as session:
                status = outcomes.get(claim.user_id, RecipientStatus.SENT)
                assert await broadcasts.mark(session, claim.recipient_id, status)
                assert not await broadcasts.mark(session, claim.recipient_id, status)  # once
    assert sorted(seen) == [1, 2, 3, 4, ADMIN]
    async with db() as session:
        final, finished = await broadcasts.finish(session, view.id)
    assert finished
    assert final.status is BroadcastStatus.DONE
    assert (final.sent, final.skipped, final.failed, final.done) == (3, 1, 1, 5)
    async with db() as session:
        statuses = await broadcasts.recipients(session, view.id)
        assert statuses[2] is RecipientStatus.BLOCKED
        assert (await broadcasts.finish(session, view.id))[1] is False
    assert (await audit(db))[-1] == "broadcast.done"


async def test_concurrent_claims_never_share_a_recipient(db: Sessions) -> None:
    await fans(db)
    for user_id in range(10, 60):
        await add_user(db, user_id)
    view = await started(db, None)

    async def sender() -> list[int]:
        got: list[int] = []
        while True:
            async with db() as session:
                claimed = await broadcasts.claim(session, view.id, limit=3)
            if not claimed:
                return got
            got += [claim.user_id for claim in claimed]

    results = await asyncio.gather(*(sender() for _ in range(4)))
    everyone = [user_id for got in results for user_id in got]
    assert len(everyone) == len(set(everyone)) == view.total == 55


async def test_recover_skips_rows_in_flight_and_resume_takes_only_pending(db: Sessions) -> None:
    await fans(db)
    view = await started(db, None)
    async with db() as session:
        first = (await broadcasts.claim(session, view.id))[0]
        await broadcasts.mark(session, first.recipient_id, RecipientStatus.SENT)
        in_flight = (await broadcasts.claim(session, view.id))[0]  # the process dies here
    async with db() as session:
        assert await broadcasts.sending(session) == [view.id]
        assert await broadcasts.recover(session, view.id) == 1
        assert await broadcasts.recover(session, view.id) == 0
    rest: list[int] = []
    while True:
        async with db() as session:
            claimed = await broadcasts.claim(session, view.id, limit=10)
        if not claimed:
            break
        rest += [claim.user_id for claim in claimed]
    assert sorted([first.user_id, in_flight.user_id, *rest]) == [1, 2, 3, 4, ADMIN]
    assert first.user_id not in rest
    assert in_flight.user_id not in rest
    async with db() as session:
        statuses = await broadcasts.recipients(session, view.id)
        assert statuses[in_flight.user_id] is RecipientStatus.FAILED
        assert (await broadcasts.get(session, view.id)).failed == 1
