## /payments_report (stario.handlers.payments_report)

admin-usage-payments-report = Usage: /payments_report [YYYY-MM-DD] (a UTC day; default: today)
report-title = 📊 Payments on { $day } (UTC day), orders created that day:
report-no-orders = No orders were created that day.
report-group = • { $provider } · { $status }: { $count } orders, { $amount }, { $credits } credits
report-ok = ✅ No mismatches: the ledger agrees with the providers' records.
report-mismatches = ⚠️ Mismatches: { $count }
report-mismatch = • { $kind }: { $provider }, order { $order }, transaction { $transaction }
report-amounts = (paid { $paid }, order price { $expected }; credited { $credited }, order credits { $credits })
report-more = … and { $count } more: `stario report payments` lists them all.
report-kind-paid-without-credit = paid order without a ledger credit
report-kind-credit-without-paid-order = ledger credit without a paid order
report-kind-refunded-not-reversed = refunded at the provider, credits not taken back
report-kind-amount-differs = amounts differ
report-kind-unmatched-payment = payment received that matched no order
