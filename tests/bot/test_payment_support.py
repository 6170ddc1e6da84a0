"""/paysupport lists the fan's last orders (localised) with how to reach support;
/payments_report gives staff the day's reconciliation, with mismatches highlighted, and is an
unknown command for fans."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from stario.core.services import ledger, orders
from stario.models import Order, OrderStatus, Role, User, utcnow
from tests.bot.conftest import BotUnderTest, buttons
from tests.factories import add_user
from tests.fakes import User as Fan
from tests.payment_helpers import add_package

ADMIN, OPERATOR, FAN = 7301, 7302, 7303


async def setup_shop(env: BotUnderTest) -> None:
    await add_package(env.db, price_stars=50)
    await add_user(env.db, FAN, language="uz")
    await add_user(env.db, ADMIN, language="en")
    await add_user(env.db, OPERATOR, language="ru")
    async with env.db() as session:
        await session.execute(sa.update(User).where(User.id == ADMIN).values(role=Role.ADMIN))
        await session.execute(
            sa.update(User).where(User.id == OPERATOR).values(role=Role.OPERATOR)
        )
        await session.commit()


async def place(env: BotUnderTest, provider: str) -> orders.OrderView:
    async with env.db() as session:
        return await orders.create_order(
            session, user_id=FAN, package_code="start", provider=provider,
            policy=orders.OrderPolicy(),
        )  # fmt: skip


async def test_paysupport_shows_the_last_five_orders_localised(env: BotUnderTest) -> None:
    await setup_shop(env)
    placed = [await place(env, provider) for provider in ("click", *["payme"] * 4, "stars")]
    async with env.db() as session:
        await session.execute(
            sa.update(Order)
            .where(Order.id == placed[-1].id)
            .values(status=OrderStatus.PAID, paid_at=utcnow())
        )
        await session.execute(  # past its deadline, not swept yet: shown as expired
            sa.update(Order)
            .where(Order.id == placed[-2].id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()

    reply = await env.say(Fan(id=FAN, language_code="uz"), "/paysupport")
    text = str(reply.params["text"])
    assert text.startswith(env.text("uz", "paysupport", user_id=str(FAN)))
    assert env.text("uz", "paysupport-orders-title") in text
    lines = [line for line in text.splitlines() if line.startswith("• №")]
    assert len(lines) == 5
    assert lines[0] == env.text(
        "uz", "paysupport-order-line", number=str(placed[-1].id),
        date=placed[-1].created_at.strftime("%Y-%m-%d %H:%M"), credits=5,
        provider=env.text("uz", "paysupport-provider-stars"),
        amount=env.text("uz", "paysupport-amount-stars", amount=50),
        status=env.text("uz", "paysupport-status-paid"),
    )  # fmt: skip
    assert env.text("uz", "paysupport-status-expired") in lines[1]
    assert env.text("uz", "paysupport-amount-uzs", amount=15000) in lines[1]
    assert all(env.text("uz", "paysupport-status-pending") in line for line in lines[2:])
    assert f"№{placed[0].id} " not in text  # the sixth, oldest order is left out
    assert buttons(reply) == [env.text("uz", "btn-menu")]


async def test_payments_report_for_staff_only(env: BotUnderTest) -> None:
    await setup_shop(env)
    await place(env, "stars")
    async with env.db() as session:  # a payment credit no order backs: a mismatch
        await ledger.credit(session, FAN, 5, "pay:click:4242", reason="test")
        await session.commit()

    fan_reply = await env.say(Fan(id=FAN, language_code="uz"), "/payments_report")
    assert fan_reply.params["text"] == env.text("uz", "fallback-command")

    today = utcnow().date().isoformat()
    report = str((await env.say(Fan(id=ADMIN), "/payments_report")).params["text"])
    assert report.startswith(env.text("en", "report-title", day=today))
    assert env.text("en", "report-mismatches", count=1) in report
    assert env.text("en", "report-kind-credit-without-paid-order") in report
    assert "4242" in report
    pending = env.text(
        "en", "report-group", provider=env.text("en", "paysupport-provider-stars"),
        status=env.text("en", "paysupport-status-pending"), count=1,
        amount=env.text("en", "paysupport-amount-stars", amount=50), credits=5,
    )  # fmt: skip
    assert pending in report

    quiet_day = (utcnow().date() - timedelta(days=3)).isoformat()
    report = str((await env.say(Fan(id=OPERATOR), f"/payments_report {quiet_day}")).params["text"])
    assert report == "\n".join(
        [
            env.text("ru", "report-title", day=quiet_day),
            env.text("ru", "report-no-orders"),
            "",
            env.text("ru", "report-ok"),
        ]
    )
    usage = await env.say(Fan(id=ADMIN), "/payments_report 22.11.2026")
    assert usage.params["text"] == env.text("en", "admin-usage-payments-report")
