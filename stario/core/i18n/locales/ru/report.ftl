## /payments_report (stario.handlers.payments_report)

admin-usage-payments-report = Использование: /payments_report [ГГГГ-ММ-ДД] (сутки по UTC; по умолчанию сегодня)
report-title = 📊 Платежи за { $day } (сутки UTC), заказы, созданные в этот день:
report-no-orders = В этот день заказов не было.
report-group = • { $provider } · { $status }: заказов { $count }, { $amount }, кредитов { $credits }
report-ok = ✅ Расхождений нет: журнал кредитов сходится с данными провайдеров.
report-mismatches = ⚠️ Расхождений: { $count }
report-mismatch = • { $kind }: { $provider }, заказ { $order }, транзакция { $transaction }
report-amounts = (оплачено { $paid }, цена заказа { $expected }; начислено { $credited }, кредитов в заказе { $credits })
report-more = … и ещё { $count }: полный список — `stario report payments`.
report-kind-paid-without-credit = оплаченный заказ без начисления в журнале
report-kind-credit-without-paid-order = начисление в журнале без оплаченного заказа
report-kind-refunded-not-reversed = возврат у провайдера, кредиты не списаны
report-kind-amount-differs = суммы не совпадают
report-kind-unmatched-payment = полученный платёж без заказа
