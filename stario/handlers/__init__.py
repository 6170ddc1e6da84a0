"""aiogram routers: turn an update into a core service call, and the result into a reply.

`build_router()` makes a fresh tree every call (an aiogram router can belong to one
dispatcher only), so each dispatcher, and each test, gets its own.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from stario.handlers import (
    admin,
    artists,
    broadcast,
    fallback,
    greeting,
    history,
    info,
    menu,
    ordering,
    payments,
    payments_report,
    poster,
    quiz,
    quiz_share,
    start,
)


def build_router() -> Router:
    root = Router(name="handlers")
    fans = Router(name="fans")
    # Fans talk to the bot in private; messages in groups it was added to are ignored.
    fans.message.filter(F.chat.type == ChatType.PRIVATE)
    fans.include_routers(
        start.build_router(),
        payments.build_router(),  # before the forms: a payment arrives in any state
        admin.build_router(),  # staff only; anyone else falls through to the fallback
        payments_report.build_router(),  # staff only, likewise
        broadcast.build_router(),  # admins only, likewise
        menu.build_router(),
        info.build_router(),
        quiz_share.build_router(),  # `quiz_<id>` inline queries, before the artists' search
        artists.build_router(),
        greeting.build_router(),
        poster.build_router(),
        quiz.build_router(),
        history.build_router(),
        ordering.build_router(),
        ordering.build_hints_router(),  # what the forms' steps did not take
        fallback.build_router(),  # the catch-alls come last
    )
    root.include_routers(fans, fallback.build_errors_router())
    return root
