## Оплата через Telegram Stars (stario.handlers.payments)

btn-buy-credits = 💳 Купить кредиты
payments-buy-title =
    💳 Покупка кредитов за Telegram Stars
    Выберите пакет: кредиты поступят сразу после оплаты.
payments-no-packages = 😔 Сейчас нет пакетов в продаже. Попробуйте позже.
payments-btn-package = ⭐ { $credits } кредитов · { $stars } Stars
payments-invoice-title = { $credits } кредитов Stario
payments-invoice-description = { $credits } кредитов на видеопоздравления и постеры от любимых артистов.
payments-invoice-label = { $credits } кредитов
payments-invoice-sent = 👇 Счёт ниже: нажмите «Оплатить», чтобы купить { $credits } кредитов.
payments-error-invalid = Этот счёт больше не действует. Откройте «Купить кредиты» снова.
payments-error-currency = Этот счёт можно оплатить только в Telegram Stars.
payments-error-amount = Цена изменилась. Откройте «Купить кредиты» снова.
payments-error-paid = Этот счёт уже оплачен. Откройте «Купить кредиты», чтобы купить ещё.
payments-error-expired = Срок действия счёта истёк. Откройте «Купить кредиты» снова.
payments-error-unavailable = Этот пакет больше не продаётся. Выберите другой.
payments-error-banned = С вашего аккаунта нельзя совершать покупки.
payments-error-busy = Не удалось вовремя проверить платёж. Попробуйте ещё раз.
payments-thanks = ✅ Спасибо! Начислено кредитов: { $credits }. Ваш баланс: { $balance }.
payments-draft-ready = ✍️ Ваш черновик ждёт: нажмите в нём «Подтвердить», чтобы оформить заказ.
payments-unmatched = ⚠️ Мы получили оплату, но не смогли связать её с заказом. Поддержка во всём разберётся: /paysupport
payments-refunded = ↩️ Платёж возвращён: списано кредитов: { $credits }. Ваш баланс: { $balance }.
admin-usage-refund-stars = Использование: /refund_stars <telegram payment charge id>
payments-admin-refunded = ↩️ Платёж { $charge } возвращён: у пользователя { $user } списано кредитов: { $credits }. Его баланс: { $balance }.
payments-admin-refunded-uncredited = ↩️ Платёж { $charge } возвращён (кредиты по нему не начислялись).
payments-admin-already = ℹ️ Платёж { $charge } уже был возвращён: ничего не изменилось.
payments-admin-refused = ⛔ Возврат отклонён: фанат уже потратил кредиты (баланс { $balance }, нужно списать { $needed }). Ничего не возвращено.
payments-admin-not-found = ⛔ Нет платежа Stars с charge id { $charge }.
payments-admin-failed = ⛔ Telegram отклонил возврат ({ $error }). Ничего не изменилось.

## /paysupport: the fan's recent orders (stario.handlers.info)

paysupport-orders-title = 🧾 Ваши последние заказы (время UTC):
paysupport-order-line = • №{ $number } · { $date } · кредитов: { $credits } · { $provider } · { $amount } · { $status }
paysupport-amount-stars = { $amount } Stars
paysupport-amount-uzs = { $amount } сум
paysupport-provider-stars = Telegram Stars
paysupport-provider-payme = Payme
paysupport-provider-click = Click
paysupport-status-pending = ⏳ ждёт оплаты
paysupport-status-paid = ✅ оплачен
paysupport-status-cancelled = ✖️ отменён
paysupport-status-expired = ⌛ истёк
paysupport-status-refunded = ↩️ возвращён

## Mini App API errors (stario.webapp.miniapp)

miniapp-error-unauthorized = Откройте Stario из Telegram ещё раз: не удалось подтвердить, кто вы.
miniapp-error-expired = Сессия устарела. Закройте и снова откройте мини-приложение.
miniapp-error-bad-request = С этим запросом что-то не так. Откройте мини-приложение заново и попробуйте ещё раз.
miniapp-error-package = Этот пакет больше не продаётся. Выберите другой.
miniapp-error-provider = Этот способ оплаты сейчас недоступен. Выберите другой.
miniapp-error-banned = Вашему аккаунту покупки недоступны.
miniapp-error-unknown-user = Сначала запустите бота: отправьте /start боту Stario в Telegram.
miniapp-error-telegram = Telegram не смог создать счёт. Попробуйте через минуту.
