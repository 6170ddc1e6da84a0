"""Admin commands for an artist's card and templates: /artist, /artist_edit, /templates,
/template_set, /template_del. Registered by `stario.handlers.admin.build_router` (same role
filter, same usage replies: bad arguments change nothing)."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ValidationFailed
from stario.core.services import artists_admin, templates
from stario.core.services.users import UserView
from stario.handlers import admin_views as views
from stario.handlers.common import Texts


def _args(command: CommandObject, least: int, most: int) -> list[str]:
    """`least`..`most` arguments, the last one taking the rest of the line."""
    parts = (command.args or "").split(maxsplit=most - 1)
    if not least <= len(parts) <= most:
        raise ValidationFailed(f"/{command.command} takes {least}..{most} arguments")
    return parts


async def artist_show(
    message: Message, command: CommandObject, session: AsyncSession, t: Texts
) -> None:
    (slug,) = _args(command, 1, 1)
    await message.answer(views.artist_details(t, await artists_admin.details(session, slug)))


async def artist_edit(message: Message, command: CommandObject, session: AsyncSession,
                      user: UserView, t: Texts) -> None:  # fmt: skip
    slug, pairs = _args(command, 2, 2)
    edited = await artists_admin.edit(session, user.id, slug, pairs)
    await message.answer(views.artist_details(t, edited))


async def templates_list(
    message: Message, command: CommandObject, session: AsyncSession, t: Texts
) -> None:
    (slug,) = _args(command, 1, 1)
    await message.answer(views.templates(t, slug, await templates.templates_of(session, slug)))


async def template_set(message: Message, command: CommandObject, session: AsyncSession,
                       user: UserView, t: Texts) -> None:  # fmt: skip
    slug, product, occasion, language, text = _args(command, 5, 5)
    fields = templates.parse_template(product, occasion, language, text)
    done = await templates.set_template(session, user.id, slug, fields)
    key = "admin-template-added" if done.created else "admin-template-replaced"
    await message.answer(t(key, slug=slug, product=fields["product"].value,
                           occasion=fields["occasion"], lang=fields["language"]))  # fmt: skip


async def template_del(message: Message, command: CommandObject, session: AsyncSession,
                       user: UserView, t: Texts) -> None:  # fmt: skip
    slug, product, occasion, *language = _args(command, 3, 4)
    removed = await templates.delete_templates(
        session, user.id, slug, product, occasion, language[0] if language else None
    )
    if not removed:
        await message.answer(t("admin-template-none", slug=slug, occasion=occasion))
        return
    await message.answer(t("admin-template-deleted", slug=slug, occasion=occasion,
                           count=removed))  # fmt: skip
