"""Telegram Stars end to end against the fake Bot API: Balance → Buy credits → invoice → pay →
credited once; localised pre-checkout refusals; repeated updates; /refund_stars."""

from __future__ import annotations

import sqlalchemy as sa

from stario.core.services import ledger
from stario.models import CreditLedger, CreditPackage, Role, User
from tests.bot.conftest import BotUnderTest
from tests.factories import add_user
from tests.fakes import User as Fan
from tests.fakes.telegram_api import Call

ADMIN, FAN = 7101, 7102
CREDITS, STARS = 5, 50


async def shop(env: BotUnderTest, language: str = "ru") -> Fan:
    async with env.db() as session:
        session.add(
            CreditPackage(code="start", credits=CREDITS, price_uzs=15000, price_stars=STARS)
        )
        session.add(
            CreditPackage(code="old", credits=1, price_uzs=1, price_stars=1, is_active=False)
        )
        await session.commit()
    await add_user(env.db, FAN, language=language)
    await add_user(env.db, ADMIN, language="en")
    async with env.db() as session:
        await session.execute(sa.update(User).where(User.id == ADMIN).values(role=Role.ADMIN))
        await session.commit()
    return Fan(id=FAN, language_code=language)


async def balance(env: BotUnderTest, user_id: int = FAN) -> int:
    async with env.db() as session:
        return await ledger.balance_of(session, user_id)


async def buy(env: BotUnderTest, fan: Fan, language: str = "ru") -> Call:
    """Balance → Buy credits → the package: the invoice."""
    await env.say(fan, "/balance")
    screen = await env.press(fan, env.text(language, "btn-buy-credits"))
    assert env.text(language, "payments-buy-title") == screen.params["text"]
    label = env.text(language, "payments-btn-package", credits=CREDITS, stars=STARS)
    return await env.press(fan, label, "sendInvoice")


def texts_to(env: BotUnderTest, chat_id: int, after: int) -> list[str]:
    return [
        str(call.params["text"])
        for call in env.tg.calls[after:]
        if call.method == "sendMessage" and call.chat_id == chat_id
    ]


async def test_buy_pay_and_get_credited_once(env: BotUnderTest) -> None:
    fan = await shop(env)
    invoice = await buy(env, fan)
    assert invoice.params["currency"] == "XTR"
    assert invoice.params.get("provider_token", "") == ""
    assert [price["amount"] for price in invoice.params["prices"]] == [STARS]
    payload = str(invoice.params["payload"])
    assert len(payload.encode()) <= 128
    mark = len(env.tg.calls)
    charge = await env.tg.pay(fan, payload, STARS)
    assert charge is not None
    thanks = await env.next_call("sendMessage", after=mark, chat_id=FAN)
    assert thanks.params["text"] == env.text("ru", "payments-thanks", credits=CREDITS, balance=5)
    assert await balance(env) == CREDITS
    # the same charge delivered again (a new update, and the very same update id)
    again = env.tg.successful_payment(fan, payload, STARS, charge_id=charge)
    env.tg.feed(again)
    await env.settle(0.5)
    assert await balance(env) == CREDITS
    assert texts_to(env, FAN, mark) == [thanks.params["text"]]
    async with env.db() as session:
        keys = list(await session.scalars(sa.select(CreditLedger.idempotency_key)))
    assert keys.count(f"pay:stars:{charge}") == 1


async def test_pre_checkout_refusals_are_localised(env: BotUnderTest) -> None:
    fan = await shop(env, "uz")
    invoice = await buy(env, fan, "uz")
    payload = str(invoice.params["payload"])
    for wrong_payload, amount, key in (
        (payload[:-3] + "xyz", STARS, "payments-error-invalid"),
        (payload, STARS + 1, "payments-error-amount"),
    ):
        assert await env.tg.pay(fan, wrong_payload, amount) is None
        answer = env.tg.last("answerPreCheckoutQuery")
        assert answer.params["ok"] is False
        assert answer.params["error_message"] == env.text("uz", key)
    other = Fan(id=FAN + 50, language_code="en")
    await add_user(env.db, other.id, language="en")
    assert await env.tg.pay(other, payload, STARS) is None
    answer = env.tg.last("answerPreCheckoutQuery")
    assert answer.params["error_message"] == env.text("en", "payments-error-invalid")
    assert await balance(env) == 0


async def test_admin_refunds_once_and_non_admins_get_the_unknown_command_reply(
    env: BotUnderTest,
) -> None:
    fan = await shop(env)
    payload = str((await buy(env, fan)).params["payload"])
    charge = await env.tg.pay(fan, payload, STARS)
    assert charge is not None
    await env.tg.wait_for("sendMessage", predicate=lambda c: "✅" in str(c.params.get("text")))
    assert await balance(env) == CREDITS

    reply = await env.say(fan, f"/refund_stars {charge}")
    assert reply.params["text"] == env.text("ru", "fallback-command")
    assert env.tg.refunded == []

    admin = Fan(id=ADMIN)
    reply = await env.say(admin, f"/refund_stars {charge}")
    assert reply.params["text"] == env.text(
        "en", "payments-admin-refunded", charge=charge, credits=CREDITS, user=str(FAN), balance=0
    )
    assert env.tg.refunded == [(FAN, charge)]
    assert await balance(env) == 0
    reply = await env.say(admin, f"/refund_stars {charge}")
    assert reply.params["text"] == env.text("en", "payments-admin-already", charge=charge)
    assert await balance(env) == 0
    reply = await env.say(admin, "/refund_stars nosuch")
    assert reply.params["text"] == env.text("en", "payments-admin-not-found", charge="nosuch")
    reply = await env.say(admin, "/refund_stars")
    assert reply.params["text"] == env.text("en", "admin-usage-refund-stars")


async def test_refund_refused_when_the_credits_were_spent(env: BotUnderTest) -> None:
    fan = await shop(env)
    payload = str((await buy(env, fan)).params["payload"])
    charge = await env.tg.pay(fan, payload, STARS)
    await env.tg.wait_for("sendMessage", predicate=lambda c: "✅" in str(c.params.get("text")))
    async with env.db() as session:
        await ledger.debit(session, FAN, 3, "job:1:charge")
        await session.commit()
    reply = await env.say(Fan(id=ADMIN), f"/refund_stars {charge}")
    assert reply.params["text"] == env.text("en", "payments-admin-refused", balance=2, needed=5)
    assert env.tg.refunded == []
    assert await balance(env) == 2


async def test_refunded_payment_reverses_once(env: BotUnderTest) -> None:
    fan = await shop(env)
    payload = str((await buy(env, fan)).params["payload"])
    charge = await env.tg.pay(fan, payload, STARS)
    await env.tg.wait_for("sendMessage", predicate=lambda c: "✅" in str(c.params.get("text")))
    refunded = {
        "currency": "XTR",
        "total_amount": STARS,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge,
    }
    mark = len(env.tg.calls)
    for _ in range(2):
        env.tg.feed(env.fan_message(fan, {"refunded_payment": refunded}))
    reply = await env.next_call("sendMessage", after=mark, chat_id=FAN)
    assert reply.params["text"] == env.text("ru", "payments-refunded", credits=CREDITS, balance=0)
    await env.settle(0.5)
    assert len(texts_to(env, FAN, mark)) == 1
    assert await balance(env) == 0
