"""Where a fan pays an order: the provider's checkout link (Payme, Click); Stars orders are paid
through an invoice in the chat or the Mini App, so they have no link here."""

from __future__ import annotations

from stario.core.services import click, payme
from stario.core.services.orders import OrderView
from stario.core.settings import Settings
from stario.models import PaymentProvider


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
