"""/help, /terms, /privacy and /paysupport: short texts in the fan's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from stario.core.services.users import UserView
from stario.handlers.common import Texts, menu_button


async def help_command(message: Message, t: Texts) -> None:
    await message.answer(t("help"), reply_markup=menu_button(t))


async def terms(message: Message, t: Texts) -> None:
    await message.answer(t("terms"), reply_markup=menu_button(t))


async def privacy(message: Message, t: Texts) -> None:
    await message.answer(t("privacy"), reply_markup=menu_button(t))


async def paysupport(message: Message, user: UserView, t: Texts) -> None:
    # The id as a string: Fluent would group a number's digits ("123 456 789").
    await message.answer(t("paysupport", user_id=str(user.id)), reply_markup=menu_button(t))


def build_router() -> Router:
    router = Router(name="info")
    router.message.register(help_command, Command("help"))
    router.message.register(terms, Command("terms"))
    router.message.register(privacy, Command("privacy"))
    router.message.register(paysupport, Command("paysupport"))
    return router
