## Domain errors (stario.core.errors, by `.key`) and moderation reasons
## (stario.core.services.moderation), as the fan reads them.

error-internal = 🙏 Извините, у нас что-то пошло не так. Попробуйте ещё раз чуть позже.
error-not-found = 🔎 Ничего не нашли.
error-invalid-input = ✏️ Кажется, тут ошибка. Проверьте и попробуйте снова.
error-invalid-amount = ✏️ Неверная сумма.
error-insufficient-balance = 💰 Не хватает кредитов: у вас { $balance }, нужно { $needed }.
error-banned = 🚫 Ваш доступ к Stario ограничен.
error-not-available = 🛠 Это пока недоступно. Скоро будет!
error-artist-unavailable = 😔 Этот артист сейчас не принимает такой заказ.
error-moderation = ✏️ Пожалуйста, измените текст:
error-queue-unavailable = 🕒 Не получилось запустить заказ прямо сейчас. Кредиты не списаны; попробуйте через минуту.
error-order-not-payable = 🧾 Этот заказ уже нельзя оплатить: он оплачен, отменён или истёк. Пожалуйста, оформите новый.
error-refund-refused = ↩️ Возврат невозможен: кредиты с этого платежа уже потрачены (баланс { $balance }, нужно вернуть { $needed }).

moderation-empty = • текст пустой
moderation-too-long = • текст слишком длинный для этого видео: сократите его
moderation-link = • ссылки нельзя
moderation-phone = • номера телефонов нельзя
moderation-mention = • @упоминания нельзя
moderation-profanity = • пожалуйста, без грубых слов
moderation-blocked-word = • есть слово, которое артист не разрешает
moderation-blocked-topic = • затронута тема, которую артист не поддерживает
