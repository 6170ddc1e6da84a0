## Telegram Stars payments (stario.handlers.payments)

btn-buy-credits = 💳 Buy credits
payments-buy-title =
    💳 Buy credits with Telegram Stars
    Pick a package: the credits arrive as soon as the payment goes through.
payments-no-packages = 😔 No packages are on sale right now. Please try again later.
payments-btn-package = ⭐ { $credits } credits · { $stars } Stars
payments-invoice-title = { $credits } Stario credits
payments-invoice-description = { $credits } credits for video greetings and posters from your favourite artists.
payments-invoice-label = { $credits } credits
payments-invoice-sent = 👇 Your invoice is below: tap Pay to buy { $credits } credits.
payments-error-invalid = This invoice isn't valid any more. Please open "Buy credits" again.
payments-error-currency = This invoice can only be paid in Telegram Stars.
payments-error-amount = The price has changed. Please open "Buy credits" again.
payments-error-paid = This invoice has already been paid. Open "Buy credits" to buy more.
payments-error-expired = This invoice has expired. Please open "Buy credits" again.
payments-error-unavailable = This package is no longer on sale. Please pick another one.
payments-error-banned = Your account can't make purchases.
payments-error-busy = We couldn't check the payment in time. Please try again.
payments-thanks = ✅ Thank you! { $credits } credits added. Your balance: { $balance }.
payments-draft-ready = ✍️ Your draft is still waiting: press Confirm on it to place the order.
payments-unmatched = ⚠️ We received your payment but couldn't match it to an order. Our support will sort it out: /paysupport
payments-refunded = ↩️ Your payment was refunded: { $credits } credits were taken back. Your balance: { $balance }.
admin-usage-refund-stars = Usage: /refund_stars <telegram payment charge id>
payments-admin-refunded = ↩️ Charge { $charge } refunded: { $credits } credits taken back from user { $user }. Their balance: { $balance }.
payments-admin-refunded-uncredited = ↩️ Charge { $charge } refunded (it had not credited anything).
payments-admin-already = ℹ️ Charge { $charge } was already refunded: nothing changed.
payments-admin-refused = ⛔ Refund refused: the fan already spent the credits (balance { $balance }, { $needed } to take back). Nothing was refunded.
payments-admin-not-found = ⛔ No Stars payment with charge id { $charge }.
payments-admin-failed = ⛔ Telegram refused the refund ({ $error }). Nothing changed.

## /paysupport: the fan's recent orders (stario.handlers.info)

paysupport-orders-title = 🧾 Your last orders (times in UTC):
paysupport-order-line = • #{ $number } · { $date } · { $credits } credits · { $provider } · { $amount } · { $status }
paysupport-amount-stars = { $amount } Stars
paysupport-amount-uzs = { $amount } UZS
paysupport-provider-stars = Telegram Stars
paysupport-provider-payme = Payme
paysupport-provider-click = Click
paysupport-status-pending = ⏳ awaiting payment
paysupport-status-paid = ✅ paid
paysupport-status-cancelled = ✖️ cancelled
paysupport-status-expired = ⌛ expired
paysupport-status-refunded = ↩️ refunded

## Mini App API errors (stario.webapp.miniapp)

miniapp-error-unauthorized = Please open Stario from Telegram again: we couldn't confirm who you are.
miniapp-error-expired = This session has expired. Please close and reopen the Mini App.
miniapp-error-bad-request = Something is wrong with this request. Please reopen the Mini App and try again.
miniapp-error-package = This package is no longer on sale. Please pick another one.
miniapp-error-provider = This payment method is not available right now. Please choose another one.
miniapp-error-banned = Your account can't make purchases.
miniapp-error-unknown-user = Please start the bot first: send /start to Stario in Telegram.
miniapp-error-telegram = Telegram couldn't create the invoice. Please try again in a minute.
