## Domain errors (stario.core.errors, by `.key`) and moderation reasons
## (stario.core.services.moderation), as the fan reads them.

error-internal = 🙏 Kechirasiz, bizda nimadir xato ketdi. Birozdan soʻng qayta urinib koʻring.
error-not-found = 🔎 Hech narsa topilmadi.
error-invalid-input = ✏️ Bu yerda xato borga oʻxshaydi. Tekshirib, qayta urinib koʻring.
error-invalid-amount = ✏️ Summa notoʻgʻri.
error-insufficient-balance = 💰 Kredit yetarli emas: sizda { $balance } ta, kerak { $needed } ta.
error-banned = 🚫 Stario’dan foydalanishingiz cheklangan.
error-not-available = 🛠 Bu hali mavjud emas. Tez orada!
error-artist-unavailable = 😔 Bu artist hozir bunday buyurtma qabul qilmayapti.
error-moderation = ✏️ Iltimos, matnni oʻzgartiring:
error-queue-unavailable = 🕒 Buyurtmani hozir boshlay olmadik. Kredit yechilmadi; bir daqiqadan soʻng qayta urinib koʻring.
error-order-not-payable = 🧾 Bu buyurtmani endi toʻlab boʻlmaydi: u allaqachon toʻlangan, bekor qilingan yoki muddati oʻtgan. Iltimos, yangisini rasmiylashtiring.
error-refund-refused = ↩️ Pulni qaytarib boʻlmaydi: bu toʻlovdagi kreditlar allaqachon sarflangan (balans { $balance }, qaytarish kerak { $needed }).

moderation-empty = • matn boʻsh
moderation-too-long = • matn bu video uchun juda uzun: qisqartiring
moderation-link = • havolalar mumkin emas
moderation-phone = • telefon raqamlari mumkin emas
moderation-mention = • @eslatmalar mumkin emas
moderation-profanity = • iltimos, qoʻpol soʻzlarsiz
moderation-blocked-word = • artist ruxsat bermagan soʻz bor
moderation-blocked-topic = • artist qoʻllab-quvvatlamaydigan mavzu bor
