"""Sign-up: language choice, free credits exactly once, referrer recorded once and never self."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.errors import NotFoundError, ValidationFailed
from stario.core.services import ledger, users
from stario.core.services.users import TelegramProfile
from stario.models import CreditLedger, Role, User

Sessions = async_sessionmaker[AsyncSession]


async def register(
    db: Sessions, profile: TelegramProfile, payload: str | None = None, **kwargs: object
) -> users.SignUp:
    async with db() as session:
        return await users.register(session, profile, start_payload=payload, **kwargs)  # type: ignore[arg-type]


def fan(user_id: int = 100, language_code: str | None = "ru") -> TelegramProfile:
    return TelegramProfile(id=user_id, first_name="Dilnoza", language_code=language_code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("uz", "uz"),
        ("en-US", "en"),
        ("EN", "en"),
        ("de", "uz"),
        ("", "uz"),
        (None, "uz"),
        ("ʻuz", "uz"),
    ],
)
def test_language_comes_from_language_code_or_the_default(code: str | None, expected: str) -> None:
    assert users.pick_language(code, "uz") == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("ref_42", 42),
        ("ref_100", None),
        ("ref_", None),
        ("ref_abc", None),
        ("artist_x", None),
        ("ref_42; DROP", None),
        (None, None),
        ("ref_" + "9" * 30, None),
    ],
)
def test_referral_payload_parsing(payload: str | None, expected: int | None) -> None:
    assert users.referrer_from_payload(payload, user_id=100) == expected


async def test_first_start_creates_user_with_free_credits_once(db: Sessions) -> None:
    first = await register(db, fan(), free_credits=2)
    again = await register(db, fan(), free_credits=2)
    assert first.is_new
    assert first.free_credits_granted == 2
    assert first.user.balance == 2
    assert first.user.language == "ru"
    assert not again.is_new
    assert again.free_credits_granted == 0
    assert again.user.balance == 2
    async with db() as session:
        postings = (await session.scalars(sa.select(CreditLedger))).all()
    assert [(p.idempotency_key, p.amount) for p in postings] == [("signup:100", 2)]


async def test_concurrent_first_starts_grant_credits_once(db: Sessions) -> None:
    results = await asyncio.gather(*(register(db, fan(), free_credits=2) for _ in range(10)))
    assert sum(result.is_new for result in results) == 1
    async with db() as session:
        assert await ledger.balance_of(session, 100) == 2


async def test_zero_free_credits_grants_nothing(db: Sessions) -> None:
    result = await register(db, fan(), free_credits=0)
    assert result.user.balance == 0


async def test_referrer_is_recorded_at_sign_up_and_never_changed(db: Sessions) -> None:
    await register(db, fan(1))
    await register(db, fan(2))
    signup = await register(db, fan(100), "ref_1")
    later = await register(db, fan(100), "ref_2")
    assert signup.user.referrer_id == 1
    assert later.user.referrer_id == 1


async def test_self_or_unknown_referrer_is_ignored(db: Sessions) -> None:
    self_ref = await register(db, fan(100), "ref_100")
    unknown = await register(db, fan(101), "ref_999999")
    assert self_ref.user.referrer_id is None
    assert unknown.user.referrer_id is None


async def test_returning_user_keeps_chosen_language_but_names_update(db: Sessions) -> None:
    await register(db, fan(100, "ru"))
    again = await register(
        db, TelegramProfile(id=100, first_name="Dilya", username="dilya", language_code="en")
    )
    assert again.user.language == "ru"
    assert again.user.first_name == "Dilya"
    assert again.user.username == "dilya"


async def test_bootstrap_admins_get_the_admin_role(db: Sessions) -> None:
    plain = await register(db, fan(100))
    promoted = await register(db, fan(100), admin_ids=frozenset({100}))
    assert plain.user.role is Role.USER
    assert promoted.user.role is Role.ADMIN


async def test_overlong_names_are_cut_not_refused(db: Sessions) -> None:
    await register(db, TelegramProfile(id=5, first_name="x"))
    result = await register(db, TelegramProfile(id=5, first_name="x" * 500, username="u" * 99))
    assert len(result.user.first_name) == 128
    assert result.user.username is not None
    assert len(result.user.username) == 64


async def test_set_language_saves_the_choice_and_sign_in_keeps_it(db: Sessions) -> None:
    await register(db, fan(100, "ru"))
    async with db() as session:
        changed = await users.set_language(session, 100, "en")
    again = await register(db, fan(100, "ru"))
    assert changed.language == "en"
    assert again.user.language == "en"


async def test_set_language_refuses_unknown_languages_and_users(db: Sessions) -> None:
    await register(db, fan(100))
    async with db() as session:
        with pytest.raises(ValidationFailed):
            await users.set_language(session, 100, "de")
        with pytest.raises(NotFoundError):
            await users.set_language(session, 999, "uz")
        assert (await users.get_user(session, 100)) is not None


def test_a_cached_view_reads_back_as_it_was_written() -> None:
    view = users.UserView(
        id=7, first_name="Ойбек", username=None, language="uz", role=Role.OPERATOR,
        is_banned=True, balance=12, referrer_id=5,
    )  # fmt: skip
    assert users.view_from_json(users.view_to_json(view)) == view
    assert users.view_from_json(b"not json") is None
    assert users.view_from_json("[1, 2]") is None


async def test_committed_language_and_ban_changes_are_announced_once_committed(
    db: Sessions,
) -> None:
    """What the bot's user cache relies on to drop a fan's cached view at once."""
    await register(db, fan(100))
    await register(db, fan(101))
    announced: list[int] = []
    watch = users.watch_changes(announced.append)
    async with db() as session:
        await users.set_language(session, 100, "en")
    assert announced == [100]
    async with db() as session:
        user = await session.get_one(User, 101)
        user.is_banned = True
        await session.flush()
        assert announced == [100]  # not before the commit...
        await session.rollback()
    assert announced == [100]  # ...nor after a rollback
    async with db() as session:
        (await session.get_one(User, 101)).role = Role.OPERATOR
        await session.commit()
    assert announced == [100, 101]
    del watch
