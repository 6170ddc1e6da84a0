## /payments_report (stario.handlers.payments_report)

admin-usage-payments-report = Foydalanish: /payments_report [YYYY-MM-DD] (UTC boʻyicha kun; standart: bugun)
report-title = 📊 { $day } kungi toʻlovlar (UTC kuni), shu kuni yaratilgan buyurtmalar:
report-no-orders = Bu kunda buyurtmalar boʻlmagan.
report-group = • { $provider } · { $status }: { $count } ta buyurtma, { $amount }, { $credits } kredit
report-ok = ✅ Nomuvofiqlik yoʻq: kreditlar jurnali provayderlar maʼlumotlariga mos.
report-mismatches = ⚠️ Nomuvofiqliklar: { $count }
report-mismatch = • { $kind }: { $provider }, buyurtma { $order }, tranzaksiya { $transaction }
report-amounts = (toʻlangan { $paid }, buyurtma narxi { $expected }; berilgan { $credited }, buyurtmadagi kredit { $credits })
report-more = … va yana { $count } ta: toʻliq roʻyxat — `stario report payments`.
report-kind-paid-without-credit = jurnalda kredit yozilmagan toʻlangan buyurtma
report-kind-credit-without-paid-order = toʻlangan buyurtmasiz jurnal krediti
report-kind-refunded-not-reversed = provayderda qaytarilgan, kreditlar yechilmagan
report-kind-amount-differs = summalar mos emas
report-kind-unmatched-payment = hech bir buyurtmaga mos kelmagan toʻlov
