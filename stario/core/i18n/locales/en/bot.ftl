## The chat bot: onboarding, menu, balance, info texts, hints.

## Language

lang-choose-first = 🌐 Tilni tanlang · Выберите язык · Choose your language
lang-choose = 🌐 Choose your language:
lang-set = ✅ Language: English
lang-name-uz = 🇺🇿 Oʻzbekcha
lang-name-ru = 🇷🇺 Русский
lang-name-en = 🇬🇧 English
lang-option-selected = ✅ { $name }

## Welcome and main menu

welcome =
    👋 Welcome to Stario, { $name }!
    Order a personal video greeting or a poster from your favourite artist: made with AI and delivered right here in the chat.
    { $credits ->
        [0] Top up your balance to place your first order.
       *[other] 🎁 You've got { $credits } free { $credits ->
            [one] credit
           *[other] credits
        } to start with!
    }
menu-title = 🏠 Main menu: what shall we make today?
menu-greeting = 🎬 Video greeting
menu-poster = 🖼 Poster
menu-quiz = 🎭 Face Quiz
menu-artists = ⭐ Artists
menu-balance = 💰 Balance
menu-history = 📜 History
menu-help = ❓ Help
btn-menu = 🏠 Menu
coming-soon = 🛠 Coming soon: we're still building this part.

## Deep links

artist-card = ⭐ { $artist }
artist-price-greeting = 🎬 Video greeting: { $price } { $price ->
        [one] credit
       *[other] credits
    }
artist-price-poster = 🖼 Poster: { $price } { $price ->
        [one] credit
       *[other] credits
    }
artist-unavailable = 😔 This artist isn't available right now. Have a look at the menu for more.

## Balance

balance-title = 💰 Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }
balance-recent = Recent activity:
balance-empty = No activity yet.
balance-line = { $amount } · { $what } · { $date }
posting-signup = 🎁 Welcome bonus
posting-payment = 💳 Top-up
posting-order = 🎬 Order #{ $job }
posting-refund = ↩️ Refund for order #{ $job }
posting-grant = 🎁 Gift from Stario
posting-credit = ➕ Credit
posting-debit = ➖ Charge
posting-reversal = ↩️ Reversal

## Info commands

help =
    ❓ How Stario works
    1. Pick an artist.
    2. Order a video greeting (the artist's AI portrait says your words) or a poster with the artist.
    3. Pay with credits: the result arrives right here in the chat. If an order fails, the credits come back automatically.
    🎭 The Face Quiz is free: find out how much you look like your favourite artist.

    /menu: main menu
    /balance: your credits
    /lang: change the language
    /cancel: stop what you're doing
    /paysupport: help with payments
    /terms: terms of use
    /privacy: privacy policy
terms =
    📄 Terms of use
    • Stario makes media with AI. Artists take part under an agreement; every video and poster is marked as AI-made and is not a real recording.
    • Results are for personal use: don't sell them, use them in advertising or pass them off as real.
    • Texts with insults, threats, advertising, links or contact details are refused before any charge.
    • Credits are charged only when an order is accepted. If it fails or is late, they come back automatically.
    • We may restrict access for abuse.
privacy =
    🔒 Privacy
    • We keep your Telegram id, name, username and language, your orders, payments and balance history: what we need to run your account.
    • Your texts and photos are used only to make your order. Face Quiz selfies are deleted within seconds; no face data is kept.
    • Finished results are stored so you can get them again from History.
    • We never see your card: Telegram, Payme and Click handle payments. We don't sell your data.
paysupport =
    💳 Payment support
    • Credits arrive within a minute of a successful payment, and one payment is never credited twice.
    • A failed or late order gives its credits back by itself; check /balance.
    • Something still wrong? Contact the Stario team (the contact is in the bot's profile) with your ID { $user_id }, the date, the amount and how you paid.

## /cancel

cancel-done = ✖️ Cancelled. Back to the menu.
cancel-nothing = Nothing to cancel. Here's the menu.

## Hints, limits, bans

fallback-text = 🤔 I didn't quite get that. Use the buttons below, or see /help.
fallback-command = 🤔 I don't know that command. See /help for what I can do.
fallback-media = 🙂 Nice, but I can't use that here. Pick what you'd like from the menu.
fallback-button = ⌛ This button is no longer active.
slow-down = 🐢 Easy there! That's a lot of messages at once. Please wait a few seconds.
banned = 🚫 Your access to Stario is restricted.

## Command menu (short descriptions)

cmd-start = Start and main menu
cmd-menu = Main menu
cmd-balance = My credits
cmd-lang = Change language
cmd-help = How it works
cmd-paysupport = Payment support
cmd-terms = Terms of use
cmd-privacy = Privacy policy
cmd-cancel = Cancel the current action
