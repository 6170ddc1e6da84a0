"""Where a fan pays an order: the provider's checkout link (Payme, Click), or for Stars an
invoice (sendInvoice in the chat, `link_for` gives None) or an invoice link for the Mini App
(`start_checkout`, through createInvoiceLink with the same signed payload as the chat's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import StarioError, ValidationFailed
from stario.core.services import click, orders, payme, stars
from stario.core.services.orders import OrderView
from stario.core.settings import Settings
from stario.models import PaymentProvider


class ProviderUnavailableError(StarioError):
    """The payment provider is not configured here (or, for Stars, there is no bot token)."""

    key = "miniapp-error-provider"


class InvoiceLinkError(StarioError):
    """Telegram did not create the invoice link (the order stays pending and expires)."""

    key = "miniapp-error-telegram"


class InvoiceLinks(Protocol):
    async def create(self, invoice: stars.InvoiceRequest) -> str:
        """createInvoiceLink; InvoiceLinkError if Telegram refuses."""
        ...


@dataclass(frozen=True, slots=True)
class StartedCheckout:
    order: OrderView
    link: str


async def start_checkout(
    session: AsyncSession,
    *,
    user_id: int,
    package_code: str,
    provider: str,
    settings: Settings,
    texts: Callable[..., str],
    invoice_links: InvoiceLinks | None,
    language: str | None = None,
) -> StartedCheckout:
    """A pending order for the fan (the use case of the bot's "Buy credits") and where to pay
    it: the Stars invoice link, or the Payme or Click checkout link."""
    try:
        chosen = PaymentProvider(provider)
    except ValueError:
        raise ValidationFailed(f"unknown provider {provider!r}") from None
    if chosen is PaymentProvider.STARS and invoice_links is None:
        raise ProviderUnavailableError("Stars need BOT_TOKEN")
    if chosen is not PaymentProvider.STARS and not _configured(chosen, settings):
        raise ProviderUnavailableError(f"{chosen.value} is not configured")
    order = await orders.create_order(
        session, user_id=user_id, package_code=package_code, provider=chosen.value,
        policy=orders.OrderPolicy.from_settings(settings),
    )  # fmt: skip
    if chosen is PaymentProvider.STARS:
        assert invoice_links is not None
        invoice = stars.invoice_for(order, stars.payments_secret(settings), texts)
        return StartedCheckout(order, await invoice_links.create(invoice))
    link = link_for(order, settings, language=language)
    assert link is not None  # configured, checked above
    return StartedCheckout(order, link)


def _configured(provider: PaymentProvider, settings: Settings) -> bool:
    if provider is PaymentProvider.PAYME:
        return bool(payme.PaymeConfig.from_settings(settings).merchant_id)
    config = click.ClickConfig.from_settings(settings)
    return bool(config.service_id and config.merchant_id)


def link_for(
    order: OrderView,
    settings: Settings,
    *,
    language: str | None = None,
    return_url: str | None = None,
) -> str | None:
    """The checkout URL, or None for Stars and for a provider that is not configured."""
    if order.provider is PaymentProvider.PAYME:
        config = payme.PaymeConfig.from_settings(settings)
        if not config.merchant_id:
            return None
        return payme.checkout_link(
            config,
            order_id=order.id,
            amount_tiyin=order.amount_tiyin,
            language=language,
            return_url=return_url,
        )
    if order.provider is PaymentProvider.CLICK:
        click_config = click.ClickConfig.from_settings(settings)
        if not click_config.service_id or not click_config.merchant_id:
            return None
        return click.payment_link(
            click_config, order_id=order.id, amount_uzs=order.amount_uzs, return_url=return_url
        )
    return None
