"""POST /payments/click/prepare and /payments/click/complete: the Click SHOP API endpoints
(DESIGN §4, payments-spec §2).

Thin: size limit (413 above MAX_BODY_BYTES, before parsing), the urlencoded form as received
(every pair, repeats included, values url-decoded but otherwise untouched, since the signature is
over them), then the use case in `stario.core.services.click`; its JSON answer goes back with
HTTP 200 whatever it says.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web

from stario.core.services import click
from stario.core.services.orders import OrderPolicy
from stario.webapp.health import RUNTIME
from stario.webapp.limits import read_body

PREPARE_PATH = "/payments/click/prepare"
COMPLETE_PATH = "/payments/click/complete"
MAX_BODY_BYTES = 8 * 1024  # a call is eleven short fields
MAX_FIELDS = 64

CONFIG = web.AppKey("click_config", click.ClickConfig)
POLICY = web.AppKey("click_order_policy", OrderPolicy)


def setup(app: web.Application) -> None:
    settings = app[RUNTIME].settings
    app[CONFIG] = click.ClickConfig.from_settings(settings)
    app[POLICY] = OrderPolicy.from_settings(settings)
    app.router.add_post(PREPARE_PATH, prepare)
    app.router.add_post(COMPLETE_PATH, complete)


async def prepare(request: web.Request) -> web.Response:
    fields = await _form(request)
    async with request.app[RUNTIME].sessions() as session:
        answer = await click.prepare(
            session, fields, config=request.app[CONFIG], policy=request.app[POLICY]
        )
    return web.json_response(answer)


async def complete(request: web.Request) -> web.Response:
    fields = await _form(request)
    async with request.app[RUNTIME].sessions() as session:
        answer = await click.complete(
            session, fields, config=request.app[CONFIG], policy=request.app[POLICY]
        )
    return web.json_response(answer)


async def _form(request: web.Request) -> list[tuple[str, str]]:
    """The form's pairs; an unreadable body gives no pairs (Click's −8, missing fields)."""
    body = await read_body(request, MAX_BODY_BYTES)
    try:
        return parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:  # bad UTF-8, or more than MAX_FIELDS fields
        return []
