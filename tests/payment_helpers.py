"""Shared by the payment tests: packages, orders, a web client with Payme and Click set up."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.runtime import build_runtime
from stario.core.services import orders
from stario.core.services.orders import OrderPolicy, OrderView
from stario.core.settings import Settings
from stario.models import AuditLog, CreditPackage, Payment, User
from stario.webapp.app import create_app

Client = TestClient[web.Request, web.Application]
Sessions = async_sessionmaker[AsyncSession]

PAYME_MERCHANT_ID = "587f72c72cac0d162c722ae2"
PAYME_KEY = "Kx9#test-payme-key-of-36-characters!"
CLICK_SERVICE_ID = "4242"
CLICK_MERCHANT_ID = "1717"
CLICK_SECRET_KEY = "click-secret-for-tests"
PRICE_UZS = 15_000
PRICE_TIYIN = PRICE_UZS * 100
CREDITS = 5


def payment_settings(settings: Settings, **overrides: Any) -> Settings:
    """`settings` with Payme and Click configured (model_copy does not validate: secrets are
    given as SecretStr, as the app expects)."""
    return settings.model_copy(
        update={
            "payme_merchant_id": PAYME_MERCHANT_ID,
            "payme_key": SecretStr(PAYME_KEY),
            "click_service_id": CLICK_SERVICE_ID,
            "click_merchant_id": CLICK_MERCHANT_ID,
            "click_secret_key": SecretStr(CLICK_SECRET_KEY),
            **overrides,
        }
    )


@asynccontextmanager
async def web_client(settings: Settings, **overrides: Any) -> AsyncIterator[Client]:
    """`stario web`'s app on a real socket, with Payme and Click configured."""
    runtime = await build_runtime(payment_settings(settings, **overrides))
    client = TestClient(TestServer(create_app(runtime)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await runtime.close()


async def add_package(
    db: Sessions,
    code: str = "start",
    *,
    credits: int = CREDITS,
    price_uzs: int = PRICE_UZS,
    price_stars: int = 50,
    active: bool = True,
) -> None:
    async with db() as session:
        session.add(
            CreditPackage(
                code=code,
                credits=credits,
                price_uzs=price_uzs,
                price_stars=price_stars,
                is_active=active,
            )
        )
        await session.commit()


async def new_order(
    db: Sessions,
    user_id: int,
    provider: str,
    *,
    package: str = "start",
    policy: OrderPolicy | None = None,
) -> OrderView:
    async with db() as session:
        return await orders.create_order(
            session,
            user_id=user_id,
            package_code=package,
            provider=provider,
            policy=policy or OrderPolicy(),
        )


async def balance(db: Sessions, user_id: int) -> int:
    async with db() as session:
        value = await session.scalar(sa.select(User.balance).where(User.id == user_id))
    assert value is not None
    return value


async def order_status(db: Sessions, order_id: int) -> str:
    async with db() as session:
        view = await orders.get_order(session, order_id)
    assert view is not None
    return view.status.value


async def payments(db: Sessions) -> list[Payment]:
    async with db() as session:
        return list(await session.scalars(sa.select(Payment).order_by(Payment.id)))


async def audit_actions(db: Sessions) -> list[str]:
    async with db() as session:
        return list(await session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def basic_auth(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


PAYME_AUTH = basic_auth("Paycom", PAYME_KEY)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def click_sign(fields: dict[str, str], action: int, secret: str = CLICK_SECRET_KEY) -> str:
    prepare_id = fields.get("merchant_prepare_id", "") if action == 1 else ""
    text = (
        fields["click_trans_id"] + fields["service_id"] + secret + fields["merchant_trans_id"]
        + prepare_id + fields["amount"] + fields["action"] + fields["sign_time"]
    )  # fmt: skip
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
