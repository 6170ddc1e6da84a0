"""The aiohttp application of `stario web` (DESIGN §4)."""

from __future__ import annotations

from aiogram import Dispatcher
from aiohttp import web
from prometheus_client import CollectorRegistry

from stario.core.runtime import Runtime
from stario.webapp import click, files, health, miniapp, miniapp_quiz, payme, telegram


def create_app(runtime: Runtime, *, dispatcher: Dispatcher | None = None) -> web.Application:
    """The web app. In webhook mode (WEBHOOK_URL and BOT_TOKEN set) it also serves
    POST /telegram/webhook, feeding `dispatcher` (the composition root builds it with
    `stario.bot.factory.create_dispatcher`; webapp imports nothing of the bot's)."""
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
    payme.setup(app)  # POST /payments/payme
    click.setup(app)  # POST /payments/click/prepare, /payments/click/complete
    miniapp.setup(app)  # POST /api/orders
    miniapp_quiz.setup(app)  # POST /api/quiz/selfie, /api/quiz
    if telegram.webhook_mode(runtime.settings):
        if dispatcher is None:
            raise ValueError("webhook mode needs the bot's dispatcher: create_app(dispatcher=...)")
        telegram.setup(app, runtime.settings, dispatcher)
    return app
