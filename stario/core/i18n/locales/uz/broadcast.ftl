## Xabar tarqatish (stario.handlers.broadcast, stario.bot.broadcaster)

broadcast-usage = Foydalanish: /broadcast [uz|ru|en|all]
broadcast-audience-all = barcha tillar
broadcast-audience-language = til: { $code }
broadcast-ask-text = 📣 Tarqatiladigan matnni yuboring ({ $audience }, hozir { $count } muxlis). Bekor qilish: /cancel.
broadcast-not-text = ✍️ Iltimos, matn yuboring yoki /cancel.
broadcast-too-long = ⛔ Juda uzun: ko‘pi bilan { $max } belgi.
broadcast-preview = 👀 Ko‘rib chiqing: { $count } muxlisga ({ $audience }) aynan quyidagidek boradi.
broadcast-button-send = ✅ { $count } kishiga yuborish
broadcast-button-cancel = ✖️ Bekor qilish
broadcast-cancelled = ✖️ Tarqatish bekor qilindi: hech narsa yuborilmadi.
broadcast-already = ℹ️ Bu tarqatish allaqachon boshlangan yoki bekor qilingan.
broadcast-progress = 📣 Tarqatish #{ $id }: { $done } / { $total } (yuborildi { $sent }, o‘tkazildi { $skipped }, xato { $failed })
broadcast-done = ✅ Tarqatish #{ $id } tugadi: { $sent } yuborildi, { $skipped } o‘tkazildi (botni bloklagan), { $failed } xato, jami { $total }.
