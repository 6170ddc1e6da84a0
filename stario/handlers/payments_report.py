"""/payments_report [YYYY-MM-DD] (admins and operators): a UTC day's orders per provider and
status, and every mismatch between the ledger and the providers' records
(`stario.core.services.payments_report`, the same report as `stario report payments`).
Anyone else falls through to the fallback's "unknown command" reply."""

from __future__ import annotations

from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ValidationFailed
from stario.core.services import admin, payments_report
from stario.core.services.payments_report import Mismatch, OrderGroup
from stario.handlers.admin import Staff, UsageReply
from stario.handlers.common import Texts
from stario.models import utcnow

MAX_LISTED = 20  # mismatches listed in the chat (all are counted; the CLI lists them all)


async def payments_report_command(
    message: Message, command: CommandObject, session: AsyncSession, t: Texts
) -> None:
    report = await payments_report.build(session, _day(command.args))
    await message.answer(render(t, report))


def _day(args: str | None) -> date:
    text = (args or "").strip()
    if not text:
        return utcnow().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"not a date: {text!r}") from None


def render(t: Texts, report: payments_report.PaymentsReport) -> str:
    lines = [t("report-title", day=report.day.isoformat())]
    lines += [_group(t, group) for group in report.orders] or [t("report-no-orders")]
    if not report.mismatches:
        lines += ["", t("report-ok")]
        return "\n".join(lines)
    lines += ["", t("report-mismatches", count=len(report.mismatches))]
    lines += [_mismatch(t, mismatch) for mismatch in report.mismatches[:MAX_LISTED]]
    if len(report.mismatches) > MAX_LISTED:
        lines.append(t("report-more", count=len(report.mismatches) - MAX_LISTED))
    return "\n".join(lines)


def _group(t: Texts, group: OrderGroup) -> str:
    if group.provider == "stars":
        amount = t("paysupport-amount-stars", amount=group.amount_stars)
    else:
        amount = t("paysupport-amount-uzs", amount=group.amount_uzs)
    return t(
        "report-group",
        provider=t(f"paysupport-provider-{group.provider}"),
        status=t(f"paysupport-status-{group.status}"),
        count=group.count,
        amount=amount,
        credits=group.credits,
    )


def _mismatch(t: Texts, mismatch: Mismatch) -> str:
    line = t(
        "report-mismatch",
        kind=t(f"report-kind-{mismatch.kind.replace('_', '-')}"),
        provider=t(f"paysupport-provider-{mismatch.provider}") if mismatch.provider else "—",
        order=str(mismatch.order_id or "—"),
        transaction=mismatch.external_id or "—",
    )
    if mismatch.kind == "amount_differs":
        figures = mismatch.figures
        line += " " + t(
            "report-amounts",
            paid=figures["paid"],
            expected=figures["expected"],
            credited=figures["credited"],
            credits=figures["credits"],
        )
    return line


def build_router() -> Router:
    router = Router(name="payments_report")
    router.message.middleware(UsageReply())
    router.message.register(
        payments_report_command, Command("payments_report"), Staff(admin.STAFF_ROLES)
    )
    return router
