## Artists, the order forms, History (stario.handlers.artists, greeting, poster, ordering, history)

## Artists catalogue

artists-title = ⭐ Artists: pick a category, or search by name.
artists-all = 🌟 All artists
artists-category-music = 🎤 Music
artists-category-film = 🎬 Film
artists-category-sport = ⚽ Sport
artists-category-comedy = 😂 Comedy
artists-category-other = ✨ Other
artists-page = ⭐ { $category } · page { $page } of { $pages }
artists-empty = 😔 No artists here yet. Have a look at the other categories.
artists-search = 🔎 Search by name
artists-search-ask = 🔎 Send the artist's name (or part of it).
artists-search-results = 🔎 Found for “{ $query }”:
artists-search-none = 😔 Nobody found for “{ $query }”. Try another name.
btn-prev = ◀️ Back
btn-next = Next ▶️
btn-back = ⬅️ Back
btn-order-greeting = 🎬 Order a greeting · { $price }
btn-order-poster = 🖼 Order a poster · { $price }
inline-title = ⭐ { $artist }
inline-description = 🎬 Greeting: { $greeting } · 🖼 Poster: { $poster } credits
inline-message = ⭐ { $artist } on Stario: order a personal video greeting or a poster!
inline-open = 🚀 Open in Stario

## Order forms

order-pick-artist-greeting = 🎬 Who should the greeting be from? (page { $page } of { $pages })
order-pick-artist-poster = 🖼 Whose poster shall we make? (page { $page } of { $pages })
btn-cancel = ✖️ Cancel
greeting-occasion = 🎉 A greeting from { $artist }. What's the occasion?
occasion-custom = ✨ Your own message
occasion-again = 🔁 As last time
greeting-recipient = 👤 Who is it for? Send the recipient's name (up to { $max } characters).
greeting-recipient-bad = ✏️ Please send just a name, up to { $max } characters.
greeting-text =
    ✍️ What should { $artist } say? Send your own text, or use this one:

    { $suggestion }
greeting-text-own = ✍️ What should { $artist } say? Send your text.
btn-use-suggestion = ✅ Use this text
order-edit-hint = Send a new text and I'll check it again.
greeting-preview =
    🎬 Your video greeting
    ⭐ Artist: { $artist }
    🎉 Occasion: { $occasion }
    👤 For: { $recipient }
    💬 { $text }

    💰 Cost: { $cost } { $cost ->
        [one] credit
       *[other] credits
    } · your balance: { $balance }
poster-style =
    🖼 A poster with { $artist }. Pick a style:
    { $styles }
poster-style-classic = 🏛 Classic
poster-style-neon = 🌈 Neon
poster-style-minimal = ⬜ Minimal
poster-style-classic-desc = 🏛 Classic: an elegant frame and serif lettering
poster-style-neon-desc = 🌈 Neon: bright glowing colours for a party mood
poster-style-minimal-desc = ⬜ Minimal: clean, calm and lots of air
poster-lines = ✍️ Send 1 to 3 short lines for the poster, each on its own line (up to { $max } characters each).
poster-lines-bad = ✏️ A poster takes 1 to 3 lines, up to { $max } characters each. Please try again.
poster-lines-example =
    For example:
    { $example }
poster-example-recipient = Malika
poster-preview =
    🖼 Your poster
    ⭐ Artist: { $artist }
    🎨 Style: { $style }
    💬 { $lines }

    💰 Cost: { $cost } { $cost ->
        [one] credit
       *[other] credits
    } · your balance: { $balance }
btn-confirm = ✅ Confirm · { $cost }
btn-edit = ✏️ Edit the text
order-placing = ⏳ Placing your order…
order-draft-gone = ⌛ This order was already placed or cancelled.
order-need-credits = 💰 Not enough credits: you have { $balance }, this order needs { $cost }. Top up and press Confirm again: your draft is saved.
order-hint-text = ✍️ Please send text here, or press Cancel.
order-hint-buttons = 👆 Please use the buttons above, or press Cancel.

## History

history-title = 📜 Your orders (page { $page } of { $pages }):
history-empty = 📜 No orders yet. Let's make the first one!
history-line = #{ $job } · { $kind } · { $artist } · { $status } · { $date }
history-kind-greeting = 🎬 greeting
history-kind-poster = 🖼 poster
history-status-queued = ⏳ in the queue
history-status-running = ⚙️ in progress
history-status-delivered = ✅ delivered
history-status-undelivered = 📥 ready, not received
history-status-failed = ↩️ refunded
btn-history-get = 📥 #{ $job }
history-not-ready = ⏳ This order isn't ready yet.
