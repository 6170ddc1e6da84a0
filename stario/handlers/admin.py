"""Admin and operator commands (private chat). The role is read from the database on every
command (`Staff` filter); anyone else falls through to the fallback and gets exactly the
"unknown command" hint. Operators: /admin /stats /user /jobs /retry /refund_job /artist
/templates; admins: all (artist cards and templates: `stario.handlers.admin_artists`).

Bad arguments raise ValidationFailed (here or in the core use case); `UsageReply` turns it into
the command's localised usage line, and nothing has changed.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ValidationFailed
from stario.core.runtime import Runtime
from stario.core.services import admin, artists_admin, face_gallery_store
from stario.core.services.users import UserView
from stario.handlers import admin_views as views
from stario.handlers.admin_artists import (
    artist_edit,
    artist_show,
    template_del,
    template_set,
    templates_list,
)
from stario.handlers.common import Texts
from stario.models import JobStatus, Role, VerificationStatus

log = logging.getLogger(__name__)

QUEUES = ("video", "poster", "face")


class Staff(Filter):
    """The sender's role, from the database, is one of `roles`."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    async def __call__(self, message: Message, session: AsyncSession) -> bool:
        sender = message.from_user
        return sender is not None and await admin.role_of(session, sender.id) in self.roles


class UsageReply(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except ValidationFailed as error:
            t: Texts = data["t"]
            command: CommandObject | None = data.get("command")
            name = command.command if command is not None else "admin"
            usage = t(f"admin-usage-{name.replace('_', '-')}")
            specific = error.key != ValidationFailed.key
            assert isinstance(event, Message)
            await event.answer("\n".join([t(error.key), usage]) if specific else usage)
            return None


def args_of(command: CommandObject, count: int) -> list[str]:
    """Exactly `count` arguments, the last one taking the rest of the line."""
    parts = (command.args or "").split(maxsplit=count - 1)
    if len(parts) != count or not all(parts):
        raise ValidationFailed(f"/{command.command} takes {count} arguments")
    return parts


def number(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise ValidationFailed(f"not a number: {text!r}")
    return int(text)


async def menu(message: Message, user: UserView, t: Texts) -> None:
    await message.answer(t("admin-menu") if user.role is Role.ADMIN else t("admin-menu-operator"))


async def stats(message: Message, session: AsyncSession, runtime: Runtime, t: Texts) -> None:
    found = await admin.stats(session)
    depths = {name: await runtime.queue.depth(name) for name in QUEUES}
    await message.answer(views.stats(t, found, depths))


async def grant(message: Message, command: CommandObject, session: AsyncSession,
                user: UserView, t: Texts) -> None:  # fmt: skip
    who, credits, reason = args_of(command, 3)
    target = await admin.resolve_user(session, who)
    done = await admin.grant(session, user.id, target, number(credits), reason)
    await message.answer(
        t("admin-granted", credits=done.credits, user=str(target), balance=done.balance_after)
    )


async def ban(message: Message, command: CommandObject, session: AsyncSession,
              user: UserView, t: Texts) -> None:  # fmt: skip
    (who,) = args_of(command, 1)
    target = await admin.resolve_user(session, who)
    banned = command.command == "ban"
    changed = await admin.set_banned(session, user.id, target, banned)
    key = ("admin-banned" if banned else "admin-unbanned") if changed else "admin-ban-unchanged"
    await message.answer(t(key, user=str(target)))


async def user_info(
    message: Message, command: CommandObject, session: AsyncSession, t: Texts
) -> None:
    (who,) = args_of(command, 1)
    await message.answer(views.user(t, await admin.find_user(session, who)))


async def jobs_list(message: Message, session: AsyncSession, t: Texts) -> None:
    statuses = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.UNDELIVERED)
    await message.answer(views.jobs(t, await admin.list_jobs(session, statuses)))


async def retry(message: Message, command: CommandObject, session: AsyncSession,
                runtime: Runtime, user: UserView, t: Texts) -> None:  # fmt: skip
    (job_id,) = args_of(command, 1)
    line = await admin.retry(session, runtime.queue, user.id, number(job_id))
    await message.answer(t("admin-retried", job=str(line.id)))


async def refund_job(message: Message, command: CommandObject, session: AsyncSession,
                     user: UserView, t: Texts) -> None:  # fmt: skip
    (job_id,) = args_of(command, 1)
    ending = await admin.refund_job(session, user.id, number(job_id))
    key = "admin-job-refunded" if ending.changed else "admin-job-already-ended"
    await message.answer(
        t(key, job=str(ending.job.id), status=ending.job.status.value, credits=ending.job.cost)
    )


async def artist_add(message: Message, command: CommandObject, session: AsyncSession,
                     user: UserView, t: Texts) -> None:  # fmt: skip
    slug, name = args_of(command, 2)
    added = await artists_admin.add(session, user.id, slug, name)
    await message.answer(views.artist(t, added))


async def artist_status(message: Message, command: CommandObject, session: AsyncSession,
                        user: UserView, t: Texts) -> None:  # fmt: skip
    (slug,) = args_of(command, 1)
    status = {"artist_verify": VerificationStatus.VERIFIED,
              "artist_suspend": VerificationStatus.SUSPENDED}[command.command]  # fmt: skip
    await message.answer(views.artist(t, await artists_admin.set_status(
        session, user.id, slug, status)))  # fmt: skip


async def artist_photo(message: Message, command: CommandObject, bot: Bot,
                       session: AsyncSession, runtime: Runtime, user: UserView,
                       t: Texts) -> None:  # fmt: skip
    (slug,) = args_of(command, 1)
    file_id, size = views.replied_image(message.reply_to_message)
    if size > artists_admin.MAX_PHOTO_BYTES:
        raise artists_admin.BadPhotoError("photo too large")
    data = io.BytesIO()
    await bot.download(file_id, destination=data)
    provenance = f"sent by admin {user.id} in Telegram (file {file_id})"
    saved = await artists_admin.set_photo(
        session, runtime.storage, user.id, slug, data.getvalue(), provenance
    )
    # The Face Quiz gallery vector is computed on the `face` queue; the worker reports back.
    photo = await face_gallery_store.photo_by_key(session, saved.storage_key)
    try:
        await face_gallery_store.enqueue_index(runtime.queue, photo.id, message.chat.id)
    except Exception as error:  # the photo is saved; `stario face-index` catches up later
        log.warning("could not queue the gallery vector of photo %s: %s", photo.id, error)
    await message.answer(t("admin-photo-saved", slug=slug, width=saved.width,
                           height=saved.height))  # fmt: skip


async def restrict(message: Message, command: CommandObject, session: AsyncSession,
                   user: UserView, t: Texts) -> None:  # fmt: skip
    slug, rest = args_of(command, 2)
    pairs = await artists_admin.restrict(session, user.id, slug, rest)
    await message.answer(t("admin-restricted", slug=slug, changes=views.pairs(pairs)))


async def consent(message: Message, command: CommandObject, session: AsyncSession,
                  user: UserView, t: Texts) -> None:  # fmt: skip
    slug, rest = args_of(command, 2)
    expires = await artists_admin.consent(session, user.id, slug, rest)
    await message.answer(t("admin-consent-saved", slug=slug, until=expires.date().isoformat()))


def build_router() -> Router:
    router = Router(name="admin")
    router.message.middleware(UsageReply())
    staff, admins = Staff(admin.STAFF_ROLES), Staff(admin.ADMIN_ROLES)
    for names, handler, who in (
        (("admin",), menu, staff), (("stats",), stats, staff), (("user",), user_info, staff),
        (("jobs",), jobs_list, staff), (("retry",), retry, staff),
        (("refund_job",), refund_job, staff), (("grant",), grant, admins),
        (("ban", "unban"), ban, admins), (("artist_add",), artist_add, admins),
        (("artist_verify", "artist_suspend"), artist_status, admins),
        (("artist_photo",), artist_photo, admins), (("restrict",), restrict, admins),
        (("consent",), consent, admins), (("artist",), artist_show, staff),
        (("artist_edit",), artist_edit, admins), (("templates",), templates_list, staff),
        (("template_set",), template_set, admins), (("template_del",), template_del, admins),
    ):  # fmt: skip
        router.message.register(handler, Command(*names), who)
    return router
