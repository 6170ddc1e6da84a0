## Admin and operator commands (stario.handlers.admin)

admin-menu =
    🛠 Admin commands
    /stats · figures of today
    /user <id|@name> · a user's summary
    /grant <user> <credits> <reason> · give credits
    /ban <user> · /unban <user>
    /jobs · queued, running, failed jobs
    /retry <job> · run or deliver a job again
    /refund_job <job> · end a job and refund it
    /payments_report [YYYY-MM-DD] · payments of a day (UTC) and mismatches
    /refund_stars <charge_id> · refund a Stars payment
    /artist_add <slug> <name> · a new artist (pending)
    /artist_verify <slug> · /artist_suspend <slug>
    /artist_photo <slug> · as a reply to a photo
    /restrict <slug> words=a,b topics=x,y max_seconds=20 products=greeting,poster approval=yes|no
    /consent <slug> by=<who> scope=greeting,poster,face_quiz days=365
    /artist <slug> · an artist's card as stored
    /artist_edit <slug> name=… name_ru=… bio_en=… category=music price_greeting=5 price_poster=2 quiz_enabled=yes active=yes
    /templates <slug|*> · the templates the order forms offer
    /template_set <slug|*> <greeting|poster> <occasion> <uz|ru|en> <title> | <text>
    /template_del <slug|*> <greeting|poster> <occasion> [uz|ru|en]
    /broadcast [uz|ru|en|all] · a message to every fan
admin-menu-operator =
    🛠 Operator commands
    /stats · figures of today
    /user <id|@name> · a user's summary
    /jobs · queued, running, failed jobs
    /retry <job> · run or deliver a job again
    /refund_job <job> · end a job and refund it
    /payments_report [YYYY-MM-DD] · payments of a day (UTC) and mismatches
    /artist <slug> · an artist's card as stored
    /templates <slug|*> · the templates the order forms offer
admin-usage-grant = Usage: /grant <user id or @name> <credits> <reason>
admin-usage-ban = Usage: /ban <user id or @name>
admin-usage-unban = Usage: /unban <user id or @name>
admin-usage-user = Usage: /user <user id or @name>
admin-usage-retry = Usage: /retry <job number> (a failed or undelivered job)
admin-usage-refund-job = Usage: /refund_job <job number>
admin-usage-artist-add = Usage: /artist_add <slug> <name> (slug: a-z, 0-9, - and _)
admin-usage-artist-verify = Usage: /artist_verify <slug>
admin-usage-artist-suspend = Usage: /artist_suspend <slug>
admin-usage-artist-photo = Usage: reply to a photo (JPEG, PNG or WebP, at least 256 px, up to 10 MB) with /artist_photo <slug>
admin-usage-restrict = Usage: /restrict <slug> words=a,b topics=x,y max_seconds=3..300 products=greeting,poster,face_quiz approval=yes|no (any of them)
admin-usage-consent = Usage: /consent <slug> by=<who> scope=greeting,poster,face_quiz days=1..3650 [ref=<document>]
admin-stats =
    📊 Today ({ $day })
    Users: { $users } total, { $new } new, { $active } active
    Jobs: { $jobs }
    Failure rate: { $failure }
    Generation time: p50 { $p50 }, p95 { $p95 }
    Queues: { $queues }
    Revenue:
    { $revenue }
admin-stats-no-revenue = • none yet
admin-granted = ✅ { $credits } credits granted to { $user }. Their balance: { $balance }.
admin-banned = 🚫 User { $user } is banned.
admin-unbanned = ✅ User { $user } is unbanned.
admin-ban-unchanged = ℹ️ Nothing changed for user { $user }.
admin-user =
    👤 { $name } ({ $username }), id { $id }
    Language: { $lang } · role: { $role } · banned: { $banned }
    Balance: { $balance } · paid orders: { $orders } · jobs: { $jobs_total }
    Last jobs:
    { $jobs }
admin-user-no-jobs = none
admin-yes = yes
admin-no = no
admin-jobs-section = { $status }: { $count }
admin-retried = 🔁 Job #{ $job } is queued again (no new charge).
admin-retry-refused = ⛔ Job #{ $job_id } can't be retried: only failed or undelivered jobs can.
admin-job-refunded = ↩️ Job #{ $job } ended; { $credits } credits refunded (if it was paid).
admin-job-already-ended = ℹ️ Job #{ $job } had already ended ({ $status }): nothing changed.
admin-artist-state = 🎤 { $slug }: { $status }
admin-artist-not-orderable = Not orderable yet: { $problem }
admin-artist-exists = ⛔ An artist with this slug already exists.
admin-photo-saved = 🖼 New primary photo of { $slug }: { $width }×{ $height }.
admin-photo-bad = ⛔ That isn't a usable photo.
admin-restricted = ✅ Restrictions of { $slug } set: { $changes }
admin-consent-saved = ✅ Consent of { $slug } recorded, valid until { $until }.

## Artist cards and templates (stario.handlers.admin_artists)

admin-usage-artist = Usage: /artist <slug>
admin-usage-artist-edit = Usage: /artist_edit <slug> key=value ... with any of: name (every language), name_uz, name_ru, name_en, bio_uz, bio_ru, bio_en (up to 600 characters; empty clears), category=music|film|sport|comedy|other, price_greeting=1..1000, price_poster=1..1000, quiz_enabled=yes|no, active=yes|no
admin-usage-templates = Usage: /templates <slug> (or * for the shared templates)
admin-usage-template-set = Usage: /template_set <slug or *> <greeting|poster> <occasion> <uz|ru|en> <title> | <text>. Occasion: a-z, 0-9, _ (a poster's is its style: classic, neon, minimal); title up to 64 characters; text up to 1000, may use { "{" }recipient{ "}" }, { "{" }sender{ "}" }; a poster's text is 1 to 3 lines.
admin-usage-template-del = Usage: /template_del <slug or *> <greeting|poster> <occasion> [uz|ru|en]
admin-empty = —
admin-artist-card =
    🎤 { $slug }: { $status } · { $category }
    Name: uz { $name_uz } · ru { $name_ru } · en { $name_en }
    Prices: greeting { $price_greeting } · poster { $price_poster } credits
    Face Quiz: { $quiz } · active: { $active }
    Bio uz: { $bio_uz }
    Bio ru: { $bio_ru }
    Bio en: { $bio_en }
admin-templates = 📝 Templates of { $slug }:
admin-templates-none = 📝 { $slug } has no templates: the forms offer a free-form occasion.
admin-template-line = • { $product } · { $occasion } · { $lang }: { $title }
admin-template-line-shared = • { $product } · { $occasion } · { $lang }: { $title } (shared)
admin-template-added = ✅ Template added: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-replaced = ✅ Template replaced: { $slug } · { $product } · { $occasion } · { $lang }.
admin-template-deleted = 🗑 { $slug } · { $occasion }: { $count } template(s) removed.
admin-template-none = ℹ️ { $slug } has no own template for { $occasion }: nothing changed.
