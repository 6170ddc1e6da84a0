"""Sign-up and profile upkeep for Telegram users.

The bot does not call `register` on every update: it keeps a fan's `UserView` in a short-lived
cache (`stario.bot.middlewares`) and registers on /start, on a cache miss, and when the cached
view expires (which is also how often `last_seen_at` and the names are refreshed). What makes a
cached view wrong is announced here: `watch_changes(callback)` calls `callback(user_id)` after
every commit, in this process, that changed a user row through the ORM (a ban, a role) or
through `set_language`. A change made by another process reaches the caches when their entries
expire.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from stario.core.errors import NotFoundError, ValidationFailed
from stario.core.services import audit, ledger
from stario.core.settings import LANGUAGES
from stario.models import Role, User, utcnow

_REFERRAL_PAYLOAD = re.compile(r"^ref_(\d{1,20})$")


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram tells us about a user (aiogram's User, reduced to plain data)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class UserView:
    """A fan as the handlers see them. From the cache, `balance` may be a little old: money
    decisions read the ledger (`ledger.balance_of`, `ledger.debit`), never this."""

    id: int
    first_name: str
    username: str | None
    language: str
    role: Role
    is_banned: bool
    balance: int
    referrer_id: int | None


@dataclass(frozen=True, slots=True)
class SignUp:
    user: UserView
    is_new: bool
    free_credits_granted: int


def pick_language(language_code: str | None, default: str) -> str:
    """uz/ru/en from Telegram's IETF tag ("ru-RU" → "ru"); anything else → the default."""
    primary = (language_code or "").split("-")[0].strip().lower()
    return primary if primary in LANGUAGES else default


def referrer_from_payload(payload: str | None, user_id: int) -> int | None:
    match = _REFERRAL_PAYLOAD.match((payload or "").strip())
    if match is None:
        return None
    referrer = int(match.group(1))
    return None if referrer == user_id else referrer


async def register(
    session: AsyncSession,
    profile: TelegramProfile,
    *,
    start_payload: str | None = None,
    default_language: str = "uz",
    free_credits: int = 2,
    admin_ids: frozenset[int] = frozenset(),
) -> SignUp:
    """Create the user on first contact (free credits once, referrer once) or refresh them.

    One upsert does both: a known user gets their Telegram names and `last_seen_at` refreshed
    (and the admin role if listed in ADMIN_IDS); their language (their own choice once set)
    and referrer are kept."""
    now = utcnow()
    referrer_id = await _existing_referrer(
        session, referrer_from_payload(start_payload, profile.id)
    )
    values = {
        "id": profile.id,
        **_names(profile),
        "language": pick_language(profile.language_code, default_language),
        "role": Role.ADMIN if profile.id in admin_ids else Role.USER,
        "referrer_id": referrer_id,
        "balance": 0,
        "last_seen_at": now,
        "created_at": now,
        "updated_at": now,
    }
    row = (await session.execute(_upsert(session), values)).one()
    # A row made by this very statement carries this call's `now`; an older one its own.
    is_new = row.created_at == now
    view = _view_of_row(row)
    granted = 0
    if is_new:
        audit.record(
            session,
            "user.signup",
            actor_id=profile.id,
            target_type="user",
            target_id=profile.id,
            details={"referrer_id": referrer_id},
        )
        if free_credits > 0:
            posting = await ledger.credit(
                session, profile.id, free_credits, f"signup:{profile.id}", "free credits"
            )
            granted = free_credits
            view = replace(view, balance=posting.balance_after)
    await session.commit()
    return SignUp(user=view, is_new=is_new, free_credits_granted=granted)


_USERS = cast(sa.Table, User.__table__)
_VIEW_COLUMNS = ("id", "first_name", "username", "language", "role", "is_banned", "balance",
                 "referrer_id")  # fmt: skip


@functools.cache
def _upsert_for(dialect: str) -> sa.Insert:
    """The sign-up upsert, built once per dialect with bound parameters (building it anew
    each time costs more than running it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ("id", "first_name", "last_name", "username", "language", "role", "referrer_id",
               "balance", "last_seen_at", "created_at", "updated_at")  # fmt: skip
    statement = insert(_USERS).values({name: sa.bindparam(name) for name in columns})
    excluded = statement.excluded
    refreshed = ("first_name", "last_name", "username", "last_seen_at", "updated_at")
    return statement.on_conflict_do_update(
        index_elements=[_USERS.c.id],
        set_={
            **{name: excluded[name] for name in refreshed},
            # ADMIN_IDS promotes; a role given in the database is never lowered here.
            "role": sa.case((excluded.role == Role.ADMIN, excluded.role), else_=_USERS.c.role),
        },
    ).returning(*(_USERS.c[name] for name in _VIEW_COLUMNS), _USERS.c.created_at)


def _upsert(session: AsyncSession) -> sa.Insert:
    return _upsert_for(session.get_bind().dialect.name)


def _view_of_row(row: sa.Row[Any]) -> UserView:
    return UserView(**{name: getattr(row, name) for name in _VIEW_COLUMNS})


async def set_language(session: AsyncSession, user_id: int, language: str) -> UserView:
    """Save the fan's own choice of language (uz, ru or en); later sign-ins never override it."""
    if language not in LANGUAGES:
        raise ValidationFailed(f"language must be one of {', '.join(LANGUAGES)}")
    changed = await session.scalar(
        sa.update(User)
        .where(User.id == user_id)
        .values(language=language, updated_at=utcnow())
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise NotFoundError(f"user {user_id} not found")
    _note_changed(session.sync_session, user_id)
    user = await session.get_one(User, user_id, populate_existing=True)
    await session.commit()
    return to_view(user)


async def get_user(session: AsyncSession, user_id: int) -> UserView | None:
    user = await session.get(User, user_id)
    return None if user is None else to_view(user)


def to_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        first_name=user.first_name,
        username=user.username,
        language=user.language,
        role=user.role,
        is_banned=user.is_banned,
        balance=user.balance,
        referrer_id=user.referrer_id,
    )


def _names(profile: TelegramProfile) -> dict[str, str | None]:
    """Telegram's names, cut to the column sizes (Telegram allows longer than we keep)."""
    return {
        "first_name": profile.first_name[:128],
        "last_name": profile.last_name[:128] if profile.last_name else None,
        "username": profile.username[:64] if profile.username else None,
    }


async def _existing_referrer(session: AsyncSession, referrer_id: int | None) -> int | None:
    if referrer_id is None:
        return None
    found = await session.scalar(sa.select(User.id).where(User.id == referrer_id))
    return found


# Cached views and their invalidation -----------------------------------------------------------

_CHANGED = "stario.users.changed"
_watchers: weakref.WeakSet[_Watcher] = weakref.WeakSet()


def view_to_json(view: UserView) -> str:
    return json.dumps(
        [view.id, view.first_name, view.username, view.language, view.role.value,
         view.is_banned, view.balance, view.referrer_id],
        ensure_ascii=False, separators=(",", ":"),
    )  # fmt: skip


def view_from_json(raw: str | bytes) -> UserView | None:
    """The view `view_to_json` wrote; None for anything else (an older format...)."""
    try:
        user_id, first_name, username, language, role, banned, balance, referrer = json.loads(raw)
        return UserView(
            id=int(user_id), first_name=str(first_name),
            username=None if username is None else str(username), language=str(language),
            role=Role(role), is_banned=bool(banned), balance=int(balance),
            referrer_id=None if referrer is None else int(referrer),
        )  # fmt: skip
    except (ValueError, TypeError):
        return None


class _Watcher:
    __slots__ = ("__weakref__", "callback")

    def __init__(self, callback: Callable[[int], None]) -> None:
        self.callback = callback


def watch_changes(callback: Callable[[int], None]) -> object:
    """Call `callback(user_id)` after each commit in this process that changed that user's row
    (language, role, ban, names...). Keep the returned handle: the watch ends when it is
    garbage collected."""
    watcher = _Watcher(callback)
    _watchers.add(watcher)
    return watcher


def _note_changed(session: Session, user_id: int) -> None:
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    changed.add(user_id)


@event.listens_for(Session, "after_flush")
def _users_flushed(session: Session, _context: Any) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User) and instance.id is not None:
            _note_changed(session, instance.id)


@event.listens_for(Session, "after_commit")
def _users_committed(session: Session) -> None:
    changed: set[int] | None = session.info.pop(_CHANGED, None)
    if not changed:
        return
    for watcher in list(_watchers):
        for user_id in changed:
            watcher.callback(user_id)


@event.listens_for(Session, "after_soft_rollback")
def _users_rolled_back(session: Session, _transaction: Any) -> None:
    session.info.pop(_CHANGED, None)
