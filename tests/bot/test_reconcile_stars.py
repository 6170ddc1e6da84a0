"""`stario reconcile stars` against the fake Bot API over real HTTP, next to the running bot:
a charge whose update was lost is credited once, a second run credits nothing, a reconcile
racing the bot's own successful_payment credits once, a bad payload is reported and not
credited, and a refund Telegram made that the ledger has not reversed is reported."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from stario.core.adapters.telegram_stars import BotStarTransactions
from stario.core.services import orders, reconcile, stars
from stario.core.settings import Settings
from stario.models import CreditLedger, Payment
from tests.bot.conftest import BotUnderTest
from tests.bot.test_stars import CREDITS, FAN, STARS, balance, shop
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.test_cli import clean_env, stario
from tests.fakes import User as Fan


async def signed_invoice(env: BotUnderTest, user_id: int = FAN) -> str:
    """A pending Stars order of the fan and its payload, as the bot would have sent it."""
    async with env.db() as session:
        order = await orders.create_order(
            session, user_id=user_id, package_code="start", provider="stars",
            policy=orders.OrderPolicy(referral_bonus=0),
        )  # fmt: skip
    secret = stars.payments_secret(env.runtime.settings)
    return stars.sign_payload(secret, order_id=order.id, amount=STARS, user_id=user_id)


async def run_cli(env: BotUnderTest, tmp_path: Path, exit_code: int = 0) -> dict[str, Any]:
    """`stario reconcile stars` as an operator runs it (a real process); it exits 4 when
    something needs an admin."""
    settings = env.runtime.settings
    assert settings.bot_token is not None
    variables = clean_env(
        tmp_path,
        DATABASE_URL=TEST_DATABASE_URL,
        STORAGE_URL=f"file://{tmp_path / 'files'}",
        BOT_TOKEN=settings.bot_token.get_secret_value(),
        TELEGRAM_API_URL=env.tg.url,
    )
    result = await asyncio.to_thread(stario, "reconcile", "stars", env=variables, cwd=tmp_path)
    assert result.returncode == exit_code, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["needs_admin"] is (exit_code == 4)
    return report


async def in_process(env: BotUnderTest) -> reconcile.StarsReconciliation:
    """The same use case, with the adapter calling the fake Bot API over HTTP."""
    config = stars.StarsConfig.from_settings(env.runtime.settings)
    transactions = await reconcile.fetch_all(BotStarTransactions(env.bot), page_size=2)
    return await reconcile.reconcile_stars(env.runtime.sessions, transactions, config=config)


async def credit_keys(env: BotUnderTest) -> list[str]:
    async with env.db() as session:
        keys = await session.scalars(
            sa.select(CreditLedger.idempotency_key).where(
                CreditLedger.idempotency_key.startswith("pay:stars:")
            )
        )
        return sorted(keys)


async def test_a_missed_charge_is_credited_once_and_a_second_run_does_nothing(
    env: BotUnderTest, tmp_path: Path
) -> None:
    fan = await shop(env)
    paid_before = await env.tg.pay(fan, await signed_invoice(env), STARS)  # the bot got this one
    await env.tg.wait_for("sendMessage", predicate=lambda c: "✅" in str(c.params.get("text")))
    missed = env.tg.star_payment(fan, await signed_invoice(env), STARS)  # the update was lost
    assert await balance(env) == CREDITS

    report = await run_cli(env, tmp_path)
    assert report["transactions"] == 2
    assert report["incoming_payments"] == 2
    assert report["already_credited"] == 1
    assert [item["charge_id"] for item in report["credited"]] == [missed]
    assert report["credited"][0]["credits"] == CREDITS
    assert report["credited"][0]["user_id"] == FAN
    assert report["unmatched"] == report["refunds_not_reversed"] == []
    assert await balance(env) == 2 * CREDITS
    assert await credit_keys(env) == sorted([f"pay:stars:{paid_before}", f"pay:stars:{missed}"])

    again = await run_cli(env, tmp_path)
    assert again["credited"] == []
    assert again["already_credited"] == 2
    assert await balance(env) == 2 * CREDITS

    # The lost update turns up after all: the bot sees it was credited and stays silent.
    mark = len(env.tg.calls)
    env.tg.successful_payment(fan, "ignored", STARS, charge_id=missed)
    await env.settle(0.5)
    assert await balance(env) == 2 * CREDITS
    assert [c for c in env.tg.calls[mark:] if c.method == "sendMessage"] == []


async def test_reconcile_racing_the_bots_successful_payment_credits_once(
    env: BotUnderTest,
) -> None:
    fan = await shop(env)
    charges = []
    for _ in range(5):
        payload = await signed_invoice(env)
        charge = env.tg.star_payment(fan, payload, STARS)
        charges.append((payload, charge))
    # The updates arrive at the bot while two reconciles run.
    for payload, charge in charges:
        env.tg.successful_payment(fan, payload, STARS, charge_id=charge)
    first, second = await asyncio.gather(in_process(env), in_process(env))
    await env.settle(1.0)
    assert await balance(env) == 5 * CREDITS
    assert await credit_keys(env) == sorted(f"pay:stars:{charge}" for _, charge in charges)
    credited_by_reconcile = len(first.credited) + len(second.credited)
    assert 0 <= credited_by_reconcile <= 5
    async with env.db() as session:
        stored = await session.scalar(sa.select(sa.func.count()).select_from(Payment))
    assert stored == 5


async def test_a_bad_payload_is_reported_and_not_credited(
    env: BotUnderTest, tmp_path: Path
) -> None:
    fan = await shop(env)
    good = await signed_invoice(env)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    other_fans = env.tg.star_payment(Fan(id=FAN + 1), good, STARS)  # signed for another payer
    bad = env.tg.star_payment(fan, forged, STARS)
    junk = env.tg.star_payment(fan, "not-our-payload", STARS)
    wrong_amount = env.tg.star_payment(fan, good, STARS - 1)

    report = await run_cli(env, tmp_path, exit_code=4)
    unmatched = {item["charge_id"]: item for item in report["unmatched"]}
    assert set(unmatched) == {other_fans, bad, junk, wrong_amount}
    assert {item["reason"] for item in report["unmatched"]} >= {"bad_payload"}
    assert unmatched[wrong_amount]["reason"] == "no_matching_order"
    assert report["credited"] == []
    assert await balance(env) == 0
    assert await credit_keys(env) == []

    again = await run_cli(env, tmp_path, exit_code=4)  # reported again, nothing credited
    assert {item["charge_id"] for item in again["unmatched"]} == set(unmatched)
    assert all(item["new"] is False for item in again["unmatched"])
    assert await balance(env) == 0


async def test_a_refund_the_ledger_has_not_reversed_is_reported(
    env: BotUnderTest, settings: Settings
) -> None:
    fan = await shop(env)
    kept = await env.tg.pay(fan, await signed_invoice(env), STARS)
    refunded = await env.tg.pay(fan, await signed_invoice(env), STARS)
    assert kept is not None
    assert refunded is not None
    await env.tg.wait_for(
        "sendMessage", count=2, predicate=lambda c: "✅" in str(c.params.get("text"))
    )
    await env.bot.refund_star_payment(user_id=FAN, telegram_payment_charge_id=refunded)
    env.tg.star_transactions.append(  # a withdrawal: neither a payment nor a refund
        {"id": "withdrawal-1", "amount": 10, "date": 1_700_000_000,
         "receiver": {"type": "fragment"}}
    )  # fmt: skip

    report = await in_process(env)
    assert report.transactions == 4
    assert report.refunds == 1
    assert [item["charge_id"] for item in report.refunds_not_reversed] == [refunded]
    assert report.refunds_not_reversed[0]["credited"] is True
    assert [item["charge_id"] for item in report.other] == ["withdrawal-1"]
    assert report.credited == []
    assert await balance(env) == 2 * CREDITS  # reconcile never takes credits back itself

    reply = await env.say(Fan(id=7101), f"/refund_stars {refunded}")  # the admin reverses it
    assert "↩️" in str(reply.params["text"])
    assert (await in_process(env)).refunds_not_reversed == []
    assert await balance(env) == CREDITS
