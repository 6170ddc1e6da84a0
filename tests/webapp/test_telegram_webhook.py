"""Webhook mode: `stario web` sets the webhook at start and feeds POST /telegram/webhook to the
bot's dispatcher, only with the right secret token. Real HTTP both ways (the fake Bot API
delivers updates to the app), real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.bot.factory import create_dispatcher
from stario.core.i18n import Translator
from stario.core.runtime import Runtime, build_runtime
from stario.core.settings import Settings, SettingsError
from stario.models import User as UserRow
from stario.webapp.app import create_app
from tests.fakes import FakeTelegram, User

Client = TestClient[web.Request, web.Application]
Sessions = async_sessionmaker[AsyncSession]
SECRET = "s3cret_Token-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Webhook:
    client: Client
    tg: FakeTelegram
    runtime: Runtime
    url: str
    translator: Translator


@pytest.fixture
async def hook(settings: Settings, redis_url: str, db: Sessions) -> AsyncIterator[Webhook]:
    prefix = f"stario-test:{uuid.uuid4().hex[:12]}"
    async with FakeTelegram() as tg:
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        configured = settings.model_copy(
            update={
                "redis_url": redis_url,
                "telegram_api_url": tg.url,
                "webhook_url": url,
                "webhook_secret": SecretStr(SECRET),
            }
        )
        runtime = await build_runtime(configured)
        dispatcher = create_dispatcher(runtime, redis_prefix=prefix)
        app = create_app(runtime, dispatcher=dispatcher)
        client = TestClient(TestServer(app, host="127.0.0.1", port=port))
        await client.start_server()
        try:
            yield Webhook(client, tg, runtime, url, dispatcher["translator"])
        finally:
            await client.close()
            await runtime.close()
            redis = Redis.from_url(redis_url)
            keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


def start_update(update_id: int, fan: User) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "from": fan.to_dict(),
            "chat": {"id": fan.id, "type": "private", "first_name": fan.first_name},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def users_in(db: Sessions) -> list[int]:
    async with db() as session:
        return list(await session.scalars(sa.select(UserRow.id)))


async def test_start_sets_the_webhook_with_the_secret_and_the_commands(hook: Webhook) -> None:
    assert hook.tg.webhook is not None
    assert hook.tg.webhook["url"] == hook.url
    assert hook.tg.webhook["secret_token"] == SECRET
    assert "message" in hook.tg.webhook["allowed_updates"]
    assert "callback_query" in hook.tg.webhook["allowed_updates"]
    assert "start" in hook.tg.my_commands("all_private_chats", "uz")


async def test_updates_delivered_by_telegram_are_processed(hook: Webhook, db: Sessions) -> None:
    fan = User(id=9101, first_name="Madina", language_code="ru")
    update = hook.tg.message(fan, "/start")

    reply = await hook.tg.wait_for("sendMessage")
    for _ in range(200):  # the delivery is recorded when our response reaches the fake
        if hook.tg.webhook_deliveries:
            break
        await asyncio.sleep(0.01)

    assert reply.params["chat_id"] == fan.id
    assert reply.params["text"] == hook.translator.get("ru", "lang-choose-first")
    assert hook.tg.webhook_deliveries == [(update["update_id"], 200)]
    assert await users_in(db) == [fan.id]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}],
)
async def test_a_wrong_or_missing_secret_is_401_and_nothing_is_processed(
    hook: Webhook, db: Sessions, headers: dict[str, str]
) -> None:
    response = await hook.client.post(
        "/telegram/webhook", json=start_update(500, User(id=9102)), headers=headers
    )
    assert response.status == 401
    assert not hook.tg.calls_of("sendMessage")
    assert await users_in(db) == []


async def test_a_repeated_post_of_one_update_is_processed_once(
    hook: Webhook, db: Sessions
) -> None:
    update = start_update(501, User(id=9103, language_code="en"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    first = await hook.client.post("/telegram/webhook", json=update, headers=headers)
    second = await hook.client.post("/telegram/webhook", json=update, headers=headers)

    assert (first.status, second.status) == (200, 200)
    assert hook.tg.sent_texts(9103) == [hook.translator.get("en", "lang-choose-first")]


async def test_a_body_that_is_not_an_update_is_400(hook: Webhook) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    not_json = await hook.client.post("/telegram/webhook", data=b"{oops", headers=headers)
    not_update = await hook.client.post("/telegram/webhook", json=[1, 2], headers=headers)
    assert (not_json.status, not_update.status) == (400, 400)


async def test_no_webhook_route_without_webhook_url_and_no_start_without_a_secret(
    settings: Settings, db: Sessions
) -> None:
    runtime = await build_runtime(settings)
    try:
        client = TestClient(TestServer(create_app(runtime)))
        await client.start_server()
        try:
            response = await client.post("/telegram/webhook", json={"update_id": 1})
            assert response.status in (404, 405)
        finally:
            await client.close()

        no_secret = settings.model_copy(update={"webhook_url": "https://bot.example/tg"})
        runtime.settings = no_secret
        dispatcher = create_dispatcher(runtime)
        with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
            create_app(runtime, dispatcher=dispatcher)
    finally:
        await runtime.close()
