## Oʻxshashlik testi: selfi, natija kartasi, reyting, adminlarga galereya xabarlari.

quiz-intro = 🎭 Oʻxshashlik testi: selfi yuboring va yulduzga qanchalik oʻxshashligingizni bilib oling.
quiz-cost-free = 🎁 Bugun bepul: yana { $left } ta.
quiz-cost-paid = Bugungi bepul testlar tugadi: keyingisi { $price } kredit turadi.
quiz-btn-all = 🔮 Men kimga oʻxshayman?
quiz-btn-pick = ⭐ Artistni tanlash
order-pick-artist-face_quiz = 🎭 Sizni kim bilan solishtiraylik? ({ $page }-sahifa, jami { $pages })
btn-quiz-artist = 🎭 Shu artist bilan oʻxshashlik testi
quiz-ask-one = 📸 Selfi yuboring, { $artist }ga qanchalik oʻxshashligingizni aytaman.
quiz-ask-all = 📸 Selfi yuboring, sizga eng oʻxshash artistni topaman.
quiz-privacy = 🔒 Rasmingiz bir necha soniyada oʻchiriladi: saqlanmaydi, hech kimga berilmaydi.
quiz-ask-tips = Maslahat: faqat siz, kameraga qarab, yorugʻ joyda.

## Yuklab olish va yechishdan oldin rad etiladi

quiz-refuse-too-large = 📦 Fayl 10 MB dan katta. Kichikroq rasm yuboring.
quiz-refuse-not-image = 🖼 Bunday faylni oʻqiy olmayman. Rasm yuboring (JPEG, PNG yoki WebP).
quiz-refuse-animated = 🎞 Animatsiya va video toʻgʻri kelmaydi: oddiy rasm yuboring.
quiz-refuse-sticker = 🙂 Stiker selfi emas. Yuzingiz rasmini yuboring.
quiz-nothing-charged = Hech narsa yechilmadi.
quiz-hint = 📸 Selfi kutyapman: rasm yuboring yoki «Bekor qilish»ni bosing.
quiz-need-credits = Bugungi bepul testlar tugadi, keyingisi { $cost } kredit turadi, sizda { $balance } ta bor. Davom etish uchun balansni toʻldiring.
quiz-analysing = 🔍 Diqqat bilan qarayapman…

## Natija

quiz-card-headline = Siz va { $artist }
quiz-card-footer = Stario · Oʻxshashlik testi · SI
quiz-badge-twin = 👯 Egizak
quiz-badge-lookalike = 🪞 Oʻxshash
quiz-badge-vibe = ✨ Bir toʻlqinda
quiz-badge-opposites = 🌗 Qarama-qarshi
quiz-caption = { $badge }: siz { $artist }ga { $score }% oʻxshaysiz!
quiz-caption-all = Sizning yulduz egizagingiz — { $artist }: { $score }% oʻxshash. { $badge }!
quiz-share-text = Men { $artist }ga { $score }% oʻxshayman! Sen-chi?
quiz-btn-again = 🔁 Yana urinish
quiz-btn-share = 📤 Ulashish
quiz-btn-order-greeting = 🎬 { $artist }dan tabrik buyurtma qilish
quiz-btn-show-me = 🏆 Meni reytingda koʻrsat
quiz-shown = 🏆 Siz { $artist } reytingidasiz.
quiz-result-gone = Bu natija endi mavjud emas.

## Xatolar (muxlisga biror narsa yechilganmi, aytiladi)

quiz-error-no-face = 🤔 Bu rasmda yuz topilmadi. Yuzingiz aniq koʻrinadigan rasm yuboring.
quiz-error-many-faces = 👥 Bittadan koʻp yuz koʻryapman. Faqat oʻzingiz tushgan selfi yuboring.
quiz-error-face-too-small = 🔎 Rasmda yuzingiz juda kichik. Kameraga yaqinroq keling.
quiz-error-face-blurry = 🌫 Rasm juda xira. Qimirlamang, yorugʻroq joyda qayta urinib koʻring.
quiz-error-bad-photo = 🖼 Rasmni oʻqib boʻlmadi. Oddiy rasm yuboring (JPEG yoki PNG).
quiz-error-photo-too-large = 📦 Rasm juda katta. Kichikroq rasm yuboring.
quiz-error-animated = 🎞 Animatsiyali rasmlar toʻgʻri kelmaydi: oddiy rasm yuboring.
quiz-error-selfie-gone = ⌛ Rasmingizni koʻrib ulgurmasimdan muddati tugadi. Qayta yuboring.
quiz-error-artist-unavailable = 😔 Bu artist bilan test hozir yopiq.
quiz-error-gallery-empty = 🛠 Bu artist bilan test hali tayyor emas. Keyinroq urinib koʻring.
quiz-error-internal = 😔 Kechirasiz, bizda nimadir notoʻgʻri ketdi.
quiz-not-charged = Sizdan hech narsa yechilmadi.
quiz-free-not-counted = Bu urinish bepul testlaringiz hisobiga oʻtmadi.

## Reyting

quiz-board-title-today = 🏆 { $artist }: bugun eng oʻxshashlar
quiz-board-title-all = 🏆 { $artist }: barcha vaqtlarning eng oʻxshashlari
quiz-board-line = { $place }. { $name } — { $score }% · { $badge }
quiz-board-empty = Bu yerda hali hech kim yoʻq. Testdan oʻting va birinchi boʻling!
quiz-board-btn-today = 📅 Bugun
quiz-board-btn-all = 🏛 Barcha vaqt
quiz-btn-leaderboard = 🏆 Reyting
quiz-btn-take = 🎭 Testdan oʻtish
quiz-board-usage = Format: /leaderboard <artist>, masalan /leaderboard sevara

## Adminlarga: galereya

quiz-admin-photo-indexed = 🎭 Oʻxshashlik testi: { $slug } ning yangi rasmi galereyaga qoʻshildi ({ $engine }).
quiz-admin-photo-no-face = 🎭 Oʻxshashlik testi: { $slug } ning yangi rasmida yaroqli yuz yoʻq ({ $reason }). Rasm tabrik va posterlar uchun saqlandi, lekin test undan foydalana olmaydi.

## Mini App quiz API errors (stario.webapp.miniapp_quiz)

miniapp-quiz-error-selfie = Selfingiz kelmadi yoki juda uzoq vaqt oldi. Iltimos, qaytadan suratga oling.
miniapp-quiz-error-credits = Bu oʻxshashlik testi { $cost } kredit turadi, sizda esa { $balance } ta. Hisobni toʻldirib, qayta urinib koʻring.
miniapp-quiz-error-artist = Hozir bu artist bilan Face Quiz yopiq. Boshqasini tanlang.
miniapp-quiz-error-queue = Hozir testni boshlab boʻlmadi. Pul yechilmadi; bir daqiqadan soʻng qayta urinib koʻring.

## Inline share card (stario.handlers.quiz_share)

quiz-btn-share-card = 🖼 Kartamni ulashish
quiz-share-title = 🎭 Oʻxshashlik testi natijam
quiz-share-try = 🎭 { $artist } bilan oʻxshashlik testini topshirish
