## Administrator va operator buyruqlari (stario.handlers.admin)

admin-menu =
    🛠 Administrator buyruqlari
    /stats · bugungi koʻrsatkichlar
    /user <id|@nom> · foydalanuvchi haqida
    /grant <foydalanuvchi> <kredit> <sabab> · kredit berish
    /ban <foydalanuvchi> · /unban <foydalanuvchi>
    /jobs · navbatdagi, bajarilayotgan, xato bilan tugagan vazifalar
    /retry <vazifa> · vazifani qayta bajarish yoki yetkazish
    /refund_job <vazifa> · vazifani tugatib, kreditni qaytarish
    /payments_report [YYYY-OO-KK] · kunlik toʻlovlar (UTC) va nomuvofiqliklar
    /refund_stars <charge_id> · Stars toʻlovini qaytarish
    /artist_add <slug> <ism> · yangi artist (tekshiruvda)
    /artist_verify <slug> · /artist_suspend <slug>
    /artist_photo <slug> · rasmga javob sifatida
    /restrict <slug> words=a,b topics=x,y max_seconds=20 products=greeting,poster approval=yes|no
    /consent <slug> by=<kim> scope=greeting,poster,face_quiz days=365
    /artist <slug> · artist kartochkasi
    /artist_edit <slug> name=… name_ru=… bio_en=… category=music price_greeting=5 price_poster=2 quiz_enabled=yes active=yes
    /templates <slug|*> · buyurtma shakllari taklif qiladigan shablonlar
    /template_set <slug|*> <greeting|poster> <munosabat> <uz|ru|en> <nom> | <matn>
    /template_del <slug|*> <greeting|poster> <munosabat> [uz|ru|en]
    /broadcast [uz|ru|en|all] · barcha muxlislarga xabar
admin-menu-operator =
    🛠 Operator buyruqlari
    /stats · bugungi koʻrsatkichlar
    /user <id|@nom> · foydalanuvchi haqida
    /jobs · navbatdagi, bajarilayotgan, xato bilan tugagan vazifalar
    /retry <vazifa> · vazifani qayta bajarish yoki yetkazish
    /refund_job <vazifa> · vazifani tugatib, kreditni qaytarish
    /payments_report [YYYY-OO-KK] · kunlik toʻlovlar (UTC) va nomuvofiqliklar
    /artist <slug> · artist kartochkasi
    /templates <slug|*> · buyurtma shakllari taklif qiladigan shablonlar
admin-usage-grant = Format: /grant <id yoki @nom> <kredit> <sabab>
admin-usage-ban = Format: /ban <id yoki @nom>
admin-usage-unban = Format: /unban <id yoki @nom>
admin-usage-user = Format: /user <id yoki @nom>
admin-usage-retry = Format: /retry <vazifa raqami> (xato bilan tugagan yoki yetkazilmagan)
admin-usage-refund-job = Format: /refund_job <vazifa raqami>
admin-usage-artist-add = Format: /artist_add <slug> <ism> (slug: a-z, 0-9, - va _)
admin-usage-artist-verify = Format: /artist_verify <slug>
admin-usage-artist-suspend = Format: /artist_suspend <slug>
admin-usage-artist-photo = Format: rasmga (JPEG, PNG yoki WebP, kamida 256 px, 10 MB gacha) /artist_photo <slug> bilan javob bering
admin-usage-restrict = Format: /restrict <slug> words=a,b topics=x,y max_seconds=3..300 products=greeting,poster,face_quiz approval=yes|no (istalganlari)
admin-usage-consent = Format: /consent <slug> by=<kim> scope=greeting,poster,face_quiz days=1..3650 [ref=<hujjat>]
admin-stats =
    📊 Bugun ({ $day })
    Foydalanuvchilar: jami { $users }, yangi { $new }, faol { $active }
    Vazifalar: { $jobs }
    Xatolar ulushi: { $failure }
    Yaratish vaqti: p50 { $p50 }, p95 { $p95 }
    Navbatlar: { $queues }
    Tushum:
    { $revenue }
admin-stats-no-revenue = • hali yoʻq
admin-granted = ✅ { $user } foydalanuvchiga { $credits } kredit berildi. Balansi: { $balance }.
admin-banned = 🚫 { $user } foydalanuvchi bloklandi.
admin-unbanned = ✅ { $user } foydalanuvchi blokdan chiqarildi.
admin-ban-unchanged = ℹ️ { $user } foydalanuvchi uchun hech narsa oʻzgarmadi.
admin-user =
    👤 { $name } ({ $username }), id { $id }
    Til: { $lang } · rol: { $role } · bloklangan: { $banned }
    Balans: { $balance } · toʻlangan buyurtmalar: { $orders } · vazifalar: { $jobs_total }
    Soʻnggi vazifalar:
    { $jobs }
admin-user-no-jobs = yoʻq
admin-yes = ha
admin-no = yoʻq
admin-jobs-section = { $status }: { $count }
admin-retried = 🔁 #{ $job } vazifa yana navbatda (yangi toʻlovsiz).
admin-retry-refused = ⛔ #{ $job_id } vazifani qayta bajarib boʻlmaydi: faqat xato bilan tugagan yoki yetkazilmagan vazifalar.
admin-job-refunded = ↩️ #{ $job } vazifa tugatildi; { $credits } kredit qaytarildi (agar toʻlangan boʻlsa).
admin-job-already-ended = ℹ️ #{ $job } vazifa allaqachon tugagan ({ $status }): hech narsa oʻzgarmadi.
admin-artist-state = 🎤 { $slug }: { $status }
admin-artist-not-orderable = Hali buyurtma qilib boʻlmaydi: { $problem }
admin-artist-exists = ⛔ Bunday slug bilan artist allaqachon bor.
admin-photo-saved = 🖼 { $slug } uchun yangi asosiy rasm: { $width }×{ $height }.
admin-photo-bad = ⛔ Bu rasm yaroqsiz.
admin-restricted = ✅ { $slug } cheklovlari oʻrnatildi: { $changes }
admin-consent-saved = ✅ { $slug } roziligi yozildi, { $until } gacha amal qiladi.

## Artist cards and templates (stario.handlers.admin_artists)

admin-usage-artist = Format: /artist <slug>
admin-usage-artist-edit = Format: /artist_edit <slug> kalit=qiymat ... quyidagilardan: name (barcha tillarda), name_uz, name_ru, name_en, bio_uz, bio_ru, bio_en (600 belgigacha; boʻsh qiymat oʻchiradi), category=music|film|sport|comedy|other, price_greeting=1..1000, price_poster=1..1000, quiz_enabled=yes|no, active=yes|no
admin-usage-templates = Format: /templates <slug> (umumiy shablonlar uchun *)
admin-usage-template-set = Format: /template_set <slug yoki *> <greeting|poster> <munosabat> <uz|ru|en> <nom> | <matn>. Munosabat: a-z, 0-9, _ (posterda bu uslub: classic, neon, minimal); nom 64 belgigacha; matn 1000 belgigacha, { "{" }recipient{ "}" }, { "{" }sender{ "}" } ishlatish mumkin; poster matni 1 dan 3 qatorgacha.
admin-usage-template-del = Format: /template_del <slug yoki *> <greeting|poster> <munosabat> [uz|ru|en]
admin-empty = —
admin-artist-card =
    🎤 { $slug }: { $status } · { $category }
    Ism: uz { $name_uz } · ru { $name_ru } · en { $name_en }
    Narxlar: tabrik { $price_greeting } · poster { $price_poster } kredit
    Face Quiz: { $quiz } · faol: { $active }
    Bio uz: { $bio_uz }
    Bio ru: { $bio_ru }
    Bio en: { $bio_en }
admin-templates = 📝 { $slug } shablonlari:
admin-templates-none = 📝 { $slug } uchun shablon yoʻq: shakllar erkin munosabatni taklif qiladi.
admin-template-line = • { $product } · { $occasion } · { $lang }: { $title }
admin-template-line-shared = • { $product } · { $occasion } · { $lang }: { $title } (umumiy)
admin-template-added = ✅ Shablon qoʻshildi: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-replaced = ✅ Shablon almashtirildi: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-deleted = 🗑 { $slug } · { $occasion }: { $count } ta shablon oʻchirildi.
admin-template-none = ℹ️ { $slug } uchun { $occasion } boʻyicha oʻz shabloni yoʻq: hech narsa oʻzgarmadi.
