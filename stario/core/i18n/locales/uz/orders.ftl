## Artistlar, buyurtma shakllari, Tarix

## Artistlar katalogi

artists-title = ⭐ Artistlar: toifani tanlang yoki ism boʻyicha qidiring.
artists-all = 🌟 Barcha artistlar
artists-category-music = 🎤 Musiqa
artists-category-film = 🎬 Kino
artists-category-sport = ⚽ Sport
artists-category-comedy = 😂 Hazil
artists-category-other = ✨ Boshqa
artists-page = ⭐ { $category } · { $page }-sahifa, jami { $pages }
artists-empty = 😔 Bu yerda hozircha hech kim yoʻq. Boshqa toifalarni koʻring.
artists-search = 🔎 Ism boʻyicha qidirish
artists-search-ask = 🔎 Artistning ismini (yoki bir qismini) yuboring.
artists-search-results = 🔎 “{ $query }” boʻyicha topildi:
artists-search-none = 😔 “{ $query }” boʻyicha hech kim topilmadi. Boshqa ismni sinab koʻring.
btn-prev = ◀️ Orqaga
btn-next = Keyingi ▶️
btn-back = ⬅️ Orqaga
btn-order-greeting = 🎬 Tabrik buyurtma qilish · { $price }
btn-order-poster = 🖼 Poster buyurtma qilish · { $price }
inline-title = ⭐ { $artist }
inline-description = 🎬 Tabrik: { $greeting } · 🖼 Poster: { $poster } kredit
inline-message = ⭐ { $artist } Stario’da: shaxsiy videotabrik yoki poster buyurtma qiling!
inline-open = 🚀 Stario’da ochish

## Buyurtma shakllari

order-pick-artist-greeting = 🎬 Tabrik kimdan boʻlsin? ({ $page }-sahifa, jami { $pages })
order-pick-artist-poster = 🖼 Poster kim bilan boʻlsin? ({ $page }-sahifa, jami { $pages })
btn-cancel = ✖️ Bekor qilish
greeting-occasion = 🎉 { $artist } tabrigi. Qanday munosabat bilan?
occasion-custom = ✨ Oʻz tabrigingiz
occasion-again = 🔁 Oʻtgan safargidek
greeting-recipient = 👤 Tabrik kimga? Qabul qiluvchining ismini yuboring ({ $max } belgigacha).
greeting-recipient-bad = ✏️ Faqat ismni yuboring, { $max } belgigacha.
greeting-text =
    ✍️ { $artist } nima desin? Oʻz matningizni yuboring yoki shu matndan foydalaning:

    { $suggestion }
greeting-text-own = ✍️ { $artist } nima desin? Matningizni yuboring.
btn-use-suggestion = ✅ Shu matn boʻlsin
order-edit-hint = Yangi matn yuboring, uni qayta tekshiraman.
greeting-preview =
    🎬 Videotabrigingiz
    ⭐ Artist: { $artist }
    🎉 Munosabat: { $occasion }
    👤 Kimga: { $recipient }
    💬 { $text }

    💰 Narxi: { $cost } kredit · balansingiz: { $balance }
poster-style =
    🖼 { $artist } bilan poster. Uslubni tanlang:
    { $styles }
poster-style-classic = 🏛 Klassik
poster-style-neon = 🌈 Neon
poster-style-minimal = ⬜ Minimal
poster-style-classic-desc = 🏛 Klassik: nafis ramka va jiddiy shrift
poster-style-neon-desc = 🌈 Neon: bayram kayfiyati uchun yorqin, nurli ranglar
poster-style-minimal-desc = ⬜ Minimal: toza, sokin va keng
poster-lines = ✍️ Poster uchun 1–3 ta qisqa qator yuboring, har birini yangi qatordan (har biri { $max } belgigacha).
poster-lines-bad = ✏️ Posterga 1–3 ta qator sigʻadi, har biri { $max } belgigacha. Qaytadan urinib koʻring.
poster-lines-example =
    Masalan:
    { $example }
poster-example-recipient = Malika
poster-preview =
    🖼 Posteringiz
    ⭐ Artist: { $artist }
    🎨 Uslub: { $style }
    💬 { $lines }

    💰 Narxi: { $cost } kredit · balansingiz: { $balance }
btn-confirm = ✅ Tasdiqlash · { $cost }
btn-edit = ✏️ Matnni oʻzgartirish
order-placing = ⏳ Buyurtma rasmiylashtirilmoqda…
order-draft-gone = ⌛ Bu buyurtma allaqachon rasmiylashtirilgan yoki bekor qilingan.
order-need-credits = 💰 Kredit yetmayapti: sizda { $balance }, bu buyurtmaga { $cost } kerak. Balansni toʻldirib, “Tasdiqlash”ni yana bosing: qoralama saqlandi.
order-hint-text = ✍️ Bu yerga matn yuboring yoki “Bekor qilish”ni bosing.
order-hint-buttons = 👆 Yuqoridagi tugmalardan foydalaning yoki “Bekor qilish”ni bosing.

## Tarix

history-title = 📜 Buyurtmalaringiz ({ $page }-sahifa, jami { $pages }):
history-empty = 📜 Hali buyurtmalar yoʻq. Birinchisini qilamizmi?
history-line = #{ $job } · { $kind } · { $artist } · { $status } · { $date }
history-kind-greeting = 🎬 tabrik
history-kind-poster = 🖼 poster
history-status-queued = ⏳ navbatda
history-status-running = ⚙️ tayyorlanmoqda
history-status-delivered = ✅ yetkazildi
history-status-undelivered = 📥 tayyor, olinmagan
history-status-failed = ↩️ qaytarildi
btn-history-get = 📥 #{ $job }
history-not-ready = ⏳ Bu buyurtma hali tayyor emas.
