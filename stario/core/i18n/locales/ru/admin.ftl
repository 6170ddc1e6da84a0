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
    /artist_add <slug> <имя> · новый артист (на проверке)
    /artist_verify <slug> · /artist_suspend <slug>
    /artist_photo <slug> · ответом на фото
    /restrict <slug> words=a,b topics=x,y max_seconds=20 products=greeting,poster approval=yes|no
    /consent <slug> by=<кто> scope=greeting,poster,face_quiz days=365
    /broadcast [uz|ru|en|all] · сообщение всем фанатам
admin-menu-operator =
    🛠 Команды оператора
    /stats · цифры за сегодня
    /user <id|@имя> · сводка о пользователе
    /jobs · задания в очереди, в работе, с ошибкой
    /retry <задание> · выполнить или доставить задание снова
    /refund_job <задание> · завершить задание и вернуть кредиты
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
