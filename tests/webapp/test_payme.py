"""Payme plays its Merchant API against `stario web` over real HTTP, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from stario.core.services import ledger, orders, payme
from stario.core.settings import Settings
from stario.models import AuditLog, Order, Payment, utcnow
from tests.factories import add_user
from tests.payment_helpers import (
    CREDITS,
    PAYME_AUTH,
    PAYME_KEY,
    PAYME_MERCHANT_ID,
    PRICE_TIYIN,
    PRICE_UZS,
    Client,
    Sessions,
    add_package,
    audit_actions,
    balance,
    basic_auth,
    new_order,
    now_ms,
    order_status,
    payments,
    web_client,
)

FAN = 100
TX = "5305e3bab097f420a62ced0b"
TX2 = "5305e3bab097f420a62ced0c"
HOUR_MS = 3_600_000


@pytest.fixture
async def client(settings: Settings, db: Sessions) -> AsyncIterator[Client]:
    await add_user(db, FAN)
    await add_package(db)
    async with web_client(settings) as test_client:
        yield test_client


async def rpc(
    client: Client,
    method: str,
    params: dict[str, Any],
    *,
    request_id: int = 7,
    auth: str | None = PAYME_AUTH,
) -> dict[str, Any]:
    headers = {"Authorization": auth} if auth is not None else {}
    body = {"method": method, "params": params, "id": request_id}
    response = await client.post("/payments/payme", json=body, headers=headers)
    assert response.status == 200
    answer: dict[str, Any] = await response.json()
    return answer


def error_code(answer: dict[str, Any]) -> int:
    assert "result" not in answer, answer
    code: int = answer["error"]["code"]
    assert set(answer["error"]["message"]) == {"ru", "uz", "en"}
    return code


def account(order_id: int | str) -> dict[str, Any]:
    return {"order_id": str(order_id)}


async def create(
    client: Client, order_id: int, tx: str = TX, *, time_ms: int | None = None
) -> dict[str, Any]:
    params = {
        "id": tx,
        "time": now_ms() if time_ms is None else time_ms,
        "amount": PRICE_TIYIN,
        "account": account(order_id),
    }
    return await rpc(client, "CreateTransaction", params)


async def perform(client: Client, tx: str = TX) -> dict[str, Any]:
    return await rpc(client, "PerformTransaction", {"id": tx})


async def cancel(client: Client, tx: str = TX, reason: int = 5) -> dict[str, Any]:
    return await rpc(client, "CancelTransaction", {"id": tx, "reason": reason})


async def check(client: Client, tx: str = TX) -> dict[str, Any]:
    return await rpc(client, "CheckTransaction", {"id": tx})


# Authentication and the JSON-RPC envelope ----------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        None,
        basic_auth("Paycom", "wrong-key"),
        basic_auth("Other", PAYME_KEY),
        basic_auth("Paycom", PAYME_KEY + "x"),
        "Bearer " + PAYME_KEY,
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(PAYME_KEY.encode()).decode(),  # no login part
    ],
)
async def test_wrong_credentials_are_32504_for_every_method(
    client: Client, db: Sessions, auth: str | None
) -> None:
    order = await new_order(db, FAN, "payme")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("CheckPerformTransaction", {"amount": PRICE_TIYIN, "account": account(order.id)}),
        ("CreateTransaction", {"id": TX, "time": now_ms(), "amount": PRICE_TIYIN,
                               "account": account(order.id)}),
        ("PerformTransaction", {"id": TX}),
        ("CancelTransaction", {"id": TX, "reason": 5}),
        ("CheckTransaction", {"id": TX}),
        ("GetStatement", {"from": 0, "to": now_ms()}),
    ]  # fmt: skip
    for method, params in calls:
        answer = await rpc(client, method, params, request_id=31, auth=auth)
        assert error_code(answer) == -32504
        assert answer["id"] == 31
    assert await payments(db) == []


async def test_payme_without_a_key_refuses_everyone(settings: Settings, db: Sessions) -> None:
    await add_user(db, FAN)
    await add_package(db)
    order = await new_order(db, FAN, "payme")
    async with web_client(settings, payme_key=None) as unset:
        params = {"amount": PRICE_TIYIN, "account": account(order.id)}
        answer = await rpc(unset, "CheckPerformTransaction", params)
    assert error_code(answer) == -32504


@pytest.mark.parametrize(
    ("body", "code", "data"),
    [
        (b"{not json", -32700, None),
        (b"\xff\xfe{}", -32700, None),
        (b"[" * 5000 + b"]" * 5000, -32700, None),
        (b"[1, 2]", -32600, "request"),
        (b'{"method": "CheckTransaction", "params": {"id": "x"}}', -32600, "id"),
        (b'{"method": "CheckTransaction", "params": {"id": "x"}, "id": "7"}', -32600, "id"),
        (b'{"params": {}, "id": 7}', -32600, "method"),
        (b'{"method": "CheckTransaction", "id": 7}', -32600, "params"),
        (b'{"method": "CheckTransaction", "params": [], "id": 7}', -32600, "params"),
        (b'{"method": "ChangePassword", "params": {}, "id": 7}', -32601, "ChangePassword"),
        (b'{"method": "CheckTransaction", "params": {}, "id": 7}', -32600, "id"),
        (b'{"method": "CancelTransaction", "params": {"id": "x"}, "id": 7}', -32600, "reason"),
        (b'{"method": "GetStatement", "params": {"from": 1}, "id": 7}', -32600, "to"),
    ],
)
async def test_malformed_requests_get_json_rpc_errors_with_http_200(
    client: Client, body: bytes, code: int, data: object
) -> None:
    response = await client.post(
        "/payments/payme",
        data=body,
        headers={"Authorization": PAYME_AUTH, "Content-Type": "text/json; charset=UTF-8"},
    )
    assert response.status == 200
    answer = await response.json()
    assert error_code(answer) == code
    assert answer["error"]["data"] == data
    assert answer["id"] in (None, 7)


async def test_other_http_methods_are_32300(client: Client) -> None:
    response = await client.get("/payments/payme", headers={"Authorization": PAYME_AUTH})
    assert response.status == 200
    assert error_code(await response.json()) == -32300


async def test_huge_bodies_are_413_before_parsing(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    padding = "x" * (payme_limit() + 1)
    body = json.dumps(
        {
            "method": "CreateTransaction",
            "params": {"id": TX, "time": now_ms(), "amount": PRICE_TIYIN,
                       "account": account(order.id), "pad": padding},
            "id": 1,
        }
    ).encode()  # fmt: skip
    declared = await client.post(
        "/payments/payme", data=body, headers={"Authorization": PAYME_AUTH}
    )
    assert declared.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    chunked = await client.post(
        "/payments/payme", data=chunks(), headers={"Authorization": PAYME_AUTH}
    )
    assert chunked.status == 413
    assert await payments(db) == []


def payme_limit() -> int:
    from stario.webapp.payme import MAX_BODY_BYTES

    return MAX_BODY_BYTES


# CheckPerformTransaction --------------------------------------------------------------------


async def test_check_perform_allows_a_payable_order(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    answer = await rpc(
        client, "CheckPerformTransaction", {"amount": PRICE_TIYIN, "account": account(order.id)}
    )
    assert answer == {"result": {"allow": True}, "id": 7}
    params = {"amount": PRICE_TIYIN, "account": {"order_id": order.id}}
    numeric = await rpc(client, "CheckPerformTransaction", params)
    assert numeric["result"] == {"allow": True}


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (PRICE_UZS, -31001),  # soums where tiyin are due
        (PRICE_TIYIN + 1, -31001),
        (PRICE_TIYIN * 100, -31001),
        (float(PRICE_TIYIN), -32600),
        (str(PRICE_TIYIN), -32600),
        (0, -32600),
        (-PRICE_TIYIN, -32600),
        (True, -32600),
    ],
)
async def test_wrong_amounts_are_refused(
    client: Client, db: Sessions, amount: object, code: int
) -> None:
    order = await new_order(db, FAN, "payme")
    for method, extra in [("CheckPerformTransaction", {}),
                          ("CreateTransaction", {"id": TX, "time": now_ms()})]:  # fmt: skip
        params = {"amount": amount, "account": account(order.id), **extra}
        answer = await rpc(client, method, params)
        assert error_code(answer) == code
    assert await payments(db) == []


@pytest.mark.parametrize(
    "account_value",
    [{"order_id": "999999"}, {"order_id": "abc"}, {"order_id": ""}, {"order_id": "0"},
     {"order_id": None}, {"phone": "903595731"}, {}],
)  # fmt: skip
async def test_unknown_or_malformed_orders_are_31050(
    client: Client, account_value: dict[str, Any]
) -> None:
    for method, extra in [("CheckPerformTransaction", {}),
                          ("CreateTransaction", {"id": TX, "time": now_ms()})]:  # fmt: skip
        answer = await rpc(
            client, method, {"amount": PRICE_TIYIN, "account": account_value, **extra}
        )
        assert error_code(answer) == -31050
        assert answer["error"]["data"] == "order_id"


async def test_missing_account_is_32600(client: Client) -> None:
    answer = await rpc(client, "CheckPerformTransaction", {"amount": PRICE_TIYIN})
    assert error_code(answer) == -32600
    assert answer["error"]["data"] == "account"


async def test_orders_for_other_providers_are_not_payme_accounts(
    client: Client, db: Sessions
) -> None:
    click_order = await new_order(db, FAN, "click")
    answer = await rpc(
        client,
        "CheckPerformTransaction",
        {"amount": PRICE_TIYIN, "account": account(click_order.id)},
    )
    assert error_code(answer) == -31050


async def test_expired_cancelled_and_paid_orders_cannot_start_a_transaction(
    client: Client, db: Sessions
) -> None:
    expired = await new_order(db, FAN, "payme")
    cancelled = await new_order(db, FAN, "payme")
    paid = await new_order(db, FAN, "payme")
    async with db() as session:
        await session.execute(
            sa.update(Order)
            .where(Order.id == expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.execute(
            sa.update(Order).where(Order.id == cancelled.id).values(status="cancelled")
        )
        await session.commit()
    assert "result" in await create(client, paid.id, TX2)
    assert "result" in await perform(client, TX2)
    for order_id in (expired.id, cancelled.id, paid.id):
        params = {"amount": PRICE_TIYIN, "account": account(order_id)}
        check_answer = await rpc(client, "CheckPerformTransaction", params)
        assert error_code(check_answer) == -31008
        assert error_code(await create(client, order_id)) == -31008


# The sandbox's scenarios ---------------------------------------------------------------------


async def test_create_perform_with_repeats_answered_identically(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    payme_time = now_ms()
    created = await create(client, order.id, time_ms=payme_time)
    result = created["result"]
    assert result["state"] == 1
    assert isinstance(result["transaction"], str)
    assert len(str(result["create_time"])) == 13
    assert "receivers" not in result or result["receivers"] is None
    await asyncio.sleep(0.01)
    assert await create(client, order.id, time_ms=payme_time) == created

    checked = (await check(client))["result"]
    assert checked == {
        "create_time": result["create_time"],
        "perform_time": 0,
        "cancel_time": 0,
        "transaction": result["transaction"],
        "state": 1,
        "reason": None,
    }
    assert await balance(db, FAN) == 0

    performed = await perform(client)
    assert performed["result"]["state"] == 2
    assert performed["result"]["transaction"] == result["transaction"]
    assert performed["result"]["perform_time"] >= result["create_time"]
    await asyncio.sleep(0.01)
    assert await perform(client) == performed
    assert await balance(db, FAN) == CREDITS
    assert await order_status(db, order.id) == "paid"

    checked = (await check(client))["result"]
    assert checked["state"] == 2
    assert checked["perform_time"] == performed["result"]["perform_time"]
    assert checked["cancel_time"] == 0

    statement = await rpc(client, "GetStatement", {"from": payme_time, "to": payme_time})
    assert statement["result"]["transactions"] == [
        {
            "id": TX,
            "time": payme_time,
            "amount": PRICE_TIYIN,
            "account": {"order_id": str(order.id)},
            "create_time": result["create_time"],
            "perform_time": performed["result"]["perform_time"],
            "cancel_time": 0,
            "transaction": result["transaction"],
            "state": 2,
            "reason": None,
            "receivers": None,
        }
    ]
    (payment,) = await payments(db)
    methods = [call["payload"]["method"] for call in payment.raw["calls"]]
    assert methods == ["CreateTransaction", "CreateTransaction",
                       "PerformTransaction", "PerformTransaction"]  # fmt: skip
    assert payment.raw["calls"][0]["payload"]["params"]["id"] == TX
    actions = await audit_actions(db)
    assert actions.count("payment.created") == 1
    assert actions.count("order.paid") == 1  # it records the transaction's 1 -> 2 too
    async with db() as session:
        paid = await session.scalar(sa.select(AuditLog).where(AuditLog.action == "order.paid"))
    assert paid is not None
    assert paid.details["state"] == "1 -> 2"
    assert paid.details["external_id"] == TX


async def test_a_second_transaction_for_an_order_is_31008(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    assert "result" in await create(client, order.id, TX)
    answer = await create(client, order.id, TX2)
    assert error_code(answer) == -31008
    params = {"amount": PRICE_TIYIN, "account": account(order.id)}
    assert error_code(await rpc(client, "CheckPerformTransaction", params)) == -31008
    assert "result" in await perform(client, TX)
    assert error_code(await create(client, order.id, TX2)) == -31008
    assert len(await payments(db)) == 1


async def test_cancel_before_perform_releases_the_order(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    created = (await create(client, order.id))["result"]
    cancelled = await cancel(client, reason=3)
    assert cancelled["result"]["state"] == -1
    assert cancelled["result"]["transaction"] == created["transaction"]
    assert cancelled["result"]["cancel_time"] >= created["create_time"]
    await asyncio.sleep(0.01)
    assert await cancel(client, reason=3) == cancelled
    assert await cancel(client, reason=1) == cancelled  # the stored reason and time stay
    checked = (await check(client))["result"]
    assert (checked["state"], checked["reason"]) == (-1, 3)
    assert checked["cancel_time"] == cancelled["result"]["cancel_time"]

    assert error_code(await perform(client)) == -31008
    assert error_code(await create(client, order.id)) == -31008  # that id is finished
    assert await balance(db, FAN) == 0
    # The order is free again: a new Payme transaction may pay it.
    assert "result" in await create(client, order.id, TX2)
    assert "result" in await perform(client, TX2)
    assert await balance(db, FAN) == CREDITS


async def test_cancel_after_perform_reverses_the_credit_once(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    performed = (await perform(client))["result"]
    assert await balance(db, FAN) == CREDITS
    refunded = await cancel(client, reason=5)
    assert refunded["result"]["state"] == -2
    assert refunded["result"]["cancel_time"] >= performed["perform_time"]
    assert await cancel(client, reason=5) == refunded
    assert await balance(db, FAN) == 0
    assert await order_status(db, order.id) == "refunded"
    checked = (await check(client))["result"]
    assert (checked["state"], checked["reason"]) == (-2, 5)
    assert checked["perform_time"] == performed["perform_time"]
    assert error_code(await perform(client)) == -31008
    async with db() as session:
        postings = await ledger.recent_postings(session, FAN)
    assert [posting.idempotency_key for posting in postings] == [
        f"refund:payme:{TX}",
        f"pay:payme:{TX}",
    ]
    assert "order.refunded" in await audit_actions(db)


async def test_cancel_after_perform_is_refused_when_the_credits_were_spent(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    await perform(client)
    async with db() as session:
        await ledger.debit(session, FAN, 2, "job:1:charge")
        await session.commit()
    refused = await cancel(client, reason=5)
    assert error_code(refused) == -31007
    assert await cancel(client, reason=5) == refused
    assert (await check(client))["result"]["state"] == 2
    assert await balance(db, FAN) == CREDITS - 2
    assert await order_status(db, order.id) == "paid"
    assert (await audit_actions(db)).count("payment.refund_refused") == 2


async def test_unknown_transactions_are_31003(client: Client) -> None:
    for answer in [await perform(client), await cancel(client), await check(client)]:
        assert error_code(answer) == -31003


@pytest.mark.parametrize("reason", [0, 6, 11, "5", None])
async def test_cancel_reasons_outside_the_spec_are_refused(
    client: Client, db: Sessions, reason: object
) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    answer = await rpc(client, "CancelTransaction", {"id": TX, "reason": reason})
    assert error_code(answer) == -32600
    assert (await check(client))["result"]["state"] == 1


# The 12-hour timeout -------------------------------------------------------------------------


async def test_a_transaction_created_more_than_12_hours_ago_by_payme_is_refused(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    answer = await create(client, order.id, time_ms=now_ms() - 12 * HOUR_MS - 1000)
    assert error_code(answer) == -31008
    assert await payments(db) == []


@pytest.mark.parametrize("late_call", ["perform", "create"])
async def test_a_state_1_transaction_past_12_hours_is_cancelled_with_reason_4(
    client: Client, db: Sessions, late_call: str
) -> None:
    order = await new_order(db, FAN, "payme")
    payme_time = now_ms()
    await create(client, order.id, time_ms=payme_time)
    async with db() as session:  # as if Payme created it 12 h and a second ago
        await session.execute(
            sa.update(Payment).values(
                provider_created_at=payme.from_ms(payme_time - 12 * HOUR_MS - 1000)
            )
        )
        await session.commit()
    if late_call == "perform":
        answer = await perform(client)
    else:
        answer = await create(client, order.id, time_ms=payme_time - 12 * HOUR_MS - 1000)
    assert error_code(answer) == -31008
    checked = (await check(client))["result"]
    assert (checked["state"], checked["reason"]) == (-1, 4)
    assert checked["cancel_time"] > 0
    assert error_code(await perform(client)) == -31008
    assert await balance(db, FAN) == 0


async def test_a_reserved_order_is_paid_even_after_its_own_deadline(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    async with db() as session:
        await session.execute(
            sa.update(Order).values(expires_at=utcnow() - timedelta(minutes=1), status="expired")
        )
        await session.commit()
    assert (await perform(client))["result"]["state"] == 2
    assert await balance(db, FAN) == CREDITS
    assert await order_status(db, order.id) == "paid"


async def test_a_reserved_order_is_paid_even_if_the_fan_cancelled_it_meanwhile(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    async with db() as session:
        await orders.cancel_pending(session, order.id, actor_id=FAN)
    params = {"amount": PRICE_TIYIN, "account": account(order.id)}
    assert error_code(await rpc(client, "CheckPerformTransaction", params)) == -31008
    assert (await perform(client))["result"]["state"] == 2  # Payme has the money by now
    assert await balance(db, FAN) == CREDITS
    assert await order_status(db, order.id) == "paid"


# Concurrency ---------------------------------------------------------------------------------


async def test_20_concurrent_identical_performs_credit_once(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    answers = await asyncio.gather(*(perform(client) for _ in range(20)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["result"]["state"] == 2
    assert await balance(db, FAN) == CREDITS
    async with db() as session:
        credits = await session.scalar(
            sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "order.paid")
        )
    assert credits == 1


async def test_20_concurrent_identical_creates_make_one_transaction(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    payme_time = now_ms()
    answers = await asyncio.gather(
        *(create(client, order.id, time_ms=payme_time) for _ in range(20))
    )
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["result"]["state"] == 1
    assert len(await payments(db)) == 1


async def test_20_concurrent_transactions_for_one_order_leave_one(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    ids = [f"{index:024x}" for index in range(20)]
    answers = await asyncio.gather(*(create(client, order.id, tx) for tx in ids))
    assert sum("result" in answer for answer in answers) == 1
    assert sorted(error_code(a) for a in answers if "error" in a) == [-31008] * 19
    winner = ids[next(index for index, answer in enumerate(answers) if "result" in answer)]
    performs = await asyncio.gather(*(perform(client, tx) for tx in ids))
    assert sum("result" in answer for answer in performs) == 1
    assert "result" in await perform(client, winner)
    assert await balance(db, FAN) == CREDITS


async def test_20_concurrent_identical_cancels_after_perform_reverse_once(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "payme")
    await create(client, order.id)
    await perform(client)
    answers = await asyncio.gather(*(cancel(client) for _ in range(20)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["result"]["state"] == -2
    assert await balance(db, FAN) == 0


# GetStatement --------------------------------------------------------------------------------


async def test_get_statement_lists_created_transactions_in_payme_time_order(
    client: Client, db: Sessions
) -> None:
    base = now_ms()
    first = await new_order(db, FAN, "payme")
    second = await new_order(db, FAN, "payme")
    third = await new_order(db, FAN, "payme")
    await create(client, second.id, "b" * 24, time_ms=base + 2000)
    await create(client, first.id, "a" * 24, time_ms=base + 1000)
    await create(client, third.id, "c" * 24, time_ms=base + 3000)
    assert error_code(await create(client, first.id, "d" * 24, time_ms=base + 1500)) == -31008
    await cancel(client, "c" * 24, reason=3)

    listed = await rpc(client, "GetStatement", {"from": base + 1000, "to": base + 3000})
    transactions = listed["result"]["transactions"]
    assert [t["id"] for t in transactions] == ["a" * 24, "b" * 24, "c" * 24]
    assert [t["state"] for t in transactions] == [1, 1, -1]
    assert transactions[2]["reason"] == 3
    inner = await rpc(client, "GetStatement", {"from": base + 1001, "to": base + 2999})
    assert [t["id"] for t in inner["result"]["transactions"]] == ["b" * 24]
    empty = await rpc(client, "GetStatement", {"from": base + 5000, "to": base + 9000})
    assert empty["result"] == {"transactions": []}


# Checkout link -------------------------------------------------------------------------------


def test_checkout_link_matches_the_documented_example() -> None:
    config = payme.PaymeConfig(merchant_id=PAYME_MERCHANT_ID, key=None)
    link = payme.checkout_link(config, order_id=197, amount_tiyin=500)
    assert link == (
        "https://checkout.paycom.uz/"
        "bT01ODdmNzJjNzJjYWMwZDE2MmM3MjJhZTI7YWMub3JkZXJfaWQ9MTk3O2E9NTAw"
    )
    with_extras = payme.checkout_link(
        config, order_id=5, amount_tiyin=1_500_000, language="uz", return_url="https://t.me/bot"
    )
    encoded = with_extras.rsplit("/", 1)[1]
    assert base64.b64decode(encoded).decode() == (
        f"m={PAYME_MERCHANT_ID};ac.order_id=5;a=1500000;l=uz;c=https://t.me/bot"
    )


def test_millisecond_times_round_trip_exactly() -> None:
    for value in (0, 1, 1_399_114_284_039, 9_999_999_999_999):
        assert payme.to_ms(payme.from_ms(value)) == value
