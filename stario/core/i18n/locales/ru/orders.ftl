## Артисты, формы заказа, История

## Каталог артистов

artists-title = ⭐ Артисты: выберите категорию или найдите по имени.
artists-all = 🌟 Все артисты
artists-category-music = 🎤 Музыка
artists-category-film = 🎬 Кино
artists-category-sport = ⚽ Спорт
artists-category-comedy = 😂 Юмор
artists-category-other = ✨ Другое
artists-page = ⭐ { $category } · страница { $page } из { $pages }
artists-empty = 😔 Здесь пока никого нет. Загляните в другие категории.
artists-search = 🔎 Поиск по имени
artists-search-ask = 🔎 Отправьте имя артиста (или его часть).
artists-search-results = 🔎 Найдено по запросу «{ $query }»:
artists-search-none = 😔 По запросу «{ $query }» никого не нашлось. Попробуйте другое имя.
btn-prev = ◀️ Назад
btn-next = Дальше ▶️
btn-back = ⬅️ Назад
btn-order-greeting = 🎬 Заказать поздравление · { $price }
btn-order-poster = 🖼 Заказать постер · { $price }
inline-title = ⭐ { $artist }
inline-description = 🎬 Поздравление: { $greeting } · 🖼 Постер: { $poster } кредитов
inline-message = ⭐ { $artist } в Stario: закажите личное видеопоздравление или постер!
inline-open = 🚀 Открыть в Stario

## Формы заказа

order-pick-artist-greeting = 🎬 От кого будет поздравление? (страница { $page } из { $pages })
order-pick-artist-poster = 🖼 С кем сделаем постер? (страница { $page } из { $pages })
btn-cancel = ✖️ Отмена
greeting-occasion = 🎉 Поздравление от { $artist }. Какой повод?
occasion-custom = ✨ Своё поздравление
occasion-again = 🔁 Как в прошлый раз
greeting-recipient = 👤 Кому поздравление? Отправьте имя получателя (до { $max } символов).
greeting-recipient-bad = ✏️ Отправьте только имя, до { $max } символов.
greeting-text =
    ✍️ Что скажет { $artist }? Отправьте свой текст или возьмите этот:

    { $suggestion }
greeting-text-own = ✍️ Что скажет { $artist }? Отправьте свой текст.
btn-use-suggestion = ✅ Взять этот текст
order-edit-hint = Отправьте новый текст, и я проверю его ещё раз.
greeting-preview =
    🎬 Ваше видеопоздравление
    ⭐ Артист: { $artist }
    🎉 Повод: { $occasion }
    👤 Кому: { $recipient }
    💬 { $text }

    💰 Стоимость: { $cost } { $cost ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    } · ваш баланс: { $balance }
poster-style =
    🖼 Постер с артистом { $artist }. Выберите стиль:
    { $styles }
poster-style-classic = 🏛 Классика
poster-style-neon = 🌈 Неон
poster-style-minimal = ⬜ Минимализм
poster-style-classic-desc = 🏛 Классика: изящная рамка и строгий шрифт
poster-style-neon-desc = 🌈 Неон: яркие светящиеся цвета для праздника
poster-style-minimal-desc = ⬜ Минимализм: чисто, спокойно и много воздуха
poster-lines = ✍️ Отправьте 1–3 короткие строки для постера, каждую с новой строки (до { $max } символов в строке).
poster-lines-bad = ✏️ На постере 1–3 строки, до { $max } символов в каждой. Попробуйте ещё раз.
poster-lines-example =
    Например:
    { $example }
poster-example-recipient = Малика
poster-preview =
    🖼 Ваш постер
    ⭐ Артист: { $artist }
    🎨 Стиль: { $style }
    💬 { $lines }

    💰 Стоимость: { $cost } { $cost ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    } · ваш баланс: { $balance }
btn-confirm = ✅ Подтвердить · { $cost }
btn-edit = ✏️ Изменить текст
order-placing = ⏳ Оформляем заказ…
order-draft-gone = ⌛ Этот заказ уже оформлен или отменён.
order-need-credits = 💰 Не хватает кредитов: у вас { $balance }, нужно { $cost }. Пополните баланс и снова нажмите «Подтвердить»: черновик сохранён.
order-hint-text = ✍️ Здесь нужен текст. Или нажмите «Отмена».
order-hint-buttons = 👆 Воспользуйтесь кнопками выше или нажмите «Отмена».

## История

history-title = 📜 Ваши заказы (страница { $page } из { $pages }):
history-empty = 📜 Заказов пока нет. Давайте сделаем первый!
history-line = #{ $job } · { $kind } · { $artist } · { $status } · { $date }
history-kind-greeting = 🎬 поздравление
history-kind-poster = 🖼 постер
history-status-queued = ⏳ в очереди
history-status-running = ⚙️ в работе
history-status-delivered = ✅ доставлен
history-status-undelivered = 📥 готов, не получен
history-status-failed = ↩️ возвращено
btn-history-get = 📥 #{ $job }
history-not-ready = ⏳ Этот заказ ещё не готов.
