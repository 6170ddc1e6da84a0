## Рассылки (stario.handlers.broadcast, stario.bot.broadcaster)

broadcast-usage = Использование: /broadcast [uz|ru|en|all]
broadcast-audience-all = все языки
broadcast-audience-language = язык { $code }
broadcast-ask-text = 📣 Пришлите текст рассылки ({ $audience }, сейчас { $count } фанатов). /cancel — отмена.
broadcast-not-text = ✍️ Пришлите рассылку текстом или /cancel.
broadcast-too-long = ⛔ Слишком длинно: не больше { $max } символов.
broadcast-preview = 👀 Предпросмотр: получат { $count } фанатов ({ $audience }) ровно так, как ниже.
broadcast-button-send = ✅ Отправить { $count }
broadcast-button-cancel = ✖️ Отмена
broadcast-cancelled = ✖️ Рассылка отменена: ничего не отправлено.
broadcast-already = ℹ️ Эта рассылка уже запущена или отменена.
broadcast-progress = 📣 Рассылка #{ $id }: { $done } из { $total } (отправлено { $sent }, пропущено { $skipped }, ошибок { $failed })
broadcast-done = ✅ Рассылка #{ $id } завершена: отправлено { $sent }, пропущено { $skipped } (заблокировали бота), ошибок { $failed }, из { $total }.
