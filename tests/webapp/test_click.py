"""Click plays its SHOP API (Prepare, Complete) against `stario web` over real HTTP, on real
PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from stario.core.services import click
from stario.core.settings import Settings
from stario.models import Order, utcnow
from tests.factories import add_user
from tests.payment_helpers import (
    CLICK_MERCHANT_ID,
    CLICK_SERVICE_ID,
    CREDITS,
    PRICE_UZS,
    Client,
    Sessions,
    add_package,
    audit_actions,
    balance,
    click_sign,
    new_order,
    order_status,
    payments,
    web_client,
)

FAN = 100
PREPARE = "/payments/click/prepare"
COMPLETE = "/payments/click/complete"
_trans_ids = itertools.count(2_000_000_001)


@pytest.fixture
async def client(settings: Settings, db: Sessions) -> AsyncIterator[Client]:
    await add_user(db, FAN)
    await add_package(db)
    async with web_client(settings) as test_client:
        yield test_client


def fields_for(
    order_id: int | str,
    *,
    action: int,
    click_trans_id: str | None = None,
    amount: str = f"{PRICE_UZS}.00",
    prepare_id: int | str | None = None,
    error: int = 0,
    sign: bool = True,
) -> dict[str, str]:
    fields = {
        "click_trans_id": click_trans_id or str(next(_trans_ids)),
        "service_id": CLICK_SERVICE_ID,
        "click_paydoc_id": "98765",
        "merchant_trans_id": str(order_id),
        "amount": amount,
        "action": str(action),
        "error": str(error),
        "error_note": "Success" if error == 0 else "Cancelled by Click",
        "sign_time": "2026-11-22 12:00:00",
    }
    if prepare_id is not None:
        fields["merchant_prepare_id"] = str(prepare_id)
    if sign:
        fields["sign_string"] = click_sign(fields, action)
    return fields


async def post(client: Client, path: str, fields: dict[str, str] | str) -> dict[str, Any]:
    response = await client.post(path, data=fields)
    assert response.status == 200
    answer: dict[str, Any] = await response.json()
    return answer


async def prepare(client: Client, order_id: int | str, **kwargs: Any) -> dict[str, Any]:
    return await post(client, PREPARE, fields_for(order_id, action=0, **kwargs))


async def complete(
    client: Client, order_id: int | str, prepared: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    kwargs.setdefault("click_trans_id", str(prepared["click_trans_id"]))
    kwargs.setdefault("prepare_id", prepared["merchant_prepare_id"])
    return await post(client, COMPLETE, fields_for(order_id, action=1, **kwargs))


# Click's own test matrix (payments-spec §2.9), in its order ---------------------------------


async def test_clicks_postman_matrix(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    bad_sign = fields_for(order.id, action=0)
    bad_sign["sign_string"] = "0" * 32
    assert (await post(client, PREPARE, bad_sign))["error"] == -1  # 1
    assert (await prepare(client, 999_999))["error"] == -5  # 2
    prepared = await prepare(client, order.id)  # 3
    assert prepared["error"] == 0
    assert prepared["error_note"] == "Success"
    assert isinstance(prepared["merchant_prepare_id"], int)
    assert prepared["merchant_trans_id"] == str(order.id)

    wrong_sign = fields_for(
        order.id, action=1, click_trans_id=str(prepared["click_trans_id"]),
        prepare_id=prepared["merchant_prepare_id"],
    )  # fmt: skip
    wrong_sign["sign_string"] = click_sign(wrong_sign, 0)  # the Prepare formula
    assert (await post(client, COMPLETE, wrong_sign))["error"] == -1  # 4
    assert (await complete(client, order.id, prepared, amount="300"))["error"] == -2  # 5
    assert await balance(db, FAN) == 0
    confirmed = await complete(client, order.id, prepared)  # 6
    assert confirmed["error"] == 0
    assert confirmed["merchant_confirm_id"] == prepared["merchant_prepare_id"]
    assert await balance(db, FAN) == CREDITS
    assert (await complete(client, order.id, prepared))["error"] == -4  # 7
    # 8: Click cancelling a confirmed payment: −4, as both official libraries answer.
    assert (await complete(client, order.id, prepared, error=-5017))["error"] == -4
    assert await balance(db, FAN) == CREDITS

    second = await new_order(db, FAN, "click")
    again = await prepare(client, second.id)  # 9
    assert again["error"] == 0
    assert (await complete(client, second.id, again, prepare_id=999_999_999))["error"] == -6  # 10
    assert (await complete(client, second.id, again))["error"] == 0  # 11
    assert await balance(db, FAN) == 2 * CREDITS

    third = await new_order(db, FAN, "click")
    to_cancel = await prepare(client, third.id)  # 12
    assert to_cancel["error"] == 0
    assert (await complete(client, third.id, to_cancel, error=-5017))["error"] == -9  # 13
    assert (await complete(client, third.id, to_cancel, error=-5017))["error"] == -9  # 14
    assert (await complete(client, third.id, to_cancel))["error"] == -9  # 15
    assert await balance(db, FAN) == 2 * CREDITS
    assert await order_status(db, third.id) == "pending"  # the fan may pay it again


# Fields, signature, service, action ---------------------------------------------------------


@pytest.mark.parametrize("missing", [*click.PREPARE_FIELDS])
async def test_a_missing_prepare_field_is_8(client: Client, db: Sessions, missing: str) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0)
    del fields[missing]
    answer = await post(client, PREPARE, fields)
    assert answer["error"] == -8
    assert answer["error_note"] == "Error in request from click"
    assert await payments(db) == []


async def test_a_complete_without_merchant_prepare_id_is_8(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    prepared = await prepare(client, order.id)
    fields = fields_for(order.id, action=1, click_trans_id=str(prepared["click_trans_id"]))
    assert (await post(client, COMPLETE, fields))["error"] == -8
    assert await balance(db, FAN) == 0


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not a form at all",
        "\xff",
        "&".join(f"f{index}=1" for index in range(100)),
    ],
)
async def test_unreadable_forms_are_8(client: Client, body: str) -> None:
    response = await client.post(
        PREPARE, data=body.encode("latin-1"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status == 200
    assert (await response.json())["error"] == -8


async def test_a_repeated_field_is_8(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0)
    body = "&".join(f"{key}={value}" for key, value in fields.items()) + "&amount=1.00"
    response = await client.post(
        PREPARE, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (await response.json())["error"] == -8


async def test_the_signature_is_over_the_amount_exactly_as_sent(
    client: Client, db: Sessions
) -> None:
    for amount in ("15000", "15000.0", "15000.00"):
        order = await new_order(db, FAN, "click")
        assert (await prepare(client, order.id, amount=amount))["error"] == 0
    order = await new_order(db, FAN, "click")
    reformatted = fields_for(order.id, action=0, amount="15000")
    reformatted["amount"] = "15000.00"  # signed as "15000"
    assert (await post(client, PREPARE, reformatted))["error"] == -1
    upper = fields_for(order.id, action=0)
    upper["sign_string"] = upper["sign_string"].upper()
    assert (await post(client, PREPARE, upper))["error"] == 0


async def test_click_without_a_secret_refuses_everyone(settings: Settings, db: Sessions) -> None:
    await add_user(db, FAN)
    await add_package(db)
    order = await new_order(db, FAN, "click")
    async with web_client(settings, click_secret_key=None) as unset:
        answer = await prepare(unset, order.id)
    assert answer["error"] == -1


async def test_another_service_is_8(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0, sign=False)
    fields["service_id"] = "9999"
    fields["sign_string"] = click_sign(fields, 0)
    assert (await post(client, PREPARE, fields))["error"] == -8


@pytest.mark.parametrize(("path", "action"), [(PREPARE, "1"), (COMPLETE, "0"), (PREPARE, "x")])
async def test_the_wrong_action_is_3(client: Client, db: Sessions, path: str, action: str) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0, prepare_id=1, sign=False)
    fields["action"] = action
    fields["sign_string"] = click_sign(fields, 1 if path == COMPLETE else 0)
    assert (await post(client, path, fields))["error"] == -3


# Orders and amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    ["1500000", "1500000.00", "15000.01", "14999.99", "15000.001", "1.5e4", "15 000", "-15000",
     "abc", "", "Infinity", "NaN"],
)  # fmt: skip
async def test_wrong_amounts_are_2(client: Client, db: Sessions, amount: str) -> None:
    order = await new_order(db, FAN, "click")
    assert (await prepare(client, order.id, amount=amount))["error"] == -2
    prepared = await prepare(client, order.id)
    assert (await complete(client, order.id, prepared, amount=amount))["error"] == -2
    assert await balance(db, FAN) == 0


@pytest.mark.parametrize("order_id", ["999999", "abc", "", "0", "-1"])
async def test_unknown_orders_are_5(client: Client, order_id: str) -> None:
    answer = await prepare(client, order_id)
    assert answer["error"] == -5
    assert answer["error_note"] == "User does not exist"


async def test_orders_for_other_providers_are_5(client: Client, db: Sessions) -> None:
    payme_order = await new_order(db, FAN, "payme")
    assert (await prepare(client, payme_order.id))["error"] == -5


async def test_prepare_for_a_paid_order_is_4_and_for_a_closed_one_9(
    client: Client, db: Sessions
) -> None:
    paid = await new_order(db, FAN, "click")
    prepared = await prepare(client, paid.id)
    assert (await complete(client, paid.id, prepared))["error"] == 0
    assert (await prepare(client, paid.id))["error"] == -4

    expired = await new_order(db, FAN, "click")
    async with db() as session:
        await session.execute(
            sa.update(Order)
            .where(Order.id == expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert (await prepare(client, expired.id))["error"] == -9


@pytest.mark.parametrize("which", ["unknown", "other order", "other click transaction"])
async def test_complete_naming_the_wrong_reservation_is_6(
    client: Client, db: Sessions, which: str
) -> None:
    order = await new_order(db, FAN, "click")
    other = await new_order(db, FAN, "click")
    prepared = await prepare(client, order.id)
    elsewhere = await prepare(client, other.id)
    if which == "unknown":
        answer = await complete(client, order.id, prepared, prepare_id=424242424)
    elif which == "other order":
        other_id = elsewhere["merchant_prepare_id"]
        answer = await complete(client, order.id, prepared, prepare_id=other_id)
    else:
        answer = await complete(client, order.id, prepared, click_trans_id="77")
    assert answer["error"] == -6
    assert await balance(db, FAN) == 0


# Repeats and concurrency --------------------------------------------------------------------


async def test_a_repeated_prepare_returns_the_same_reservation(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0)
    first = await post(client, PREPARE, fields)
    assert await post(client, PREPARE, fields) == first
    assert len(await payments(db)) == 1


async def test_20_concurrent_identical_prepares_make_one_reservation(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0)
    answers = await asyncio.gather(*(post(client, PREPARE, fields) for _ in range(20)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["error"] == 0
    assert len(await payments(db)) == 1


async def test_20_concurrent_identical_completes_credit_once(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    prepared = await prepare(client, order.id)
    fields = fields_for(
        order.id, action=1, click_trans_id=str(prepared["click_trans_id"]),
        prepare_id=prepared["merchant_prepare_id"],
    )  # fmt: skip
    answers = await asyncio.gather(*(post(client, COMPLETE, fields) for _ in range(20)))
    assert sorted(answer["error"] for answer in answers) == [-4] * 19 + [0]
    assert await balance(db, FAN) == CREDITS
    assert (await audit_actions(db)).count("order.paid") == 1
    (payment,) = await payments(db)
    assert payment.provider_state == "confirmed"
    assert [call["payload"]["action"] for call in payment.raw["calls"]][:2] == [
        "prepare",
        "complete",
    ]
    assert payment.raw["calls"][1]["payload"]["fields"] == fields


async def test_two_click_payments_for_one_order_credit_once(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    first = await prepare(client, order.id)
    second = await prepare(client, order.id)
    assert first["merchant_prepare_id"] != second["merchant_prepare_id"]
    assert (await complete(client, order.id, first))["error"] == 0
    assert (await complete(client, order.id, second))["error"] == -4
    assert await balance(db, FAN) == CREDITS


async def test_a_reservation_completes_after_the_orders_deadline(
    client: Client, db: Sessions
) -> None:
    order = await new_order(db, FAN, "click")
    prepared = await prepare(client, order.id)
    async with db() as session:
        await session.execute(
            sa.update(Order).values(expires_at=utcnow() - timedelta(minutes=1), status="expired")
        )
        await session.commit()
    assert (await complete(client, order.id, prepared))["error"] == 0
    assert await balance(db, FAN) == CREDITS
    assert await order_status(db, order.id) == "paid"


async def test_huge_bodies_are_413(client: Client, db: Sessions) -> None:
    from stario.webapp.click import MAX_BODY_BYTES

    order = await new_order(db, FAN, "click")
    fields = fields_for(order.id, action=0)
    fields["error_note"] = "x" * MAX_BODY_BYTES
    assert (await client.post(PREPARE, data=fields)).status == 413
    assert (await client.post(COMPLETE, data=fields)).status == 413
    assert await payments(db) == []


async def test_state_changes_are_audited(client: Client, db: Sessions) -> None:
    order = await new_order(db, FAN, "click")
    prepared = await prepare(client, order.id)
    await complete(client, order.id, prepared)
    cancelled_order = await new_order(db, FAN, "click")
    cancelled = await prepare(client, cancelled_order.id)
    await complete(client, cancelled_order.id, cancelled, error=-1)
    assert await audit_actions(db) == [
        "order.created",
        "payment.created",
        "order.paid",  # it records the payment's prepared -> confirmed too
        "order.created",
        "payment.created",
        "payment.cancelled",
    ]


# Payment link -------------------------------------------------------------------------------


def test_payment_link_carries_the_order_and_the_amount_in_soums() -> None:
    config = click.ClickConfig(
        service_id=CLICK_SERVICE_ID, merchant_id=CLICK_MERCHANT_ID, secret_key="s"
    )
    link = click.payment_link(
        config, order_id=42, amount_uzs=PRICE_UZS, return_url="https://t.me/stario_bot"
    )
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://my.click.uz/services/pay"
    assert parse_qs(parts.query) == {
        "service_id": [CLICK_SERVICE_ID],
        "merchant_id": [CLICK_MERCHANT_ID],
        "amount": ["15000.00"],
        "transaction_param": ["42"],
        "return_url": ["https://t.me/stario_bot"],
    }


def test_sign_string_is_over_the_values_as_given() -> None:
    fields = {
        "click_trans_id": "1", "service_id": "2", "merchant_trans_id": "3",
        "amount": "1000.00", "action": "0", "sign_time": "2019-10-01 10:00:00",
    }  # fmt: skip
    signed = click.sign_string(fields, "secret", 0)
    assert signed == click_sign(fields, 0, "secret")
    assert signed != click.sign_string({**fields, "amount": "1000"}, "secret", 0)
