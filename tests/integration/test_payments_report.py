"""The payments reconciliation report on real PostgreSQL: orders per provider and status for a
UTC day, and each kind of mismatch between the ledger and the providers' records, constructed
on purpose; the same report from `stario report payments` (a real process)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from stario.core.services import ledger, payments_report, stars
from stario.core.services.orders import OrderPolicy
from stario.models import Order, OrderStatus, Payment, utcnow
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.test_cli import clean_env, stario
from tests.factories import add_user
from tests.payment_helpers import CREDITS, PRICE_TIYIN, Sessions, add_package, new_order

FAN, OTHER = 300, 301
STARS = 50
SECRET = b"report-test-secret"
CONFIG = stars.StarsConfig(secret=SECRET, policy=OrderPolicy(referral_bonus=0))


async def pay_stars(db: Sessions, charge: str, *, user_id: int = FAN) -> int:
    order = await new_order(db, user_id, "stars")
    payload = stars.sign_payload(SECRET, order_id=order.id, amount=STARS, user_id=user_id)
    async with db() as session:
        done = await stars.record_successful_payment(
            session, user_id, payload, STARS, charge, "", {}, config=CONFIG
        )
    assert done.outcome == "credited"
    return order.id


@pytest.fixture
async def shop(db: Sessions) -> Sessions:
    await add_user(db, FAN)
    await add_user(db, OTHER)
    await add_package(db, price_stars=STARS)
    return db


async def build(db: Sessions, days_ago: int = 0) -> payments_report.PaymentsReport:
    async with db() as session:
        return await payments_report.build(session, utcnow().date() - timedelta(days=days_ago))


async def test_a_clean_day_groups_orders_and_has_no_mismatch(shop: Sessions) -> None:
    await pay_stars(shop, "charge-1")
    await pay_stars(shop, "charge-2", user_id=OTHER)
    await new_order(shop, FAN, "payme")
    report = await build(shop)
    groups = {(group.provider, group.status): group for group in report.orders}
    assert set(groups) == {("stars", "paid"), ("payme", "pending")}
    assert (groups["stars", "paid"].count, groups["stars", "paid"].amount_stars) == (2, 2 * STARS)
    assert groups["stars", "paid"].credits == 2 * CREDITS
    assert groups["payme", "pending"].amount_tiyin == PRICE_TIYIN
    assert report.mismatches == []
    assert (await build(shop, days_ago=1)).orders == []


async def test_every_kind_of_mismatch_is_found(shop: Sessions) -> None:
    await pay_stars(shop, "fine")
    differs = await pay_stars(shop, "differs")
    refunded = await pay_stars(shop, "refunded-spent")
    async with shop() as session:
        # amount_differs: the stored payment says 49 Stars for a 50-Star order
        await session.execute(
            sa.update(Payment).where(Payment.external_id == "differs").values(amount=49)
        )
        # credit_without_paid_order: a payment credit with no payment or order behind it
        await ledger.credit(session, OTHER, 5, "pay:click:777", reason="forged")
        await session.commit()
    # paid_without_credit: an order marked paid that no payment credited
    lonely = await new_order(shop, OTHER, "payme")
    async with shop() as session:
        await session.execute(
            sa.update(Order)
            .where(Order.id == lonely.id)
            .values(status=OrderStatus.PAID, paid_at=utcnow())
        )
        # refunded_not_reversed: Telegram refunded after the fan spent the credits
        await ledger.debit(session, FAN, 3 * CREDITS - 1, "job:1:charge")
        await session.commit()
    async with shop() as session:
        refund = await stars.refund(session, "refunded-spent", None, refunded_by_telegram=True)
    assert refund.outcome == "unreversed"
    # unmatched_payment: Stars received for a payload that verifies for nobody
    async with shop() as session:
        done = await stars.record_successful_payment(
            session, FAN, "s1.1.50.forged", STARS, "forged-charge", "", {}, config=CONFIG
        )
    assert done.outcome == "unmatched"

    report = await build(shop)
    found = {(m.kind, m.order_id, m.external_id) for m in report.mismatches}
    assert found == {
        ("amount_differs", differs, "differs"),
        ("credit_without_paid_order", None, "777"),
        ("paid_without_credit", lonely.id, None),
        ("refunded_not_reversed", refunded, "refunded-spent"),
        ("unmatched_payment", None, "forged-charge"),
    }
    by_kind = {m.kind: m for m in report.mismatches}
    assert by_kind["amount_differs"].figures == {
        "paid": 49, "expected": STARS, "credited": CREDITS, "credits": CREDITS
    }  # fmt: skip
    assert by_kind["credit_without_paid_order"].provider == "click"
    assert by_kind["refunded_not_reversed"].figures["credits"] == CREDITS
    assert (await build(shop, days_ago=1)).mismatches == []


async def test_the_cli_prints_the_same_report(shop: Sessions, tmp_path: Path) -> None:
    await pay_stars(shop, "cli-charge")
    async with shop() as session:
        await ledger.credit(session, OTHER, 5, "pay:payme:abc", reason="forged")
        await session.commit()
    env = clean_env(
        tmp_path, DATABASE_URL=TEST_DATABASE_URL, STORAGE_URL=f"file://{tmp_path / 'files'}"
    )
    today = utcnow().date().isoformat()
    result = await asyncio.to_thread(
        stario, "report", "payments", "--date", today, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["day"], printed["timezone"]) == (today, "UTC")
    assert printed["orders"][0]["provider"] == "stars"
    assert [m["kind"] for m in printed["mismatches"]] == ["credit_without_paid_order"]
    default_day = await asyncio.to_thread(stario, "report", "payments", env=env, cwd=tmp_path)
    assert json.loads(default_day.stdout) == printed
    bad = await asyncio.to_thread(
        stario, "report", "payments", "--date", "2026-13-01", env=env, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert "not a date" in bad.stderr
    assert "Traceback" not in bad.stderr
