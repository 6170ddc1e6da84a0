"""The Mini App API over real HTTP: `POST /api/orders` authorised by `tma <initData>` (the spec's
published vectors, tampering, expiry), creating the pending order and its Stars invoice link
through the fake Bot API (same signed payload as the chat's invoice), or its Payme/Click link;
bad bodies, unknown packages and users, banned fans, Telegram failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from stario.core.i18n import Translator
from stario.core.services import init_data, stars
from stario.core.settings import Settings
from stario.models import Order
from tests.factories import add_user
from tests.fakes import FakeTelegram
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.payment_helpers import (
    CREDITS,
    PAYME_MERCHANT_ID,
    PRICE_TIYIN,
    PRICE_UZS,
    Client,
    Sessions,
    add_package,
    web_client,
)

FAN, BANNED, STRANGER = 500, 501, 502
STARS = 50
TEXTS = Translator()
VECTOR = (
    "auth_date=1650385342&user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Test%22%7D&query_id=test"
    "&hash=46d2ea5e32911ec8d30999b56247654460c0d20949b6277af519e76271182803"
)
VECTOR_WITH_SIGNATURE = (
    "auth_date=1650385342&user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Test%22%7D&query_id=test"
    "&signature=JQ0JR2tjC65yq_jNZV0wuJVX6J-SWPMV0mprUXG34g-NvxL4RcF1Rz5n4VVo00VRghEUBf5t___uoeb1"
    "-jU_Cw&hash=32c44202cf4c1790c2b4ee7681ba2b54db3e31c7546f66ec2a21ad75f99fb1b2"
)


def signed(
    user_id: int, *, token: str = DEFAULT_TOKEN, age_s: int = 5, language: str = "ru",
    extra: dict[str, str] | None = None,
) -> str:  # fmt: skip
    """initData as Telegram signs it for this bot (a direct-link launch: no query_id)."""
    user = {"id": user_id, "first_name": "Fan", "language_code": language}
    fields = {
        "auth_date": str(int(time.time()) - age_s),
        "chat_instance": "-8217638756",
        "chat_type": "sender",
        "user": json.dumps(user, separators=(",", ":")),
        **(extra or {}),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    digest = hmac.new(init_data.secret_key(token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


# The validator on its own ---------------------------------------------------------------------


def test_the_published_vectors() -> None:
    user = init_data.validate(VECTOR, "42:TEST", max_age_s=60, now=1650385342 + 10)
    assert (user.id, user.first_name, user.auth_date) == (42, "Test", 1650385342)
    with pytest.raises(init_data.InitDataError):
        init_data.validate(VECTOR, "42:INVALID", max_age_s=60, now=1650385342)
    # `signature` is a received field: it is part of the check string.
    assert init_data.validate(VECTOR_WITH_SIGNATURE, "42:TEST", max_age_s=60, now=1650385342)
    dropped = VECTOR_WITH_SIGNATURE.rsplit("&hash=", 1)[0] + "&hash=" + VECTOR.rsplit("=", 1)[1]
    with pytest.raises(init_data.InitDataError):
        init_data.validate(dropped, "42:TEST", max_age_s=60, now=1650385342)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (VECTOR.replace("query_id=test", "query_id=tesT"), "invalid"),
        (VECTOR.replace("%22id%22%3A42", "%22id%22%3A43"), "invalid"),
        (VECTOR.split("&hash=")[0], "invalid"),
        (VECTOR + "&query_id=again", "invalid"),
        ("", "invalid"),
        ("%%%", "invalid"),
        ("a" * 9000, "invalid"),
    ],
)
def test_tampered_or_malformed_init_data_is_refused(text: str, reason: str) -> None:
    with pytest.raises(init_data.InitDataError) as refused:
        init_data.validate(text, "42:TEST", max_age_s=60, now=1650385342)
    assert refused.value.reason == reason


def test_freshness() -> None:
    assert init_data.validate(signed(FAN, age_s=100), DEFAULT_TOKEN, max_age_s=101).id == FAN
    with pytest.raises(init_data.InitDataError) as old:
        init_data.validate(signed(FAN, age_s=100), DEFAULT_TOKEN, max_age_s=90)
    assert old.value.reason == "expired"
    with pytest.raises(init_data.InitDataError) as future:
        init_data.validate(signed(FAN, age_s=-3600), DEFAULT_TOKEN, max_age_s=90)
    assert future.value.reason == "invalid"
    no_user = signed(FAN, extra={"user": "[1]"})
    with pytest.raises(init_data.InitDataError):
        init_data.validate(no_user, DEFAULT_TOKEN, max_age_s=90)


# POST /api/orders over HTTP ------------------------------------------------------------------


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def client(settings: Settings, db: Sessions, tg: FakeTelegram) -> AsyncIterator[Client]:
    await add_user(db, FAN, language="ru")
    await add_user(db, BANNED, banned=True)
    await add_package(db, price_stars=STARS)
    await add_package(db, "old", active=False)
    async with web_client(
        settings, telegram_api_url=tg.url, miniapp_init_data_ttl_s=3600
    ) as running:
        yield running


async def post(
    client: Client, body: Any, init: str | None, *, raw: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if init is not None:
        headers["Authorization"] = f"tma {init}"
    data = raw if raw is not None else json.dumps(body).encode()
    async with client.post("/api/orders", data=data, headers=headers) as response:
        return response.status, await response.json()


async def order_count(db: Sessions) -> int:
    async with db() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0)


async def test_stars_order_gets_an_invoice_link_with_the_signed_payload(
    client: Client, db: Sessions, tg: FakeTelegram, settings: Settings
) -> None:
    status, body = await post(client, {"package": "start", "provider": "stars"}, signed(FAN))
    assert status == 201, body
    assert body["amounts"] == {"tiyin": PRICE_TIYIN, "uzs": PRICE_UZS, "stars": STARS}
    assert (body["status"], body["provider"], body["credits"]) == ("pending", "stars", CREDITS)
    params = tg.invoice_links[body["link"]]
    assert params["currency"] == "XTR"
    assert params.get("provider_token", "") == ""
    assert [price["amount"] for price in params["prices"]] == [STARS]
    assert params["title"] == TEXTS.get("ru", "payments-invoice-title", credits=CREDITS)
    secret = stars.payments_secret(settings)
    invoice = stars.verify_payload(secret, str(params["payload"]), FAN)
    assert invoice == stars.Invoice(body["order_id"], STARS)
    async with db() as session:  # the bot's pre-checkout accepts it
        assert (
            await stars.check_pre_checkout(
                session, FAN, str(params["payload"]), "XTR", STARS, secret=secret
            )
            is None
        )


async def test_payme_and_click_orders_get_their_checkout_links(client: Client) -> None:
    status, body = await post(client, {"package": "start", "provider": "payme"}, signed(FAN))
    assert status == 201, body
    encoded = body["link"].rsplit("/", 1)[1]
    decoded = base64.b64decode(encoded).decode()
    assert f"m={PAYME_MERCHANT_ID}" in decoded
    assert f"ac.order_id={body['order_id']}" in decoded
    assert f"a={PRICE_TIYIN}" in decoded
    status, body = await post(client, {"package": "start", "provider": "click"}, signed(FAN))
    assert status == 201, body
    assert "my.click.uz" in body["link"]
    assert f"transaction_param={body['order_id']}" in body["link"]


async def test_bad_or_expired_init_data_is_401_and_creates_nothing(
    client: Client, db: Sessions
) -> None:
    order = {"package": "start", "provider": "stars"}
    for init, code in (
        (None, "unauthorized"),
        (signed(FAN, token="123456:OTHER-token"), "unauthorized"),
        (signed(FAN).replace("chat_type=sender", "chat_type=group"), "unauthorized"),
        (signed(FAN, age_s=7200), "expired"),
        ("garbage", "unauthorized"),
    ):
        status, body = await post(client, order, init)
        assert (status, body["error"]) == (401, code), init
        assert body["message"]
    async with client.post(
        "/api/orders", json=order, headers={"Authorization": f"Bearer {signed(FAN)}"}
    ) as response:
        assert response.status == 401
    assert await order_count(db) == 0


async def test_bad_bodies_are_400_localised_and_create_nothing(
    client: Client, db: Sessions
) -> None:
    init = signed(FAN, language="uz")
    bodies: list[Any] = [
        [],
        "start",
        {"package": "start"},
        {"package": "start", "provider": "paypal"},
        {"package": "", "provider": "stars"},
        {"package": 5, "provider": "stars"},
        {"package": "x" * 33, "provider": "stars"},
    ]
    for body in bodies:
        status, answer = await post(client, body, init)
        assert (status, answer["error"]) == (400, "bad_request"), body
        assert answer["message"] == TEXTS.get("uz", "miniapp-error-bad-request")
    status, answer = await post(client, None, init, raw=b'{"package": "start", ')
    assert (status, answer["error"]) == (400, "bad_request")
    for package in ("nope", "old"):
        status, answer = await post(client, {"package": package, "provider": "stars"}, init)
        assert (status, answer["error"]) == (400, "package")
    async with client.post(
        "/api/orders", data=b"{" + b" " * 10_000 + b"}",
        headers={"Authorization": f"tma {init}"},
    ) as response:  # fmt: skip
        assert response.status == 413
    assert await order_count(db) == 0


async def test_unknown_and_banned_fans_are_403(client: Client, db: Sessions) -> None:
    order = {"package": "start", "provider": "stars"}
    status, body = await post(client, order, signed(STRANGER))
    assert (status, body["error"]) == (403, "unknown_user")
    status, body = await post(client, order, signed(BANNED))
    assert (status, body["error"]) == (403, "banned")
    assert await order_count(db) == 0


async def test_telegram_refusing_the_invoice_link_is_502(client: Client, tg: FakeTelegram) -> None:
    tg.fail_next("createInvoiceLink", status=400, description="Bad Request: STARS_INVOICE_INVALID")
    status, body = await post(client, {"package": "start", "provider": "stars"}, signed(FAN))
    assert (status, body["error"]) == (502, "telegram")
    status, body = await post(client, {"package": "start", "provider": "stars"}, signed(FAN))
    assert status == 201
