## Domain errors (stario.core.errors, by `.key`) and moderation reasons
## (stario.core.services.moderation), as the fan reads them.

error-internal = 🙏 Sorry, something went wrong on our side. Please try again in a moment.
error-not-found = 🔎 We couldn't find that.
error-invalid-input = ✏️ That doesn't look right. Please check it and try again.
error-invalid-amount = ✏️ That amount isn't valid.
error-insufficient-balance = 💰 Not enough credits: you have { $balance }, this needs { $needed }.
error-banned = 🚫 Your access to Stario is restricted.
error-not-available = 🛠 This isn't available yet. Coming soon!
error-artist-unavailable = 😔 This artist isn't available for this order right now.
error-moderation = ✏️ Please change your text:
error-queue-unavailable = 🕒 We couldn't start your order right now. You were not charged; please try again in a minute.
error-order-not-payable = 🧾 This order can't be paid any more: it's already paid, cancelled or expired. Please start a new one.
error-refund-refused = ↩️ The refund can't go through: the credits from this payment were already spent (balance { $balance }, to take back { $needed }).

moderation-empty = • the text is empty
moderation-too-long = • it's too long for this video: please make it shorter
moderation-link = • links aren't allowed
moderation-phone = • phone numbers aren't allowed
moderation-mention = • @mentions aren't allowed
moderation-profanity = • please keep it polite: no rude words
moderation-blocked-word = • it contains a word this artist doesn't allow
moderation-blocked-topic = • it touches a topic this artist doesn't cover
