## Chat-bot: tanishuv, menyu, balans, maʼlumot matnlari, maslahatlar.

## Language

lang-choose-first = 🌐 Tilni tanlang · Выберите язык · Choose your language
lang-choose = 🌐 Tilni tanlang:
lang-set = ✅ Til: oʻzbekcha
lang-name-uz = 🇺🇿 Oʻzbekcha
lang-name-ru = 🇷🇺 Русский
lang-name-en = 🇬🇧 English
lang-option-selected = ✅ { $name }

## Welcome and main menu

welcome =
    👋 Stario’ga xush kelibsiz, { $name }!
    Sevimli artistingizdan shaxsiy video tabrik yoki poster buyurtma qiling: ularni sunʼiy intellekt tayyorlaydi, biz esa shu yerga, chatga yuboramiz.
    { $credits ->
        [0] Birinchi buyurtma uchun balansingizni toʻldiring.
       *[other] 🎁 Boshlash uchun sizga { $credits } ta bepul kredit berildi!
    }
menu-title = 🏠 Asosiy menyu: bugun nima yaratamiz?
menu-greeting = 🎬 Video tabrik
menu-poster = 🖼 Poster
menu-quiz = 🎭 Oʻxshashlik testi
menu-artists = ⭐ Artistlar
menu-balance = 💰 Balans
menu-history = 📜 Tarix
menu-help = ❓ Yordam
btn-menu = 🏠 Menyu
coming-soon = 🛠 Tez orada: bu boʻlim hali tayyorlanmoqda.

## Deep links

artist-card = ⭐ { $artist }
artist-price-greeting = 🎬 Video tabrik: { $price } kredit
artist-price-poster = 🖼 Poster: { $price } kredit
artist-unavailable = 😔 Bu artist hozir mavjud emas. Menyuda boshqalari ham bor.

## Balance

balance-title = 💰 Balansingiz: { $balance } kredit
balance-recent = Soʻnggi amallar:
balance-empty = Hozircha amallar yoʻq.
balance-line = { $amount } · { $what } · { $date }
posting-signup = 🎁 Xush kelibsiz bonusi
posting-payment = 💳 Balans toʻldirildi
posting-order = 🎬 №{ $job } buyurtma
posting-refund = ↩️ №{ $job } buyurtma uchun qaytarildi
posting-grant = 🎁 Stario’dan sovgʻa
posting-credit = ➕ Kirim
posting-debit = ➖ Yechib olindi
posting-reversal = ↩️ Amal bekor qilindi

## Info commands

help =
    ❓ Stario qanday ishlaydi
    1. Artistni tanlang.
    2. Video tabrik (artistning sunʼiy intellekt yaratgan portreti sizning soʻzlaringizni aytadi) yoki artist bilan poster buyurtma qiling.
    3. Kredit bilan toʻlang: natija shu chatga keladi. Buyurtma bajarilmasa, kreditlar avtomatik qaytariladi.
    🎭 Oʻxshashlik testi bepul: sevimli artistingizga qanchalik oʻxshashingizni bilib oling.

    /menu: asosiy menyu
    /balance: kreditlaringiz
    /lang: tilni oʻzgartirish
    /cancel: joriy amalni bekor qilish
    /paysupport: toʻlov boʻyicha yordam
    /terms: foydalanish shartlari
    /privacy: maxfiylik siyosati
terms =
    📄 Foydalanish shartlari
    • Stario mediani sunʼiy intellekt yordamida yaratadi. Artistlar kelishuv asosida ishtirok etadi; har bir video va poster sunʼiy intellekt yaratgani bilan belgilanadi va haqiqiy yozuv emas.
    • Natijalar faqat shaxsiy foydalanish uchun: ularni sotmang, reklamada ishlatmang va haqiqiy deb koʻrsatmang.
    • Haqorat, tahdid, reklama, havola yoki aloqa maʼlumotlari bor matnlar kredit yechilishidan oldin rad etiladi.
    • Kreditlar faqat buyurtma qabul qilinganda yechiladi. Buyurtma bajarilmasa yoki kechiksa, ular avtomatik qaytariladi.
    • Suiisteʼmol qilinganda kirishni cheklashimiz mumkin.
privacy =
    🔒 Maxfiylik
    • Hisobingiz ishlashi uchun Telegram id, ismingiz, username va tilingizni, buyurtmalaringiz, toʻlovlaringiz va balans tarixini saqlaymiz.
    • Matn va rasmlaringiz faqat buyurtmangizni tayyorlash uchun ishlatiladi. Oʻxshashlik testi uchun selfilar bir necha soniyada oʻchiriladi; yuz maʼlumotlari saqlanmaydi.
    • Tayyor natijalar saqlanadi: ularni Tarix boʻlimidan qayta olishingiz mumkin.
    • Kartangizni biz koʻrmaymiz: toʻlovlarni Telegram, Payme va Click amalga oshiradi. Maʼlumotlaringizni sotmaymiz.
paysupport =
    💳 Toʻlov boʻyicha yordam
    • Muvaffaqiyatli toʻlovdan soʻng kreditlar bir daqiqa ichida tushadi, bitta toʻlov hech qachon ikki marta hisoblanmaydi.
    • Bajarilmagan yoki kechikkan buyurtmaning kreditlari oʻzi qaytadi; /balance orqali tekshiring.
    • Baribir muammo bormi? Stario jamoasiga yozing (aloqa bot profilida): ID raqamingiz { $user_id }, sana, summa va toʻlov usulini koʻrsating.

## /cancel

cancel-done = ✖️ Bekor qilindi. Menyuga qaytamiz.
cancel-nothing = Bekor qilinadigan narsa yoʻq. Mana menyu.

## Hints, limits, bans

fallback-text = 🤔 Tushunmadim. Quyidagi tugmalardan foydalaning yoki /help ni oching.
fallback-command = 🤔 Bunday buyruqni bilmayman. Nimalar qila olishimni /help da koʻring.
fallback-media = 🙂 Rahmat, lekin bu yerda undan foydalana olmayman. Menyudan keraklisini tanlang.
fallback-button = ⌛ Bu tugma endi ishlamaydi.
slow-down = 🐢 Shoshmang! Bir vaqtda juda koʻp xabar keldi. Bir necha soniya kuting.
banned = 🚫 Stario’dan foydalanishingiz cheklangan.

## Command menu (short descriptions)

cmd-start = Boshlash va asosiy menyu
cmd-menu = Asosiy menyu
cmd-balance = Kreditlarim
cmd-lang = Tilni oʻzgartirish
cmd-help = Qanday ishlaydi
cmd-paysupport = Toʻlov boʻyicha yordam
cmd-terms = Foydalanish shartlari
cmd-privacy = Maxfiylik siyosati
cmd-cancel = Joriy amalni bekor qilish
