"""The aiogram Bot every process uses, pointed at TELEGRAM_API_URL (tests: a fake server)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from stario.core.settings import Settings


def make_bot(token: str, api_url: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))


def bot_from_settings(settings: Settings) -> Bot | None:
    """A Bot, or None when BOT_TOKEN is not set (nothing can be sent then)."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        return None
    return make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
