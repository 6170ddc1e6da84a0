"""The Bot API's Stars methods through aiogram, for the core's ports: `getStarTransactions`
as plain data (`stario.core.services.reconcile`) and `createInvoiceLink`
(`stario.core.services.checkout.InvoiceLinks`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import LabeledPrice

from stario.core.services.checkout import InvoiceLinkError
from stario.core.services.reconcile import StarTransaction
from stario.core.services.stars import CURRENCY, InvoiceRequest


class BotStarTransactions:
    """The bot's Stars transactions, one Bot API page per call."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def page(self, offset: int, limit: int) -> list[StarTransaction]:
        found = await self._bot.get_star_transactions(offset=offset, limit=limit)
        return [
            StarTransaction.from_bot_api(tx.model_dump(mode="json", exclude_none=True))
            for tx in found.transactions
        ]


class BotInvoiceLinks:
    """createInvoiceLink for a Stars invoice (currency XTR, empty provider token, one price)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def create(self, invoice: InvoiceRequest) -> str:
        try:
            return await self._bot.create_invoice_link(
                title=invoice.title,
                description=invoice.description,
                payload=invoice.payload,
                currency=CURRENCY,
                prices=[LabeledPrice(label=invoice.label, amount=invoice.amount)],
                provider_token="",
            )
        except TelegramAPIError as error:
            raise InvoiceLinkError(error.message) from error
