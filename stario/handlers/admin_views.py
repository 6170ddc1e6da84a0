"""How the admin commands show their results: plain data in, localised text out."""

from __future__ import annotations

from aiogram.types import Message

from stario.core.services.admin import JobLine, Stats, UserSummary
from stario.core.services.artists_admin import ArtistDetails, ArtistState, BadPhotoError
from stario.core.services.templates import TemplateLine
from stario.handlers.common import Texts
from stario.models import JobStatus


def stats(t: Texts, found: Stats, depths: dict[str, int]) -> str:
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(
        found.jobs_by_status.items())) or "0"  # fmt: skip
    revenue = "\n".join(
        f"• {provider}: {line.orders} → {line.amount} {line.currency}"
        for provider, line in sorted(found.revenue.items())
    )
    return t(
        "admin-stats",
        day=found.day_start.date().isoformat(),
        users=found.users_total,
        new=found.users_new,
        active=found.users_active,
        jobs=by_status,
        failure=_percent(found.failure_rate),
        p50=_seconds(found.p50_s),
        p95=_seconds(found.p95_s),
        queues=", ".join(f"{name} {depth}" for name, depth in depths.items()),
        revenue=revenue or t("admin-stats-no-revenue"),
    )


def user(t: Texts, found: UserSummary) -> str:
    jobs = "\n".join(_job(job) for job in found.last_jobs) or t("admin-user-no-jobs")
    return t(
        "admin-user",
        id=str(found.id),
        name=found.first_name,
        username=f"@{found.username}" if found.username else "-",
        lang=found.language,
        role=found.role.value,
        banned=t("admin-yes") if found.is_banned else t("admin-no"),
        balance=found.balance,
        orders=found.paid_orders,
        jobs_total=found.jobs_total,
        jobs=jobs,
    )


def jobs(t: Texts, listing: dict[JobStatus, list[JobLine]]) -> str:
    sections = [
        t("admin-jobs-section", status=status.value, count=len(lines))
        + "".join(f"\n{_job(line)}" for line in lines)
        for status, lines in listing.items()
    ]
    return "\n\n".join(sections)


def artist(t: Texts, state: ArtistState) -> str:
    text = t("admin-artist-state", slug=state.slug, status=state.status.value)
    if state.problem is not None:
        text += "\n" + t("admin-artist-not-orderable", problem=state.problem)
    return text


def artist_details(t: Texts, found: ArtistDetails) -> str:
    empty = t("admin-empty")
    text = t(
        "admin-artist-card",
        slug=found.slug, status=found.status.value, category=found.category,
        name_uz=found.names["uz"] or empty, name_ru=found.names["ru"] or empty,
        name_en=found.names["en"] or empty, bio_uz=found.bios["uz"] or empty,
        bio_ru=found.bios["ru"] or empty, bio_en=found.bios["en"] or empty,
        price_greeting=found.price_greeting, price_poster=found.price_poster,
        quiz=t("admin-yes") if found.quiz_enabled else t("admin-no"),
        active=t("admin-yes") if found.is_active else t("admin-no"),
    )  # fmt: skip
    if found.problem is not None:
        text += "\n" + t("admin-artist-not-orderable", problem=found.problem)
    return text


def templates(t: Texts, slug: str, lines: list[TemplateLine]) -> str:
    if not lines:
        return t("admin-templates-none", slug=slug)
    return "\n".join([t("admin-templates", slug=slug), *(_template(t, line) for line in lines)])


def _template(t: Texts, line: TemplateLine) -> str:
    key = "admin-template-line" if line.own else "admin-template-line-shared"
    return t(key, product=line.product.value, occasion=line.occasion, lang=line.language,
             title=line.title)  # fmt: skip


def pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in values.items())


def replied_image(reply: Message | None) -> tuple[str, int]:
    """The file id and size of the photo (or image document) the command replies to."""
    if reply is not None and reply.photo:
        largest = reply.photo[-1]
        return largest.file_id, largest.file_size or 0
    document = reply.document if reply is not None else None
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document.file_id, document.file_size or 0
    raise BadPhotoError("the command must reply to a photo")


def _job(job: JobLine) -> str:
    error = f" ({job.error_class})" if job.error_class else ""
    return (
        f"#{job.id} {job.kind.value} · {job.status.value}{error} · "
        f"{job.user_id} · {job.cost} · {job.created_at:%Y-%m-%d %H:%M}"
    )


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"
