"""Orders on real PostgreSQL: creation, expiry, paying and refunding exactly once, referrals."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from stario.core.errors import (
    NotFoundError,
    OrderNotPayableError,
    RefundRefusedError,
    UserBannedError,
    ValidationFailed,
)
from stario.core.services import ledger, orders
from stario.core.services.orders import OrderPolicy, PaymentRef
from stario.models import AuditLog, CreditLedger, Order, PaymentProvider, User, utcnow
from tests.factories import add_user
from tests.payment_helpers import (
    CREDITS,
    PRICE_TIYIN,
    PRICE_UZS,
    Sessions,
    add_package,
    audit_actions,
    balance,
    new_order,
    order_status,
)

FAN = 100
REFERRER = 200
POLICY = OrderPolicy(ttl=timedelta(hours=12), referral_bonus=3, referral_monthly_cap=2)


@pytest.fixture
async def shop(db: Sessions) -> Sessions:
    await add_user(db, FAN)
    await add_package(db)
    await add_package(db, "retired", active=False)
    return db


async def pay(
    db: Sessions, order_id: int, external_id: str, *, now: datetime | None = None
) -> orders.Paid:
    async with db() as session:
        order = await orders.lock_order(session, order_id)
        assert order is not None
        paid = await orders.mark_paid(
            session,
            order,
            PaymentRef(PaymentProvider.STARS, external_id),
            policy=POLICY,
            now=now or utcnow(),
        )
        await session.commit()
        return paid


async def refund(db: Sessions, order_id: int, external_id: str) -> ledger.Posting:
    async with db() as session:
        order = await orders.lock_order(session, order_id)
        assert order is not None
        posting = await orders.refund(
            session,
            order,
            PaymentRef(PaymentProvider.STARS, external_id),
            actor_id=1,
            now=utcnow(),
        )
        await session.commit()
        return posting


async def refer(db: Sessions, fan: int, referrer: int = REFERRER) -> None:
    await add_user(db, fan)
    async with db() as session:
        await session.execute(sa.update(User).where(User.id == fan).values(referrer_id=referrer))
        await session.commit()


# Creating ------------------------------------------------------------------------------------


async def test_an_order_fixes_the_price_in_tiyin_and_stars_and_expires_in_12_hours(
    shop: Sessions,
) -> None:
    before = utcnow()
    order = await new_order(shop, FAN, "payme")
    assert (order.user_id, order.package_code, order.provider) == (FAN, "start", "payme")
    assert order.status == "pending"
    assert (order.credits, order.amount_uzs, order.amount_tiyin, order.amount_stars) == (
        CREDITS,
        PRICE_UZS,
        PRICE_TIYIN,
        50,
    )
    assert before + timedelta(hours=12) <= order.expires_at <= utcnow() + timedelta(hours=12)
    async with shop() as session:
        row = await session.get_one(Order, order.id)
        audit = await session.scalar(sa.select(AuditLog).where(AuditLog.action == "order.created"))
    assert row.amount_tiyin == PRICE_TIYIN
    assert audit is not None
    assert (audit.actor_id, audit.target_id) == (FAN, str(order.id))
    assert audit.details["package"] == "start"


async def test_an_order_keeps_its_price_when_the_package_changes(shop: Sessions) -> None:
    from stario.models import CreditPackage

    order = await new_order(shop, FAN, "click")
    async with shop() as session:
        await session.execute(sa.update(CreditPackage).values(price_uzs=99_000))
        await session.commit()
        view = await orders.get_order(session, order.id)
    assert view is not None
    assert view.amount_tiyin == PRICE_TIYIN


@pytest.mark.parametrize(
    ("user_id", "package", "provider", "error"),
    [
        (FAN, "nope", "payme", NotFoundError),
        (FAN, "retired", "payme", NotFoundError),
        (FAN, "start", "paypal", ValidationFailed),
        (424242, "start", "stars", NotFoundError),
    ],
)
async def test_bad_orders_are_refused_plainly(
    shop: Sessions, user_id: int, package: str, provider: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await new_order(shop, user_id, provider, package=package)
    async with shop() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


async def test_banned_fans_cannot_order(shop: Sessions) -> None:
    await add_user(shop, 300, banned=True)
    with pytest.raises(UserBannedError):
        await new_order(shop, 300, "stars")


async def test_stale_orders_expire_when_the_fan_orders_again_and_in_the_sweep(
    shop: Sessions,
) -> None:
    await add_user(shop, 101)
    old = await new_order(shop, FAN, "payme")
    others = await new_order(shop, 101, "payme")
    async with shop() as session:
        await session.execute(sa.update(Order).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    fresh = await new_order(shop, FAN, "payme")
    assert await order_status(shop, old.id) == "expired"
    assert await order_status(shop, others.id) == "pending"  # another fan's: the sweep's job
    async with shop() as session:
        swept = await orders.expire_stale(session)
    assert swept == [others.id]
    assert await order_status(shop, fresh.id) == "pending"
    assert (await audit_actions(shop)).count("order.expired") == 2


async def test_a_pending_order_can_be_cancelled_once(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    async with shop() as session:
        cancelled = await orders.cancel_pending(session, order.id, actor_id=FAN)
    assert cancelled.status == "cancelled"
    async with shop() as session:
        with pytest.raises(OrderNotPayableError):
            await orders.cancel_pending(session, order.id, actor_id=FAN)
        locked = await orders.lock_order(session, order.id)
    assert locked is not None
    assert orders.refusal_for_new_payment(locked, utcnow()) is orders.Refusal.CLOSED


# Paying and refunding ------------------------------------------------------------------------


async def test_paying_credits_once_with_the_providers_key(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    paid = await pay(shop, order.id, "charge-1")
    assert (paid.credits, paid.balance_after) == (CREDITS, CREDITS)
    assert await order_status(shop, order.id) == "paid"
    with pytest.raises(OrderNotPayableError):
        await pay(shop, order.id, "charge-1")
    async with shop() as session:
        keys = list(await session.scalars(sa.select(CreditLedger.idempotency_key)))
    assert keys == ["pay:stars:charge-1"]
    assert await balance(shop, FAN) == CREDITS


async def test_concurrent_payments_of_one_order_credit_once(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    results = await asyncio.gather(
        *(pay(shop, order.id, f"charge-{index % 2}") for index in range(20)),
        return_exceptions=True,
    )
    assert sum(not isinstance(result, BaseException) for result in results) == 1
    assert all(
        isinstance(result, OrderNotPayableError)
        for result in results
        if isinstance(result, BaseException)
    )
    assert await balance(shop, FAN) == CREDITS


async def test_refund_reverses_once(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    await pay(shop, order.id, "charge-1")
    first = await refund(shop, order.id, "charge-1")
    again = await refund(shop, order.id, "charge-1")
    assert first == again
    assert first.amount == -CREDITS
    assert first.idempotency_key == "refund:stars:charge-1"
    assert await balance(shop, FAN) == 0
    assert await order_status(shop, order.id) == "refunded"
    assert (await audit_actions(shop)).count("order.refunded") == 1


async def test_refund_of_spent_credits_is_refused_and_changes_nothing(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    await pay(shop, order.id, "charge-1")
    async with shop() as session:
        await ledger.debit(session, FAN, CREDITS - 1, "job:1:charge")
        await session.commit()
    with pytest.raises(RefundRefusedError) as refused:
        await refund(shop, order.id, "charge-1")
    assert (refused.value.balance, refused.value.needed) == (1, CREDITS)
    assert refused.value.key == "error-refund-refused"
    assert await balance(shop, FAN) == 1
    assert await order_status(shop, order.id) == "paid"


async def test_an_unpaid_order_cannot_be_refunded(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    with pytest.raises(OrderNotPayableError):
        await refund(shop, order.id, "charge-1")


async def test_concurrent_refunds_reverse_once(shop: Sessions) -> None:
    order = await new_order(shop, FAN, "stars")
    await pay(shop, order.id, "charge-1")
    postings = await asyncio.gather(*(refund(shop, order.id, "charge-1") for _ in range(20)))
    assert len({posting.id for posting in postings}) == 1
    assert await balance(shop, FAN) == 0


# Referral bonus ------------------------------------------------------------------------------


async def test_the_referrer_gets_the_bonus_once_after_the_first_paid_order(
    shop: Sessions,
) -> None:
    await add_user(shop, REFERRER)
    await refer(shop, 101)
    unpaid = await new_order(shop, 101, "stars")
    first = await new_order(shop, 101, "stars")
    second = await new_order(shop, 101, "stars")
    assert await balance(shop, REFERRER) == 0
    assert (await pay(shop, first.id, "c1")).referral_bonus_to == REFERRER
    assert (await pay(shop, second.id, "c2")).referral_bonus_to is None
    assert await balance(shop, REFERRER) == POLICY.referral_bonus
    assert await order_status(shop, unpaid.id) == "pending"
    async with shop() as session:
        keys = list(
            await session.scalars(
                sa.select(CreditLedger.idempotency_key).where(CreditLedger.user_id == REFERRER)
            )
        )
    assert keys == ["referral:101"]
    assert (await audit_actions(shop)).count("referral.bonus") == 1


async def test_no_bonus_after_a_refunded_first_order(shop: Sessions) -> None:
    await add_user(shop, REFERRER)
    await refer(shop, 101)
    first = await new_order(shop, 101, "stars")
    await pay(shop, first.id, "c1")
    await refund(shop, first.id, "c1")
    second = await new_order(shop, 101, "stars")
    assert (await pay(shop, second.id, "c2")).referral_bonus_to is None
    assert await balance(shop, REFERRER) == POLICY.referral_bonus  # the first one's stays


async def test_the_bonus_is_capped_per_referrer_per_month(shop: Sessions) -> None:
    await add_user(shop, REFERRER)
    for fan in (101, 102, 103, 104):
        await refer(shop, fan)
    placed = {fan: await new_order(shop, fan, "stars") for fan in (101, 102, 103, 104)}
    bonus_to = [(await pay(shop, placed[fan].id, f"c{fan}")).referral_bonus_to
                for fan in (101, 102, 103)]  # fmt: skip
    assert bonus_to == [REFERRER, REFERRER, None]
    assert "referral.capped" in await audit_actions(shop)
    assert await balance(shop, REFERRER) == 2 * POLICY.referral_bonus

    # A new month: the bonuses so far were paid last month.
    async with shop() as session:
        await session.execute(
            sa.update(CreditLedger)
            .where(CreditLedger.user_id == REFERRER)
            .values(created_at=utcnow() - timedelta(days=40))
        )
        await session.commit()
    assert (await pay(shop, placed[104].id, "c104")).referral_bonus_to == REFERRER
    assert await balance(shop, REFERRER) == 3 * POLICY.referral_bonus


async def test_the_monthly_cap_holds_under_concurrent_payments(shop: Sessions) -> None:
    await add_user(shop, REFERRER)
    fans = list(range(101, 111))
    for fan in fans:
        await refer(shop, fan)
    placed = [await new_order(shop, fan, "stars") for fan in fans]
    await asyncio.gather(*(pay(shop, order.id, f"c{order.id}") for order in placed))
    assert await balance(shop, REFERRER) == POLICY.referral_monthly_cap * POLICY.referral_bonus
    assert [await balance(shop, fan) for fan in fans] == [CREDITS] * len(fans)


async def test_banned_or_missing_referrers_get_nothing(shop: Sessions) -> None:
    await add_user(shop, REFERRER, banned=True)
    await refer(shop, 101)
    order = await new_order(shop, 101, "stars")
    assert (await pay(shop, order.id, "c1")).referral_bonus_to is None
    assert await balance(shop, REFERRER) == 0


async def test_no_bonus_when_the_setting_is_zero(shop: Sessions) -> None:
    await add_user(shop, REFERRER)
    await refer(shop, 101)
    order = await new_order(shop, 101, "stars")
    async with shop() as session:
        locked = await orders.lock_order(session, order.id)
        assert locked is not None
        paid = await orders.mark_paid(
            session,
            locked,
            PaymentRef(PaymentProvider.STARS, "c1"),
            policy=OrderPolicy(referral_bonus=0),
            now=utcnow(),
        )
        await session.commit()
    assert paid.referral_bonus_to is None
    assert await balance(shop, REFERRER) == 0
