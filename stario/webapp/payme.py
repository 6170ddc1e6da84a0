"""POST /payments/payme: the Payme Merchant API endpoint (DESIGN §4, payments-spec §1).

Thin: size limit (413 above MAX_BODY_BYTES, before parsing), JSON, then the use case in
`stario.core.services.payme`, whose JSON-RPC answer goes back with HTTP 200 whatever it says.
"""

from __future__ import annotations

import json

from aiohttp import web

from stario.core.services import payme
from stario.core.services.orders import OrderPolicy
from stario.webapp.health import RUNTIME
from stario.webapp.limits import read_body

PATH = "/payments/payme"
MAX_BODY_BYTES = 16 * 1024  # the largest call, GetStatement, is a few hundred bytes

CONFIG = web.AppKey("payme_config", payme.PaymeConfig)
POLICY = web.AppKey("payme_order_policy", OrderPolicy)


def setup(app: web.Application) -> None:
    settings = app[RUNTIME].settings
    app[CONFIG] = payme.PaymeConfig.from_settings(settings)
    app[POLICY] = OrderPolicy.from_settings(settings)
    app.router.add_route("*", PATH, endpoint)


async def endpoint(request: web.Request) -> web.Response:
    if request.method != "POST":
        return _reply(payme.error_response(payme.METHOD_NOT_POST))
    body = await read_body(request, MAX_BODY_BYTES)
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON or bad UTF-8, or absurdly deep nesting
        return _reply(payme.error_response(payme.PARSE_ERROR))
    async with request.app[RUNTIME].sessions() as session:
        answer = await payme.handle(
            session,
            parsed,
            authorization=request.headers.get("Authorization"),
            config=request.app[CONFIG],
            policy=request.app[POLICY],
        )
    return _reply(answer)


def _reply(answer: payme.JsonObject) -> web.Response:
    return web.json_response(answer, dumps=_dumps)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
