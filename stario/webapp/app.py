"""The aiohttp application of `stario web` (DESIGN §4)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry

from stario.core.runtime import Runtime
from stario.webapp import files, health


def create_app(runtime: Runtime) -> web.Application:
    registry = CollectorRegistry()
    app = web.Application(
        middlewares=[health.metrics_middleware(registry)],
        client_max_size=files.MAX_UPLOAD_BYTES + 1024,
    )
    app[health.RUNTIME] = runtime
    app[health.REGISTRY] = registry
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/files/{key:.+}", files.get_file)
    app.router.add_put("/files/{key:.+}", files.put_file)
    return app
