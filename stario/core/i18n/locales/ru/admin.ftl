## Команды администраторов и операторов (stario.handlers.admin)

admin-menu =
    🛠 Команды администратора
    /stats · цифры за сегодня
    /user <id|@имя> · сводка о пользователе
    /grant <пользователь> <кредиты> <причина> · начислить кредиты
    /ban <пользователь> · /unban <пользователь>
    /jobs · задания в очереди, в работе, с ошибкой
    /retry <задание> · выполнить или доставить задание снова
    /refund_job <задание> · завершить задание и вернуть кредиты
    /payments_report [ГГГГ-ММ-ДД] · платежи за день (UTC) и расхождения
    /refund_stars <charge_id> · вернуть оплату звёздами
    /artist_add <slug> <имя> · новый артист (на проверке)
    /artist_verify <slug> · /artist_suspend <slug>
    /artist_photo <slug> · ответом на фото
    /restrict <slug> words=a,b topics=x,y max_seconds=20 products=greeting,poster approval=yes|no
    /consent <slug> by=<кто> scope=greeting,poster,face_quiz days=365
    /artist <slug> · карточка артиста
    /artist_edit <slug> name=… name_ru=… bio_en=… category=music price_greeting=5 price_poster=2 quiz_enabled=yes active=yes
    /templates <slug|*> · шаблоны, которые предлагают формы заказа
    /template_set <slug|*> <greeting|poster> <повод> <uz|ru|en> <название> | <текст>
    /template_del <slug|*> <greeting|poster> <повод> [uz|ru|en]
    /broadcast [uz|ru|en|all] · сообщение всем фанатам
admin-menu-operator =
    🛠 Команды оператора
    /stats · цифры за сегодня
    /user <id|@имя> · сводка о пользователе
    /jobs · задания в очереди, в работе, с ошибкой
    /retry <задание> · выполнить или доставить задание снова
    /refund_job <задание> · завершить задание и вернуть кредиты
    /payments_report [ГГГГ-ММ-ДД] · платежи за день (UTC) и расхождения
    /artist <slug> · карточка артиста
    /templates <slug|*> · шаблоны, которые предлагают формы заказа
admin-usage-grant = Формат: /grant <id или @имя> <кредиты> <причина>
admin-usage-ban = Формат: /ban <id или @имя>
admin-usage-unban = Формат: /unban <id или @имя>
admin-usage-user = Формат: /user <id или @имя>
admin-usage-retry = Формат: /retry <номер задания> (с ошибкой или не доставленного)
admin-usage-refund-job = Формат: /refund_job <номер задания>
admin-usage-artist-add = Формат: /artist_add <slug> <имя> (slug: a-z, 0-9, - и _)
admin-usage-artist-verify = Формат: /artist_verify <slug>
admin-usage-artist-suspend = Формат: /artist_suspend <slug>
admin-usage-artist-photo = Формат: ответьте на фото (JPEG, PNG или WebP, от 256 px, до 10 МБ) командой /artist_photo <slug>
admin-usage-restrict = Формат: /restrict <slug> words=a,b topics=x,y max_seconds=3..300 products=greeting,poster,face_quiz approval=yes|no (любые из них)
admin-usage-consent = Формат: /consent <slug> by=<кто> scope=greeting,poster,face_quiz days=1..3650 [ref=<документ>]
admin-stats =
    📊 Сегодня ({ $day })
    Пользователи: всего { $users }, новых { $new }, активных { $active }
    Задания: { $jobs }
    Доля ошибок: { $failure }
    Время генерации: p50 { $p50 }, p95 { $p95 }
    Очереди: { $queues }
    Выручка:
    { $revenue }
admin-stats-no-revenue = • пока нет
admin-granted = ✅ Пользователю { $user } начислено кредитов: { $credits }. Баланс: { $balance }.
admin-banned = 🚫 Пользователь { $user } заблокирован.
admin-unbanned = ✅ Пользователь { $user } разблокирован.
admin-ban-unchanged = ℹ️ Для пользователя { $user } ничего не изменилось.
admin-user =
    👤 { $name } ({ $username }), id { $id }
    Язык: { $lang } · роль: { $role } · заблокирован: { $banned }
    Баланс: { $balance } · оплаченных заказов: { $orders } · заданий: { $jobs_total }
    Последние задания:
    { $jobs }
admin-user-no-jobs = нет
admin-yes = да
admin-no = нет
admin-jobs-section = { $status }: { $count }
admin-retried = 🔁 Задание #{ $job } снова в очереди (без нового списания).
admin-retry-refused = ⛔ Задание #{ $job_id } нельзя повторить: только с ошибкой или не доставленное.
admin-job-refunded = ↩️ Задание #{ $job } завершено; возвращено кредитов: { $credits } (если оно было оплачено).
admin-job-already-ended = ℹ️ Задание #{ $job } уже завершено ({ $status }): ничего не изменилось.
admin-artist-state = 🎤 { $slug }: { $status }
admin-artist-not-orderable = Пока недоступен для заказа: { $problem }
admin-artist-exists = ⛔ Артист с таким slug уже есть.
admin-photo-saved = 🖼 Новое основное фото { $slug }: { $width }×{ $height }.
admin-photo-bad = ⛔ Это фото не подходит.
admin-restricted = ✅ Ограничения { $slug } заданы: { $changes }
admin-consent-saved = ✅ Согласие { $slug } записано, действует до { $until }.

## Artist cards and templates (stario.handlers.admin_artists)

admin-usage-artist = Формат: /artist <slug>
admin-usage-artist-edit = Формат: /artist_edit <slug> ключ=значение ... из: name (на всех языках), name_uz, name_ru, name_en, bio_uz, bio_ru, bio_en (до 600 символов; пустое значение стирает), category=music|film|sport|comedy|other, price_greeting=1..1000, price_poster=1..1000, quiz_enabled=yes|no, active=yes|no
admin-usage-templates = Формат: /templates <slug> (или * для общих шаблонов)
admin-usage-template-set = Формат: /template_set <slug или *> <greeting|poster> <повод> <uz|ru|en> <название> | <текст>. Повод: a-z, 0-9, _ (у постера это стиль: classic, neon, minimal); название до 64 символов; текст до 1000, можно { "{" }recipient{ "}" }, { "{" }sender{ "}" }; у постера текст — от 1 до 3 строк.
admin-usage-template-del = Формат: /template_del <slug или *> <greeting|poster> <повод> [uz|ru|en]
admin-empty = —
admin-artist-card =
    🎤 { $slug }: { $status } · { $category }
    Имя: uz { $name_uz } · ru { $name_ru } · en { $name_en }
    Цены: поздравление { $price_greeting } · постер { $price_poster } кредитов
    Face Quiz: { $quiz } · активен: { $active }
    Био uz: { $bio_uz }
    Био ru: { $bio_ru }
    Био en: { $bio_en }
admin-templates = 📝 Шаблоны { $slug }:
admin-templates-none = 📝 У { $slug } нет шаблонов: формы предложат свободный повод.
admin-template-line = • { $product } · { $occasion } · { $lang }: { $title }
admin-template-line-shared = • { $product } · { $occasion } · { $lang }: { $title } (общий)
admin-template-added = ✅ Шаблон добавлен: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-replaced = ✅ Шаблон заменён: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-deleted = 🗑 { $slug } · { $occasion }: удалено шаблонов: { $count }.
admin-template-none = ℹ️ У { $slug } нет своего шаблона для { $occasion }: ничего не изменилось.
