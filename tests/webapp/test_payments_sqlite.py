"""`stario dev` takes payments too: Payme and Click over HTTP on a migrated SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stario.core.settings import Settings
from stario.models.db import create_engine, create_session_factory
from stario.models.migrate import upgrade_to_head
from tests.factories import add_user
from tests.payment_helpers import (
    CLICK_SERVICE_ID,
    CREDITS,
    PAYME_AUTH,
    PRICE_TIYIN,
    PRICE_UZS,
    Client,
    Sessions,
    add_package,
    balance,
    click_sign,
    new_order,
    now_ms,
    web_client,
)

FAN = 100


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[tuple[str, Sessions]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    await add_user(sessions, FAN)
    await add_package(sessions)
    yield url, sessions
    await engine.dispose()


async def payme(client: Client, method: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/payments/payme",
        json={"method": method, "params": params, "id": 1},
        headers={"Authorization": PAYME_AUTH},
    )
    answer: dict[str, Any] = await response.json()
    return answer


async def test_payme_and_click_on_sqlite(settings: Settings, sqlite: tuple[str, Sessions]) -> None:
    url, sessions = sqlite
    payme_order = await new_order(sessions, FAN, "payme")
    click_order = await new_order(sessions, FAN, "click")
    async with web_client(settings, database_url=url) as client:
        account = {"order_id": str(payme_order.id)}
        checked = await payme(
            client, "CheckPerformTransaction", {"amount": PRICE_TIYIN, "account": account}
        )
        assert checked["result"] == {"allow": True}
        params = {"id": "a" * 24, "time": now_ms(), "amount": PRICE_TIYIN, "account": account}
        created = await payme(client, "CreateTransaction", params)
        assert created == await payme(client, "CreateTransaction", params)
        performed = await payme(client, "PerformTransaction", {"id": "a" * 24})
        assert performed["result"]["state"] == 2
        assert performed == await payme(client, "PerformTransaction", {"id": "a" * 24})
        assert await balance(sessions, FAN) == CREDITS

        fields = {
            "click_trans_id": "555", "service_id": CLICK_SERVICE_ID, "click_paydoc_id": "1",
            "merchant_trans_id": str(click_order.id), "amount": f"{PRICE_UZS}.00",
            "action": "0", "error": "0", "error_note": "Success",
            "sign_time": "2026-11-22 12:00:00",
        }  # fmt: skip
        prepared = await (
            await client.post(
                "/payments/click/prepare", data={**fields, "sign_string": click_sign(fields, 0)}
            )
        ).json()
        assert prepared["error"] == 0
        done = {
            **fields,
            "action": "1",
            "merchant_prepare_id": str(prepared["merchant_prepare_id"]),
        }
        completed = await (
            await client.post(
                "/payments/click/complete", data={**done, "sign_string": click_sign(done, 1)}
            )
        ).json()
        assert completed["error"] == 0

        refunded = await payme(client, "CancelTransaction", {"id": "a" * 24, "reason": 5})
        assert refunded["result"]["state"] == -2
    assert await balance(sessions, FAN) == CREDITS
