"""Telegram Stars on real PostgreSQL: signed payloads, the pre-checkout decision, crediting once
per charge id (20 concurrent copies), an old invoice paid again, refunds once or refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from stario.core.errors import RefundRefusedError
from stario.core.services import ledger, stars
from stario.core.services.orders import OrderPolicy
from stario.core.settings import Settings
from stario.models import CreditLedger, CreditPackage, Order, User, utcnow
from tests.factories import add_user
from tests.payment_helpers import CREDITS, Sessions, add_package, balance, new_order, payments

FAN, OTHER = 100, 101
STARS = 50
SECRET = b"test-payments-secret"
CONFIG = stars.StarsConfig(secret=SECRET, policy=OrderPolicy(referral_bonus=0))


@pytest.fixture
async def shop(db: Sessions) -> Sessions:
    await add_user(db, FAN)
    await add_user(db, OTHER)
    await add_package(db, price_stars=STARS)
    return db


async def invoice(db: Sessions, user_id: int = FAN) -> tuple[int, str]:
    order = await new_order(db, user_id, "stars")
    return order.id, stars.sign_payload(SECRET, order_id=order.id, amount=STARS, user_id=user_id)


async def check(
    db: Sessions, payload: str, *, user_id: int = FAN, currency: str = "XTR", amount: int = STARS
) -> str | None:
    async with db() as session:
        return await stars.check_pre_checkout(
            session, user_id, payload, currency, amount, secret=SECRET
        )


async def record(
    db: Sessions, payload: str, charge_id: str, *, user_id: int = FAN, amount: int = STARS
) -> stars.StarsPaid:
    async with db() as session:
        return await stars.record_successful_payment(
            session, user_id, payload, amount, charge_id, "", {"charge": charge_id}, config=CONFIG
        )


def test_payload_is_compact_and_bound_to_order_amount_and_user() -> None:
    payload = stars.sign_payload(SECRET, order_id=2**63 - 1, amount=10**9, user_id=2**52)
    assert len(payload.encode()) <= 128
    assert stars.verify_payload(SECRET, payload, 2**52) == stars.Invoice(2**63 - 1, 10**9)
    assert stars.verify_payload(SECRET, payload, 2**52 + 1) is None
    assert stars.verify_payload(b"other", payload, 2**52) is None
    assert (
        stars.verify_payload(SECRET, payload.replace(".1000000000.", ".1000000001."), 2**52)
        is None
    )


def test_secret_from_setting_or_derived_from_the_bot_token() -> None:
    derived = stars.payments_secret(Settings(_env_file=None, bot_token=SecretStr("1:A")))
    assert derived == stars.payments_secret(Settings(_env_file=None, bot_token=SecretStr("1:A")))
    assert derived != stars.payments_secret(Settings(_env_file=None, bot_token=SecretStr("1:B")))
    assert derived != b"1:A"
    explicit = Settings(_env_file=None, bot_token=SecretStr("1:A"), payments_secret="s3cret")
    assert stars.payments_secret(explicit) == b"s3cret"


async def test_pre_checkout_accepts_a_valid_invoice(shop: Sessions) -> None:
    _, payload = await invoice(shop)
    assert await check(shop, payload) is None


async def test_pre_checkout_refusals(shop: Sessions) -> None:
    order_id, payload = await invoice(shop)
    tampered = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    assert await check(shop, tampered) == stars.INVALID
    assert await check(shop, payload.replace(f"s1.{order_id}.", f"s1.{order_id + 1}.")) == (
        stars.INVALID
    )
    assert await check(shop, "garbage") == stars.INVALID
    assert await check(shop, payload, user_id=OTHER) == stars.INVALID
    assert await check(shop, payload, currency="USD") == stars.CURRENCY_WRONG
    assert await check(shop, payload, amount=STARS - 1) == stars.AMOUNT_WRONG
    # a correctly signed payload for an amount other than the order's
    lying = stars.sign_payload(SECRET, order_id=order_id, amount=1, user_id=FAN)
    assert await check(shop, lying, amount=1) == stars.AMOUNT_WRONG
    # another fan's own signature on this fan's order
    other = stars.sign_payload(SECRET, order_id=order_id, amount=STARS, user_id=OTHER)
    assert await check(shop, other, user_id=OTHER) == stars.INVALID


async def test_pre_checkout_refuses_expired_banned_inactive_and_paid(shop: Sessions) -> None:
    order_id, payload = await invoice(shop)
    async with shop() as session:
        await session.execute(
            sa.update(Order).where(Order.id == order_id).values(expires_at=utcnow())
        )
        await session.commit()
    assert await check(shop, payload) == stars.EXPIRED

    _, payload = await invoice(shop)
    async with shop() as session:
        await session.execute(sa.update(CreditPackage).values(is_active=False))
        await session.commit()
    assert await check(shop, payload) == stars.UNAVAILABLE
    async with shop() as session:
        await session.execute(sa.update(CreditPackage).values(is_active=True))
        await session.execute(sa.update(User).where(User.id == FAN).values(is_banned=True))
        await session.commit()
    assert await check(shop, payload) == stars.BANNED
    async with shop() as session:
        await session.execute(sa.update(User).where(User.id == FAN).values(is_banned=False))
        await session.commit()
    await record(shop, payload, "charge-paid")
    assert await check(shop, payload) == stars.ALREADY_PAID


async def test_twenty_concurrent_copies_of_one_payment_credit_once(shop: Sessions) -> None:
    order_id, payload = await invoice(shop)
    results = await asyncio.gather(*(record(shop, payload, "stxONE") for _ in range(20)))
    assert sorted(r.outcome for r in results) == ["credited"] + ["duplicate"] * 19
    assert {r.order_id for r in results} == {order_id}
    assert await balance(shop, FAN) == CREDITS
    assert len(await payments(shop)) == 1
    async with shop() as session:
        keys = list(await session.scalars(sa.select(CreditLedger.idempotency_key)))
    assert keys == ["pay:stars:stxONE"]


async def test_an_old_invoice_paid_again_credits_again_on_a_new_order(shop: Sessions) -> None:
    order_id, payload = await invoice(shop)
    first = await record(shop, payload, "stxFIRST")
    second = await record(shop, payload, "stxSECOND")
    assert (first.outcome, second.outcome) == ("credited", "credited")
    assert first.order_id == order_id
    assert second.repeat_of == order_id
    assert second.order_id not in (None, order_id)
    assert second.balance == await balance(shop, FAN) == 2 * CREDITS
    assert (await record(shop, payload, "stxSECOND")).outcome == "duplicate"
    async with shop() as session:
        statuses = list(await session.scalars(sa.select(Order.status).order_by(Order.id)))
    assert [s.value for s in statuses] == ["paid", "paid"]


async def test_a_payment_that_does_not_match_is_recorded_not_credited(shop: Sessions) -> None:
    _, payload = await invoice(shop)
    result = await record(shop, payload, "stxODD", amount=STARS + 1)
    assert result.outcome == "unmatched"
    assert await balance(shop, FAN) == 0
    assert [p.provider_state for p in await payments(shop)] == ["unmatched"]
    async with shop() as session:
        done = await stars.refund(session, "stxODD", 1)
    assert done.outcome == "uncredited"


async def test_refund_reverses_once(shop: Sessions) -> None:
    _, payload = await invoice(shop)
    await record(shop, payload, "stxR")
    calls: list[int] = []

    async def at_telegram(user_id: int) -> None:
        calls.append(user_id)

    async with shop() as session:
        done = await stars.refund(session, "stxR", 1, before_commit=at_telegram)
    assert (done.outcome, done.credits, done.balance) == ("reversed", CREDITS, 0)
    async with shop() as session:
        again = await stars.refund(session, "stxR", 1, before_commit=at_telegram)
    assert again.outcome == "already"
    assert calls == [FAN]
    assert await balance(shop, FAN) == 0


async def test_refund_refused_when_the_credits_were_spent(shop: Sessions) -> None:
    _, payload = await invoice(shop)
    await record(shop, payload, "stxSPENT")
    async with shop() as session:
        await ledger.debit(session, FAN, CREDITS - 1, "job:1:charge")
        await session.commit()
    calls: list[int] = []

    async def at_telegram(user_id: int) -> None:
        calls.append(user_id)

    async with shop() as session:
        with pytest.raises(RefundRefusedError):
            await stars.refund(session, "stxSPENT", 1, before_commit=at_telegram)
    assert calls == []  # Telegram was never asked
    assert await balance(shop, FAN) == 1
    # Telegram refunded anyway (refunded_payment): the credits stay, nothing goes negative
    async with shop() as session:
        done = await stars.refund(session, "stxSPENT", None, refunded_by_telegram=True)
    assert done.outcome == "unreversed"
    assert await balance(shop, FAN) == 1


async def test_a_failed_telegram_refund_reverses_nothing(shop: Sessions) -> None:
    _, payload = await invoice(shop)
    await record(shop, payload, "stxFAIL")

    async def refuses(user_id: int) -> None:
        raise RuntimeError("telegram said no")

    async with shop() as session:
        with pytest.raises(RuntimeError):
            await stars.refund(session, "stxFAIL", 1, before_commit=refuses)
    assert await balance(shop, FAN) == CREDITS
    assert [p.provider_state for p in await payments(shop)] == ["paid"]


async def test_payment_completes_on_an_order_that_expired_after_pre_checkout(
    shop: Sessions,
) -> None:
    order = await new_order(shop, FAN, "stars", policy=OrderPolicy(ttl=timedelta(minutes=1)))
    payload = stars.sign_payload(SECRET, order_id=order.id, amount=STARS, user_id=FAN)
    async with shop() as session:
        await session.execute(
            sa.update(Order).where(Order.id == order.id).values(status="expired")
        )
        await session.commit()
    assert (await record(shop, payload, "stxLATE")).outcome == "credited"
    assert await balance(shop, FAN) == CREDITS
