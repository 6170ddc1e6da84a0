"""Operators' endpoints over real HTTP, against real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.runtime import Runtime, build_runtime
from stario.core.settings import Settings
from stario.webapp.app import create_app
from stario.webapp.health import RUNTIME

Client = TestClient[web.Request, web.Application]


async def client_for(settings: Settings) -> tuple[Client, Runtime]:
    runtime = await build_runtime(settings)
    client = TestClient(TestServer(create_app(runtime)))
    await client.start_server()
    return client, runtime


@pytest.fixture
async def client(
    settings: Settings, redis_url: str, db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Client]:
    test_client, runtime = await client_for(settings.model_copy(update={"redis_url": redis_url}))
    yield test_client
    await test_client.close()
    await runtime.close()


async def test_healthz_is_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_checks_database_and_redis(client: Client) -> None:
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_down(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    test_client, runtime = await client_for(down)
    try:
        response = await test_client.get("/readyz")
        body = await response.json()
    finally:
        await test_client.close()
        await runtime.close()
    assert response.status == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")


async def test_metrics_are_prometheus_text_and_count_requests(
    client: Client,
) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    text = await response.text()
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert 'stario_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert "stario_http_request_seconds_bucket" in text


async def test_presigned_local_urls_upload_then_download(
    client: Client,
) -> None:
    storage = client.app[RUNTIME].storage
    put_url = urlsplit(await storage.presigned_put_url("selfies/a.jpg", timedelta(minutes=5)))
    uploaded = await client.put(f"{put_url.path}?{put_url.query}", data=b"\xff\xd8jpeg")
    assert uploaded.status == 200
    get_url = urlsplit(await storage.presigned_get_url("selfies/a.jpg", timedelta(minutes=5)))
    downloaded = await client.get(f"{get_url.path}?{get_url.query}")
    assert downloaded.status == 200
    assert await downloaded.read() == b"\xff\xd8jpeg"
    assert downloaded.content_type == "image/jpeg"


@pytest.mark.parametrize("tamper", ["signature=00", "expires=1", "method=PUT"])
async def test_tampered_or_expired_file_links_are_refused(client: Client, tamper: str) -> None:
    storage = client.app[RUNTIME].storage
    await storage.put("results/r.mp4", b"video")
    url = urlsplit(await storage.presigned_get_url("results/r.mp4", timedelta(minutes=5)))
    name = tamper.split("=")[0]
    query = "&".join(part for part in url.query.split("&") if not part.startswith(name + "="))
    response = await client.get(f"{url.path}?{query}&{tamper}")
    assert response.status == 403


async def test_get_link_cannot_be_used_to_upload(client: Client) -> None:
    storage = client.app[RUNTIME].storage
    url = urlsplit(await storage.presigned_get_url("x/y.jpg", timedelta(minutes=5)))
    response = await client.put(f"{url.path}?{url.query}", data=b"evil")
    assert response.status == 403
    assert not await storage.exists("x/y.jpg")
