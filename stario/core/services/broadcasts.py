"""Broadcasts: an admin's message to every fan, or to the fans of one language.

draft (`create_draft`, with the number of fans it would reach) → `confirm` (snapshots the
recipients: every user not banned, of the language if one was given; a second confirm changes
nothing) or `cancel`. The sender (`stario.bot.broadcaster`) then repeats `claim` → send →
`mark` until `claim` finds nobody, and calls `finish`.

At most once, never twice: `claim` commits the recipient as "sending" *before* the message
goes out, and `mark` records the outcome after. A sender that dies between the two leaves the
row "sending"; on restart `recover` counts those as failed (unconfirmed) and never sends them
again. The price: a crash may leave one fan per claimed row without the message (the sender
claims one row at a time), never give anyone a duplicate.

Every admin action (draft, confirm, cancel) writes the audit log in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import NotFoundError, ValidationFailed
from stario.core.services.admin import record
from stario.core.settings import LANGUAGES
from stario.models import (
    AuditLog,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
    User,
    utcnow,
)

MAX_TEXT = 4096  # Telegram's limit for one message
OUTCOMES = (RecipientStatus.SENT, RecipientStatus.BLOCKED, RecipientStatus.FAILED)
_COUNTER = {
    RecipientStatus.SENT: "sent",
    RecipientStatus.BLOCKED: "skipped",
    RecipientStatus.FAILED: "failed",
}


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    created_by: int | None
    language: str | None
    text: str
    status: BroadcastStatus
    total: int
    sent: int
    skipped: int
    failed: int
    progress_chat_id: int | None
    progress_message_id: int | None

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.failed


@dataclass(frozen=True, slots=True)
class Claim:
    recipient_id: int
    user_id: int


def view(row: Broadcast) -> BroadcastView:
    return BroadcastView(
        id=row.id,
        created_by=row.created_by,
        language=row.language,
        text=row.text,
        status=row.status,
        total=row.total,
        sent=row.sent,
        skipped=row.skipped,
        failed=row.failed,
        progress_chat_id=row.progress_chat_id,
        progress_message_id=row.progress_message_id,
    )


def parse_language(value: str | None) -> str | None:
    """ "uz" / "ru" / "en", or None for "all" (or nothing given)."""
    value = (value or "all").strip().lower()
    if value == "all":
        return None
    if value not in LANGUAGES:
        raise ValidationFailed(f"not a language: {value!r}")
    return value


def _audience(language: str | None) -> sa.Select[Any]:
    query = sa.select(User.id).where(User.is_banned.is_(False))
    if language is not None:
        query = query.where(User.language == language)
    return query


async def count_recipients(session: AsyncSession, language: str | None) -> int:
    subquery = _audience(language).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(subquery)) or 0)


async def create_draft(
    session: AsyncSession, actor_id: int, text: str, language: str | None
) -> tuple[BroadcastView, int]:
    """A draft and the number of fans it would reach now."""
    if not text.strip() or len(text) > MAX_TEXT:
        raise ValidationFailed(f"a broadcast needs 1..{MAX_TEXT} characters")
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed(f"not a language: {language!r}")
    row = Broadcast(created_by=actor_id, language=language, text=text)
    session.add(row)
    await session.flush()
    record(session, actor_id, "broadcast.draft", "broadcast", row.id,
           {"language": language or "all", "chars": len(text)})  # fmt: skip
    reach = await count_recipients(session, language)
    await session.commit()
    return view(row), reach


async def get(session: AsyncSession, broadcast_id: int) -> BroadcastView:
    row = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"broadcast {broadcast_id} not found")
    return view(row)


async def _lock(session: AsyncSession, broadcast_id: int) -> Broadcast:
    row = await session.get(Broadcast, broadcast_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFoundError(f"broadcast {broadcast_id} not found")
    return row


async def confirm(
    session: AsyncSession,
    actor_id: int,
    broadcast_id: int,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> tuple[BroadcastView, bool]:
    """Snapshot the recipients and start sending; (the broadcast, whether this call started
    it). Only a draft starts: a second confirm (a double tap) or a cancelled one changes
    nothing."""
    row = await _lock(session, broadcast_id)
    if row.status is not BroadcastStatus.DRAFT:
        await session.rollback()
        return await get(session, broadcast_id), False
    audience = _audience(row.language).add_columns(sa.literal(row.id))
    await session.execute(
        sa.insert(BroadcastRecipient).from_select(["user_id", "broadcast_id"], audience)
    )
    total = int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id == row.id)
        )
        or 0
    )
    row.total = total
    row.status = BroadcastStatus.SENDING
    row.started_at = utcnow()
    row.progress_chat_id = progress_chat_id
    row.progress_message_id = progress_message_id
    record(session, actor_id, "broadcast.confirm", "broadcast", row.id, {"recipients": total})
    await session.commit()
    return view(row), True


async def cancel(session: AsyncSession, actor_id: int, broadcast_id: int) -> bool:
    """Cancel a draft; whether anything changed (a started broadcast is not cancelled)."""
    row = await _lock(session, broadcast_id)
    changed = row.status is BroadcastStatus.DRAFT
    if changed:
        row.status = BroadcastStatus.CANCELLED
        row.finished_at = utcnow()
    record(session, actor_id, "broadcast.cancel", "broadcast", row.id, {"changed": changed})
    await session.commit()
    return changed


async def sending(session: AsyncSession) -> list[int]:
    """The broadcasts a sender should be working on (oldest first)."""
    found = await session.scalars(
        sa.select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SENDING)
        .order_by(Broadcast.id)
    )
    return list(found)


async def recover(session: AsyncSession, broadcast_id: int) -> int:
    """After a restart: recipients left "sending" by a sender that died may or may not have
    got the message; they count as failed and are never sent again. Call only when no other
    sender works on this broadcast. Returns how many there were."""
    await _lock(session, broadcast_id)
    result = await session.execute(
        sa.update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status == RecipientStatus.SENDING,
        )
        .values(status=RecipientStatus.FAILED)
        .returning(BroadcastRecipient.id)
    )
    count = len(result.all())
    if count:
        await session.execute(
            sa.update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(failed=Broadcast.failed + count)
        )
    await session.commit()
    return count


async def claim(session: AsyncSession, broadcast_id: int, limit: int = 1) -> list[Claim]:
    """The next `limit` pending recipients, now "sending" (committed). Concurrent senders on
    PostgreSQL skip each other's rows (FOR UPDATE SKIP LOCKED), so no row is claimed twice."""
    rows = (
        await session.execute(
            sa.select(BroadcastRecipient.id, BroadcastRecipient.user_id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.status == RecipientStatus.PENDING,
            )
            .order_by(BroadcastRecipient.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if rows:
        await session.execute(
            sa.update(BroadcastRecipient)
            .where(
                BroadcastRecipient.id.in_([row.id for row in rows]),
                BroadcastRecipient.status == RecipientStatus.PENDING,
            )
            .values(status=RecipientStatus.SENDING)
        )
    await session.commit()
    return [Claim(row.id, row.user_id) for row in rows]


async def mark(session: AsyncSession, recipient_id: int, status: RecipientStatus) -> bool:
    """Record a claimed recipient's outcome and count it; False if it was not "sending"."""
    if status not in OUTCOMES:
        raise ValueError(f"not an outcome: {status}")
    result = await session.execute(
        sa.update(BroadcastRecipient)
        .where(
            BroadcastRecipient.id == recipient_id,
            BroadcastRecipient.status == RecipientStatus.SENDING,
        )
        .values(status=status, sent_at=utcnow() if status is RecipientStatus.SENT else None)
        .returning(BroadcastRecipient.broadcast_id)
    )
    broadcast_id = result.scalar_one_or_none()
    if broadcast_id is not None:
        column = getattr(Broadcast, _COUNTER[status])
        await session.execute(
            sa.update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values({_COUNTER[status]: column + 1})
        )
    await session.commit()
    return broadcast_id is not None


async def finish(session: AsyncSession, broadcast_id: int) -> tuple[BroadcastView, bool]:
    """Mark the broadcast done once nobody is pending or being sent to; (the broadcast,
    whether this call finished it)."""
    row = await _lock(session, broadcast_id)
    open_rows = await session.scalar(
        sa.select(sa.func.count())
        .select_from(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status.in_([RecipientStatus.PENDING, RecipientStatus.SENDING]),
        )
    )
    finished = row.status is BroadcastStatus.SENDING and not open_rows
    if finished:
        row.status = BroadcastStatus.DONE
        row.finished_at = utcnow()
        counts = {"sent": row.sent, "skipped": row.skipped, "failed": row.failed}
        done = AuditLog(actor_id=row.created_by, action="broadcast.done", details=counts)
        done.target_type, done.target_id = "broadcast", str(row.id)
        session.add(done)
    await session.commit()
    return view(row), finished


async def recipients(session: AsyncSession, broadcast_id: int) -> dict[int, RecipientStatus]:
    """Each recipient's status (for tests and support)."""
    rows = await session.execute(
        sa.select(BroadcastRecipient.user_id, BroadcastRecipient.status).where(
            BroadcastRecipient.broadcast_id == broadcast_id
        )
    )
    return {int(user_id): status for user_id, status in rows}


async def set_progress(
    session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Where the sender reports progress: the message the admin was shown."""
    await session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )
    await session.commit()


async def language_of(session: AsyncSession, user_id: int | None) -> str | None:
    """The language to report to the broadcast's author in (None: the default)."""
    if user_id is None:
        return None
    language: str | None = await session.scalar(sa.select(User.language).where(User.id == user_id))
    return language
