## Telegram Stars orqali toʻlov (stario.handlers.payments)

btn-buy-credits = 💳 Kredit sotib olish
payments-buy-title =
    💳 Telegram Stars evaziga kredit sotib olish
    Paketni tanlang: kreditlar toʻlovdan soʻng darhol tushadi.
payments-no-packages = 😔 Hozir sotuvda paketlar yoʻq. Keyinroq urinib koʻring.
payments-btn-package = ⭐ { $credits } kredit · { $stars } Stars
payments-invoice-title = Stario: { $credits } kredit
payments-invoice-description = Sevimli artistlaringizdan video tabriklar va posterlar uchun { $credits } kredit.
payments-invoice-label = { $credits } kredit
payments-invoice-sent = 👇 Hisob quyida: { $credits } kredit sotib olish uchun «Toʻlash»ni bosing.
payments-error-invalid = Bu hisob endi amal qilmaydi. «Kredit sotib olish»ni qayta oching.
payments-error-currency = Bu hisobni faqat Telegram Stars bilan toʻlash mumkin.
payments-error-amount = Narx oʻzgardi. «Kredit sotib olish»ni qayta oching.
payments-error-paid = Bu hisob allaqachon toʻlangan. Yana sotib olish uchun «Kredit sotib olish»ni oching.
payments-error-expired = Hisobning muddati tugagan. «Kredit sotib olish»ni qayta oching.
payments-error-unavailable = Bu paket endi sotilmaydi. Boshqasini tanlang.
payments-error-banned = Hisobingizdan xarid qilib boʻlmaydi.
payments-error-busy = Toʻlovni oʻz vaqtida tekshira olmadik. Qayta urinib koʻring.
payments-thanks = ✅ Rahmat! { $credits } kredit qoʻshildi. Balansingiz: { $balance }.
payments-draft-ready = ✍️ Qoralamangiz kutmoqda: buyurtma berish uchun undagi «Tasdiqlash»ni bosing.
payments-unmatched = ⚠️ Toʻlovingizni oldik, lekin uni buyurtma bilan bogʻlay olmadik. Qoʻllab-quvvatlash xizmati hal qiladi: /paysupport
payments-refunded = ↩️ Toʻlovingiz qaytarildi: { $credits } kredit yechildi. Balansingiz: { $balance }.
admin-usage-refund-stars = Foydalanish: /refund_stars <telegram payment charge id>
payments-admin-refunded = ↩️ { $charge } toʻlovi qaytarildi: { $user } foydalanuvchidan { $credits } kredit yechildi. Uning balansi: { $balance }.
payments-admin-refunded-uncredited = ↩️ { $charge } toʻlovi qaytarildi (u boʻyicha kredit berilmagan edi).
payments-admin-already = ℹ️ { $charge } toʻlovi avval qaytarilgan: hech narsa oʻzgarmadi.
payments-admin-refused = ⛔ Qaytarish rad etildi: muxlis kreditlarni sarflab boʻlgan (balans { $balance }, yechish kerak: { $needed }). Hech narsa qaytarilmadi.
payments-admin-not-found = ⛔ { $charge } charge id bilan Stars toʻlovi yoʻq.
payments-admin-failed = ⛔ Telegram qaytarishni rad etdi ({ $error }). Hech narsa oʻzgarmadi.

## /paysupport: the fan's recent orders (stario.handlers.info)

paysupport-orders-title = 🧾 Soʻnggi buyurtmalaringiz (vaqt UTC boʻyicha):
paysupport-order-line = • №{ $number } · { $date } · { $credits } kredit · { $provider } · { $amount } · { $status }
paysupport-amount-stars = { $amount } Stars
paysupport-amount-uzs = { $amount } soʻm
paysupport-provider-stars = Telegram Stars
paysupport-provider-payme = Payme
paysupport-provider-click = Click
paysupport-status-pending = ⏳ toʻlov kutilmoqda
paysupport-status-paid = ✅ toʻlangan
paysupport-status-cancelled = ✖️ bekor qilingan
paysupport-status-expired = ⌛ muddati oʻtgan
paysupport-status-refunded = ↩️ qaytarilgan

## Mini App API errors (stario.webapp.miniapp)

miniapp-error-unauthorized = Stario’ni Telegram’dan qaytadan oching: kimligingizni tasdiqlab boʻlmadi.
miniapp-error-expired = Seans eskirgan. Mini ilovani yopib, qayta oching.
miniapp-error-bad-request = Bu soʻrovda xatolik bor. Mini ilovani qayta ochib, yana urinib koʻring.
miniapp-error-package = Bu paket endi sotilmaydi. Boshqasini tanlang.
miniapp-error-provider = Bu toʻlov usuli hozir mavjud emas. Boshqasini tanlang.
miniapp-error-banned = Hisobingiz xarid qila olmaydi.
miniapp-error-unknown-user = Avval botni ishga tushiring: Telegram’da Stario’ga /start yuboring.
miniapp-error-telegram = Telegram hisobni yarata olmadi. Bir daqiqadan soʻng qayta urinib koʻring.
