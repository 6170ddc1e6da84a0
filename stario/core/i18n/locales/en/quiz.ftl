## Face Quiz: the selfie, the result card, the leaderboard, the gallery notices for admins.

quiz-intro = 🎭 Face Quiz: send a selfie and find out how much you look like a star.
quiz-cost-free = 🎁 Free today: { $left } more.
quiz-cost-paid = Today's free quizzes are used up: one more costs { $price } credit(s).
quiz-btn-all = 🔮 Who do I look like?
quiz-btn-pick = ⭐ Pick an artist
order-pick-artist-face_quiz = 🎭 Whom shall we compare you with? (page { $page } of { $pages })
btn-quiz-artist = 🎭 Face Quiz with this artist
quiz-ask-one = 📸 Send me a selfie, and I'll tell you how much you look like { $artist }.
quiz-ask-all = 📸 Send me a selfie, and I'll find the artist you look like most.
quiz-privacy = 🔒 Your photo is deleted within seconds: never stored, never shared.
quiz-ask-tips = Tip: just you, facing the camera, in good light.

## Refused before anything is downloaded or charged

quiz-refuse-too-large = 📦 This file is over 10 MB. Please send a smaller photo.
quiz-refuse-not-image = 🖼 I can't read this kind of file. Please send a photo (JPEG, PNG or WebP).
quiz-refuse-animated = 🎞 Animations and videos won't do: please send a still photo.
quiz-refuse-sticker = 🙂 A sticker isn't a selfie. Please send a photo of your face.
quiz-nothing-charged = Nothing was charged.
quiz-hint = 📸 I'm waiting for a selfie: send a photo, or press Cancel.
quiz-need-credits = Today's free quizzes are used up, and one more costs { $cost } credit(s); you have { $balance }. Top up to play on.
quiz-analysing = 🔍 Looking closely…

## The result

quiz-card-headline = You and { $artist }
quiz-card-footer = Stario · Face Quiz · AI
quiz-badge-twin = 👯 Twin
quiz-badge-lookalike = 🪞 Lookalike
quiz-badge-vibe = ✨ Same vibe
quiz-badge-opposites = 🌗 Opposites
quiz-caption = { $badge }: you look { $score }% like { $artist }!
quiz-caption-all = Your star match is { $artist }: { $score }% alike. { $badge }!
quiz-share-text = I look { $score }% like { $artist }! What about you?
quiz-btn-again = 🔁 Try again
quiz-btn-share = 📤 Share
quiz-btn-order-greeting = 🎬 Order a greeting from { $artist }
quiz-btn-show-me = 🏆 Show me on the leaderboard
quiz-shown = 🏆 You're on the leaderboard of { $artist }.
quiz-result-gone = This result is no longer available.

## Failures (the fan is told whether it cost anything)

quiz-error-no-face = 🤔 I couldn't find a face in this photo. Try one where your face is clearly visible.
quiz-error-many-faces = 👥 I see more than one face. Please send a selfie with just you in it.
quiz-error-face-too-small = 🔎 Your face is too small in this photo. Come closer to the camera.
quiz-error-face-blurry = 🌫 The photo is too blurred. Hold still, in better light, and try again.
quiz-error-bad-photo = 🖼 I couldn't read this image. Please send an ordinary photo (JPEG or PNG).
quiz-error-photo-too-large = 📦 This image is too large. Please send a smaller photo.
quiz-error-animated = 🎞 Animated images won't do: please send a still photo.
quiz-error-selfie-gone = ⌛ Your photo expired before I could look at it. Please send it again.
quiz-error-artist-unavailable = 😔 The quiz with this artist is closed right now.
quiz-error-gallery-empty = 🛠 The quiz isn't ready for this artist yet. Please try again later.
quiz-error-internal = 😔 Sorry, something went wrong on our side.
quiz-not-charged = You were not charged.
quiz-free-not-counted = This try didn't use up one of your free quizzes.

## Leaderboard

quiz-board-title-today = 🏆 { $artist }: top lookalikes today
quiz-board-title-all = 🏆 { $artist }: top lookalikes of all time
quiz-board-line = { $place }. { $name } — { $score }% · { $badge }
quiz-board-empty = No one here yet. Take the quiz and be the first!
quiz-board-btn-today = 📅 Today
quiz-board-btn-all = 🏛 All time
quiz-btn-leaderboard = 🏆 Leaderboard
quiz-btn-take = 🎭 Take the quiz
quiz-board-usage = Usage: /leaderboard <artist>, e.g. /leaderboard sevara

## Admins: the gallery

quiz-admin-photo-indexed = 🎭 Face Quiz: the new photo of { $slug } is in the gallery ({ $engine }).
quiz-admin-photo-no-face = 🎭 Face Quiz: no usable face in the new photo of { $slug } ({ $reason }). The photo is kept for greetings and posters, but the quiz cannot use it.

## Mini App quiz API errors (stario.webapp.miniapp_quiz)

miniapp-quiz-error-selfie = We didn't receive your selfie, or it took too long. Please take it again.
miniapp-quiz-error-credits = This quiz costs { $cost } credits and you have { $balance }. Top up and try again.
miniapp-quiz-error-artist = The Face Quiz isn't open with this artist right now. Pick another one.
miniapp-quiz-error-queue = We can't start the quiz right now. You were not charged; please try again in a minute.

## Inline share card (stario.handlers.quiz_share)

quiz-btn-share-card = 🖼 Share my card
quiz-share-title = 🎭 My Face Quiz result
quiz-share-try = 🎭 Try the Face Quiz with { $artist }
