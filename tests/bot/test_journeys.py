"""Every fan journey of the bot, in uz, ru and en: the exact localised texts the bot sent (from
the Translator) and what the database holds afterwards. The narrower tests next to this one
cover each step's edge cases in one language; here each language walks the whole way.

- a new fan: /start and the language choice, the catalogue search and the card, a greeting
  order with a moderation refusal, an edit, a confirm without enough credits (the draft is
  kept), a top-up and the confirm, then balance and history;
- a known fan: /start with an artist deep link, inline mode, a poster order with a sticker and
  bad lines mid-form, an unknown command and plain text, /lang to another language.
"""

from __future__ import annotations

import pytest

from stario.core.services import ledger
from stario.core.settings import LANGUAGES
from stario.handlers.common import GreetingForm, PosterForm
from tests.bot.conftest import BotUnderTest
from tests.bot.orders import (
    RecordingQueue,
    add_named_artist,
    balance,
    jobs_of,
    seed_templates,
    state_of,
    template_title,
    use_queue,
    wait_for_jobs,
)
from tests.factories import add_user
from tests.fakes import Call, User

BIO = {"uz": "Qoʻshiqchi", "ru": "Певица", "en": "Singer"}  # tests.factories.add_artist
TEXTS = {
    "uz": ("Tugʻilgan kuning muborak, Aziza!", "Aziza, sen eng zoʻrisan!"),
    "ru": ("С днём рождения, Азиза!", "Азиза, ты лучше всех!"),
    "en": ("Happy birthday, Aziza!", "Aziza, you are the best!"),
}
STICKER = {"sticker": {"file_id": "CAAC", "file_unique_id": "u", "type": "regular",
                       "width": 512, "height": 512, "is_animated": False,
                       "is_video": False}}  # fmt: skip


@pytest.fixture
async def queue(env: BotUnderTest) -> RecordingQueue:
    recording = RecordingQueue()
    await use_queue(env, recording)
    await seed_templates(env.db)
    await add_named_artist(env.db, "sevara", "Sevara", price_greeting=5, price_poster=2)
    return recording


def text(call: Call) -> str:
    return str(call.params["text"])


def card_lines(env: BotUnderTest, language: str) -> list[str]:
    return [
        env.text(language, "artist-card", artist="Sevara"),
        BIO[language],
        env.text(language, "artist-price-greeting", price=5),
        env.text(language, "artist-price-poster", price=2),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_new_fan_signs_up_finds_an_artist_and_orders_a_greeting(
    env: BotUnderTest, queue: RecordingQueue, language: str
) -> None:
    t = env.translator
    fan = User(id=9801, first_name="Bekzod", language_code=language)
    picker = await env.say(fan, "/start")
    assert text(picker) == t.get(language, "lang-choose-first")
    welcome = await env.press(fan, t.get(language, f"lang-name-{language}"))
    assert text(welcome) == t.get(language, "welcome", name="Bekzod", credits=2)

    categories = await env.press(fan, t.get(language, "menu-artists"))
    assert text(categories) == t.get(language, "artists-title")
    ask = await env.press(fan, t.get(language, "artists-search"))
    assert text(ask) == t.get(language, "artists-search-ask")
    found = await env.say(fan, "sev")
    assert text(found) == t.get(language, "artists-search-results", query="sev")
    card = await env.press(fan, "Sevara", "sendMessage")  # no stored photo: a text card
    assert text(card).splitlines() == card_lines(env, language)

    occasions = await env.press(fan, t.get(language, "btn-order-greeting", price=5))
    assert text(occasions) == t.get(language, "greeting-occasion", artist="Sevara")
    birthday = template_title("greeting", "birthday", language)
    ask_name = await env.press(fan, birthday)
    assert text(ask_name) == t.get(language, "greeting-recipient", max=40)
    await env.say(fan, "Aziza")

    refusal = await env.say(fan, f"{TEXTS[language][0]} https://spam.example")
    assert text(refusal).splitlines() == [
        t.get(language, "error-moderation"), t.get(language, "moderation-link"), "",
        t.get(language, "order-edit-hint"),
    ]  # fmt: skip
    assert await state_of(env, fan) == GreetingForm.text.state
    first, second = TEXTS[language]
    preview = await env.say(fan, first)
    expected = {"artist": "Sevara", "occasion": birthday, "recipient": "Aziza", "cost": 5,
                "balance": 2}  # fmt: skip
    assert text(preview) == t.get(language, "greeting-preview", text=first, **expected)
    edit = await env.press(fan, t.get(language, "btn-edit"))
    assert text(edit) == t.get(language, "greeting-text-own", artist="Sevara")
    preview = await env.say(fan, second)
    assert text(preview) == t.get(language, "greeting-preview", text=second, **expected)

    confirm = t.get(language, "btn-confirm", cost=5)
    short = await env.press(fan, confirm)
    assert text(short) == t.get(language, "order-need-credits", balance=2, cost=5)
    assert await state_of(env, fan) == GreetingForm.preview.state  # the draft is kept
    assert await jobs_of(env.db, fan.id) == []
    async with env.db() as session:
        await ledger.credit(session, fan.id, 10, f"test:topup:{fan.id}")
        await session.commit()
    env.tg.press(fan, confirm)
    [job] = await wait_for_jobs(env.db, fan.id)
    assert (job.cost, job.params["text"], job.params["recipient"]) == (5, second, "Aziza")
    assert job.params["language"] == language
    assert await balance(env.db, fan.id) == 7
    assert await state_of(env, fan) is None

    money = await env.say(fan, "/balance")
    lines = text(money).splitlines()
    assert lines[0] == t.get(language, "balance-title", balance=7)
    labels = [line.split(" · ")[:2] for line in lines if " · " in line]
    assert labels[0] == ["-5", t.get(language, "posting-order", job=str(job.id))]
    assert labels[-1] == ["+2", t.get(language, "posting-signup")]
    await env.say(fan, "/menu")
    history = await env.press(fan, t.get(language, "menu-history"))
    first_line, line = text(history).splitlines()[:2]
    assert first_line == t.get(language, "history-title", page=1, pages=1)
    assert line.startswith(f"#{job.id} · {t.get(language, 'history-kind-greeting')} · Sevara")
    assert t.get(language, "history-status-queued") in line


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_known_fan_follows_a_deep_link_orders_a_poster_and_changes_language(
    env: BotUnderTest, queue: RecordingQueue, language: str
) -> None:
    t = env.translator
    await add_user(env.db, 9802, balance=5, language=language)
    fan = User(id=9802, language_code="en")
    menu, card = await env.replies(fan, "/start artist_sevara", 2)
    assert text(menu) == t.get(language, "menu-title")
    assert text(card).splitlines() == card_lines(env, language)

    mark = len(env.tg.calls)
    env.tg.inline_query(fan, "sev")
    answer = await env.next_call("answerInlineQuery", after=mark)
    assert answer.params["results"][0]["title"] == t.get(language, "inline-title", artist="Sevara")

    styles = await env.press(fan, t.get(language, "btn-order-poster", price=2))
    assert text(styles) == t.get(language, "poster-style", artist="Sevara", styles="\n".join(
        t.get(language, f"poster-style-{style}-desc") for style in ("classic", "minimal", "neon")
    ))  # fmt: skip
    neon = template_title("poster", "neon", language)
    await env.press(fan, neon)
    mark = len(env.tg.calls)
    env.tg.feed(env.fan_message(fan, STICKER))
    hint = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert text(hint) == t.get(language, "order-hint-text")
    bad = await env.say(fan, "1\n2\n3\n4")
    assert text(bad) == t.get(language, "poster-lines-bad", max=60)
    assert await state_of(env, fan) == PosterForm.lines.state
    preview = await env.say(fan, "Salom\nAziza")
    assert text(preview) == t.get(language, "poster-preview", artist="Sevara", style=neon,
                                  lines="Salom\nAziza", cost=2, balance=5)  # fmt: skip
    await env.press(fan, t.get(language, "btn-confirm", cost=2))
    [job] = await wait_for_jobs(env.db, fan.id)
    assert (job.params["template"], job.params["lines"]) == ("neon", ["Salom", "Aziza"])
    assert await balance(env.db, fan.id) == 3

    assert text(await env.say(fan, "/frobnicate")) == t.get(language, "fallback-command")
    assert text(await env.say(fan, "hello?")) == t.get(language, "fallback-text")
    other = next(code for code in LANGUAGES if code != language)
    choose = await env.say(fan, "/lang")
    assert text(choose) == t.get(language, "lang-choose")
    done = await env.press(fan, t.get(language, f"lang-name-{other}"))
    assert text(done) == t.get(other, "lang-set")
    money = await env.say(fan, "/balance")
    assert text(money).splitlines()[0] == t.get(other, "balance-title", balance=3)
