"""Operators' endpoints: liveness, readiness (database and Redis) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from redis.asyncio import Redis

from stario.core.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)
REGISTRY = web.AppKey("registry", CollectorRegistry)
CHECK_TIMEOUT_S = 2.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    checks = {"database": await _check(_database_ready(runtime))}
    if runtime.settings.redis_url:
        checks["redis"] = await _check(_redis_ready(runtime.settings.redis_url))
    ready = all(result == "ok" for result in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def metrics_middleware(
    registry: CollectorRegistry,
) -> Callable[..., Awaitable[web.StreamResponse]]:
    requests = Counter(
        "stario_http_requests",
        "HTTP requests served, by route and status.",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "stario_http_request_seconds",
        "HTTP request latency, by route.",
        ["route"],
        registry=registry,
    )

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            latency.labels(name).observe(time.perf_counter() - started)
            requests.labels(request.method, name, str(status)).inc()

    return middleware


async def _check(probe: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except TimeoutError:
        return "timeout"
    except Exception as error:  # a readiness probe reports every failure, it never raises
        return f"error: {error.__class__.__name__}"
    return "ok"


async def _database_ready(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        await connection.execute(sa.text("SELECT 1"))


async def _redis_ready(url: str) -> None:
    client: Redis = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()
