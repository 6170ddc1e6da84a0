## Тест на сходство: селфи, карточка результата, рейтинг, уведомления для админов о галерее.

quiz-intro = 🎭 Тест на сходство: пришлите селфи и узнайте, насколько вы похожи на звезду.
quiz-cost-free = 🎁 Бесплатно сегодня: ещё { $left }.
quiz-cost-paid = Бесплатные тесты на сегодня закончились: следующий стоит { $price } кредит(а).
quiz-btn-all = 🔮 На кого я похож?
quiz-btn-pick = ⭐ Выбрать артиста
order-pick-artist-face_quiz = 🎭 С кем вас сравнить? (страница { $page } из { $pages })
btn-quiz-artist = 🎭 Тест на сходство с артистом
quiz-ask-one = 📸 Пришлите селфи, и я скажу, насколько вы похожи на { $artist }.
quiz-ask-all = 📸 Пришлите селфи, и я найду артиста, на которого вы похожи больше всего.
quiz-privacy = 🔒 Фото удаляется через несколько секунд: мы его не храним и никому не передаём.
quiz-ask-tips = Совет: только вы, лицом к камере, при хорошем свете.

## Отказ до скачивания и без списания

quiz-refuse-too-large = 📦 Файл больше 10 МБ. Пришлите фото поменьше.
quiz-refuse-not-image = 🖼 Такой файл я не прочитаю. Пришлите фото (JPEG, PNG или WebP).
quiz-refuse-animated = 🎞 Анимации и видео не подойдут: пришлите обычное фото.
quiz-refuse-sticker = 🙂 Стикер — не селфи. Пришлите фото своего лица.
quiz-nothing-charged = Ничего не списано.
quiz-hint = 📸 Жду селфи: пришлите фото или нажмите «Отмена».
quiz-need-credits = Бесплатные тесты на сегодня закончились, следующий стоит { $cost } кредит(а), у вас { $balance }. Пополните баланс, чтобы продолжить.
quiz-analysing = 🔍 Внимательно смотрю…

## Результат

quiz-card-headline = Вы и { $artist }
quiz-card-footer = Stario · Тест на сходство · ИИ
quiz-badge-twin = 👯 Близнецы
quiz-badge-lookalike = 🪞 Двойник
quiz-badge-vibe = ✨ Одна волна
quiz-badge-opposites = 🌗 Противоположности
quiz-caption = { $badge }: вы похожи на { $artist } на { $score }%!
quiz-caption-all = Ваша звезда-двойник — { $artist }: сходство { $score }%. { $badge }!
quiz-share-text = Я похож(а) на { $artist } на { $score }%! А ты?
quiz-btn-again = 🔁 Ещё раз
quiz-btn-share = 📤 Поделиться
quiz-btn-order-greeting = 🎬 Заказать поздравление от { $artist }
quiz-btn-show-me = 🏆 Показать меня в рейтинге
quiz-shown = 🏆 Вы в рейтинге артиста { $artist }.
quiz-result-gone = Этот результат больше недоступен.

## Ошибки (фан узнаёт, списано ли что-то)

quiz-error-no-face = 🤔 Не нашёл лицо на этом фото. Пришлите фото, где лицо хорошо видно.
quiz-error-many-faces = 👥 Вижу больше одного лица. Пришлите селфи, где только вы.
quiz-error-face-too-small = 🔎 Лицо на фото слишком маленькое. Подойдите ближе к камере.
quiz-error-face-blurry = 🌫 Фото слишком размыто. Замрите, включите свет и попробуйте снова.
quiz-error-bad-photo = 🖼 Не удалось прочитать изображение. Пришлите обычное фото (JPEG или PNG).
quiz-error-photo-too-large = 📦 Изображение слишком большое. Пришлите фото поменьше.
quiz-error-animated = 🎞 Анимированные изображения не подойдут: пришлите обычное фото.
quiz-error-selfie-gone = ⌛ Фото устарело раньше, чем я успел его посмотреть. Пришлите его снова.
quiz-error-artist-unavailable = 😔 Тест с этим артистом сейчас закрыт.
quiz-error-gallery-empty = 🛠 Тест с этим артистом ещё не готов. Попробуйте позже.
quiz-error-internal = 😔 Извините, у нас что-то пошло не так.
quiz-not-charged = С вас ничего не списано.
quiz-free-not-counted = Эта попытка не засчитана в бесплатные.

## Рейтинг

quiz-board-title-today = 🏆 { $artist }: самые похожие сегодня
quiz-board-title-all = 🏆 { $artist }: самые похожие за всё время
quiz-board-line = { $place }. { $name } — { $score }% · { $badge }
quiz-board-empty = Здесь пока никого. Пройдите тест и станьте первым!
quiz-board-btn-today = 📅 Сегодня
quiz-board-btn-all = 🏛 За всё время
quiz-btn-leaderboard = 🏆 Рейтинг
quiz-btn-take = 🎭 Пройти тест
quiz-board-usage = Формат: /leaderboard <артист>, например /leaderboard sevara

## Админам: галерея

quiz-admin-photo-indexed = 🎭 Тест на сходство: новое фото { $slug } добавлено в галерею ({ $engine }).
quiz-admin-photo-no-face = 🎭 Тест на сходство: на новом фото { $slug } нет подходящего лица ({ $reason }). Фото сохранено для поздравлений и постеров, но тест не сможет его использовать.

## Mini App quiz API errors (stario.webapp.miniapp_quiz)

miniapp-quiz-error-selfie = Мы не получили ваше селфи или оно шло слишком долго. Сделайте его ещё раз.
miniapp-quiz-error-credits = Этот квиз стоит { $cost } кредитов, а у вас { $balance }. Пополните баланс и попробуйте снова.
miniapp-quiz-error-artist = Сейчас Face Quiz с этим артистом недоступен. Выберите другого.
miniapp-quiz-error-queue = Сейчас не получается запустить квиз. Деньги не списаны; попробуйте через минуту.

## Inline share card (stario.handlers.quiz_share)

quiz-btn-share-card = 🖼 Поделиться карточкой
quiz-share-title = 🎭 Мой результат Face Quiz
quiz-share-try = 🎭 Пройти Face Quiz с { $artist }
