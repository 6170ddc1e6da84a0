"""The Mini App API (DESIGN §4): `POST /api/orders` starts buying a credit package.

Every request carries `Authorization: tma <initData>`, validated with the bot token
(`stario.core.services.init_data`; at most MINIAPP_INIT_DATA_TTL_S old). The body is JSON
`{"package": CODE, "provider": "stars"|"payme"|"click"}` (at most MAX_BODY_BYTES, 413 above,
before parsing). The answer (201) is `{order_id, status, package, provider, credits, amounts:
{tiyin, uzs, stars}, link, expires_at}`: for Stars `link` is a createInvoiceLink invoice (the
front opens it with `Telegram.WebApp.openInvoice`; credits arrive with the bot's
successful_payment, never on the client's "paid"), for Payme and Click the checkout link.

Errors are JSON `{"error": code, "message": text in the fan's language}`: 401 `unauthorized`
or `expired` (initData), 400 `bad_request` (body) or `package`, 403 `unknown_user` (never
started the bot) or `banned`, 503 `provider` (not configured here), 502 `telegram`
(createInvoiceLink failed; the pending order just expires).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot
from aiohttp import web

from stario.core.adapters.telegram import bot_from_settings
from stario.core.adapters.telegram_stars import BotInvoiceLinks
from stario.core.errors import NotFoundError, UserBannedError, ValidationFailed
from stario.core.i18n import Translator
from stario.core.services import checkout, init_data
from stario.core.services.orders import PackageNotFoundError
from stario.core.settings import LANGUAGES, Settings
from stario.models import PaymentProvider
from stario.webapp.health import RUNTIME
from stario.webapp.limits import read_body

ORDERS_PATH = "/api/orders"
MAX_BODY_BYTES = 4 * 1024
MAX_PACKAGE_CODE = 32
AUTH_SCHEME = "tma "

BOT = web.AppKey("miniapp_bot", Bot)
TRANSLATOR = web.AppKey("miniapp_translator", Translator)


def setup(app: web.Application) -> None:
    app[TRANSLATOR] = Translator(app[RUNTIME].settings.default_language)
    app.cleanup_ctx.append(_bot_context)
    app.router.add_post(ORDERS_PATH, create_order)


async def _bot_context(app: web.Application) -> AsyncIterator[None]:
    bot = bot_from_settings(app[RUNTIME].settings)
    if bot is not None:
        app[BOT] = bot
    yield
    if bot is not None:
        await bot.session.close()


class Refused(Exception):
    """An answer other than success: HTTP status, error code, Fluent key, and the key's
    arguments (`details`, which the JSON answer carries too)."""

    def __init__(self, status: int, code: str, key: str, **details: int) -> None:
        super().__init__(code)
        self.status, self.code, self.key, self.details = status, code, key, details


async def create_order(request: web.Request) -> web.Response:
    settings: Settings = request.app[RUNTIME].settings
    language: str = settings.default_language
    try:
        user = authorised(request)
        if user.language_code in LANGUAGES:
            language = user.language_code
        package, provider = _order_request(await read_body(request, MAX_BODY_BYTES))
        started = await _start(request, user, package, provider, language)
    except Refused as refused:
        message = request.app[TRANSLATOR].get(language, refused.key)
        return web.json_response(
            {"error": refused.code, "message": message}, status=refused.status, dumps=dumps
        )
    order = started.order
    return web.json_response(
        {
            "order_id": order.id,
            "status": order.status.value,
            "package": order.package_code,
            "provider": order.provider.value,
            "credits": order.credits,
            "amounts": {
                "tiyin": order.amount_tiyin,
                "uzs": order.amount_uzs,
                "stars": order.amount_stars,
            },
            "link": started.link,
            "expires_at": order.expires_at.isoformat(),
        },
        status=201,
        dumps=dumps,
    )


def authorised(request: web.Request) -> init_data.WebAppUser:
    """The fan the request's initData vouches for; Refused (401, or 503 without a bot)."""
    settings: Settings = request.app[RUNTIME].settings
    header = request.headers.get("Authorization", "")
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        raise Refused(503, "provider", "miniapp-error-provider")
    if not header.startswith(AUTH_SCHEME):
        raise Refused(401, "unauthorized", "miniapp-error-unauthorized")
    try:
        return init_data.validate(
            header.removeprefix(AUTH_SCHEME),
            settings.bot_token.get_secret_value(),
            max_age_s=settings.miniapp_init_data_ttl_s,
        )
    except init_data.InitDataError as error:
        if error.reason == "expired":
            raise Refused(401, "expired", "miniapp-error-expired") from None
        raise Refused(401, "unauthorized", "miniapp-error-unauthorized") from None


def json_object(body: bytes) -> dict[str, Any]:
    """The request's JSON object, or Refused 400 `bad_request`."""
    try:
        parsed: Any = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict):
        raise Refused(400, "bad_request", "miniapp-error-bad-request")
    return parsed


def _order_request(body: bytes) -> tuple[str, str]:
    bad = Refused(400, "bad_request", "miniapp-error-bad-request")
    parsed = json_object(body)
    package, provider = parsed.get("package"), parsed.get("provider")
    if not isinstance(package, str) or not 0 < len(package) <= MAX_PACKAGE_CODE:
        raise bad
    if provider not in {member.value for member in PaymentProvider}:
        raise bad
    return package, str(provider)


async def _start(
    request: web.Request,
    user: init_data.WebAppUser,
    package: str,
    provider: str,
    language: str,
) -> checkout.StartedCheckout:
    runtime = request.app[RUNTIME]
    bot = request.app.get(BOT)
    texts = request.app[TRANSLATOR]

    def t(key: str, **args: object) -> str:
        return texts.get(language, key, **args)

    try:
        async with runtime.sessions() as session:
            return await checkout.start_checkout(
                session, user_id=user.id, package_code=package, provider=provider,
                settings=runtime.settings, texts=t,
                invoice_links=BotInvoiceLinks(bot) if bot is not None else None,
                language=language,
            )  # fmt: skip
    except PackageNotFoundError:
        raise Refused(400, "package", "miniapp-error-package") from None
    except NotFoundError:
        raise Refused(403, "unknown_user", "miniapp-error-unknown-user") from None
    except UserBannedError:
        raise Refused(403, "banned", "miniapp-error-banned") from None
    except ValidationFailed:
        raise Refused(400, "bad_request", "miniapp-error-bad-request") from None
    except checkout.ProviderUnavailableError:
        raise Refused(503, "provider", "miniapp-error-provider") from None
    except checkout.InvoiceLinkError:
        raise Refused(502, "telegram", "miniapp-error-telegram") from None


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
