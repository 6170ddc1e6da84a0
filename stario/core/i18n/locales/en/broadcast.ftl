## Broadcasts (stario.handlers.broadcast, stario.bot.broadcaster)

broadcast-usage = Usage: /broadcast [uz|ru|en|all]
broadcast-audience-all = all languages
broadcast-audience-language = language { $code }
broadcast-ask-text = 📣 Send the text of the broadcast ({ $audience }, { $count } fans now). /cancel to stop.
broadcast-not-text = ✍️ Please send the broadcast as text, or /cancel.
broadcast-too-long = ⛔ Too long: at most { $max } characters.
broadcast-preview = 👀 Preview: this goes to { $count } fans ({ $audience }) exactly as below.
broadcast-button-send = ✅ Send to { $count }
broadcast-button-cancel = ✖️ Cancel
broadcast-cancelled = ✖️ Broadcast cancelled: nothing was sent.
broadcast-already = ℹ️ This broadcast was already started or cancelled.
broadcast-progress = 📣 Broadcast #{ $id }: { $done } of { $total } (sent { $sent }, skipped { $skipped }, failed { $failed })
broadcast-done = ✅ Broadcast #{ $id } finished: { $sent } sent, { $skipped } skipped (blocked the bot), { $failed } failed, of { $total }.
