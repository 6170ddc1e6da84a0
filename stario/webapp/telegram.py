"""POST /telegram/webhook: Telegram's updates in webhook mode (DESIGN §4).

Served when WEBHOOK_URL and BOT_TOKEN are set. Each request must carry
`X-Telegram-Bot-Api-Secret-Token` equal to WEBHOOK_SECRET (compared in constant time; anything
else is 401 and nothing is processed). The update is handled within the request by the bot's
dispatcher (the same factory polling uses, passed in by the composition root, so this package
imports nothing of the bot's), so Telegram retries only what was not answered; a retried
update is dropped by the dispatcher's duplicate guard. At start the app calls setWebhook with
the URL and the secret; it never deletes the webhook (other replicas may still serve it).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from stario.core.adapters.telegram import make_bot
from stario.core.settings import Settings, SettingsError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Updates Telegram sends at once (its default, said explicitly): the bound on what one
# process handles concurrently, which its Redis and database pools are sized for.
MAX_CONNECTIONS = 40
# Updates handled at once; the others wait their turn here. Handling more at once does not
# finish them sooner: each then costs more CPU (more database sessions and Redis connections
# in play), so under load the bot slows itself down (measured: 2.0 → 2.9 ms of CPU an update).
HANDLING_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class TelegramWebhook:
    dispatcher: Dispatcher
    bot: Bot
    url: str
    secret: str
    handling: asyncio.Semaphore


WEBHOOK = web.AppKey("telegram_webhook", TelegramWebhook)


def webhook_mode(settings: Settings) -> bool:
    """True when `stario web` receives the bot's updates (WEBHOOK_URL and BOT_TOKEN set)."""
    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    return bool(settings.webhook_url and token)


def setup(app: web.Application, settings: Settings, dispatcher: Dispatcher) -> None:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not _SECRET_FORMAT.match(secret):
        raise SettingsError(
            "WEBHOOK_SECRET", "must be set with WEBHOOK_URL: 1-256 characters of A-Z a-z 0-9 _ -"
        )
    if not settings.webhook_url:
        raise SettingsError("WEBHOOK_URL", "is required for the Telegram webhook")
    bot = make_bot(settings.require_bot_token(), settings.telegram_api_url)
    app[WEBHOOK] = TelegramWebhook(
        dispatcher, bot, settings.webhook_url, secret, asyncio.Semaphore(HANDLING_CONCURRENCY)
    )
    app.router.add_post(WEBHOOK_PATH, receive)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)


async def receive(request: web.Request) -> web.Response:
    hook = request.app[WEBHOOK]
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, hook.secret.encode()):
        log.warning("webhook call with a wrong secret token from %s", request.remote)
        return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
    try:
        update = Update.model_validate_json(await request.read(), context={"bot": hook.bot})
    except (ValueError, ValidationError):  # not JSON, or not an Update
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    try:
        async with hook.handling:
            result = await hook.dispatcher.feed_update(hook.bot, update)
    except Exception:  # the errors handler has answered the fan where it could
        log.exception("update %s failed", update.update_id)
    else:
        if isinstance(result, TelegramMethod):
            await hook.dispatcher.silent_call_request(hook.bot, result)
    return web.json_response({"ok": True})


async def _start(app: web.Application) -> None:
    hook = app[WEBHOOK]
    dispatcher = hook.dispatcher
    try:
        await hook.bot.set_webhook(
            hook.url,
            secret_token=hook.secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            max_connections=MAX_CONNECTIONS,
        )
        log.info("Telegram webhook set: updates arrive on %s", WEBHOOK_PATH)
    except TelegramAPIError as error:  # the rest of the web app still serves
        log.error("could not set the Telegram webhook: %s", error)
    await dispatcher.emit_startup(bot=hook.bot, dispatcher=dispatcher, **dispatcher.workflow_data)


async def _stop(app: web.Application) -> None:
    hook = app[WEBHOOK]
    dispatcher = hook.dispatcher
    try:
        await dispatcher.emit_shutdown(
            bot=hook.bot, dispatcher=dispatcher, **dispatcher.workflow_data
        )
    finally:
        await hook.bot.session.close()
