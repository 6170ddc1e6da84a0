"""/start end to end: language first, the welcome with the free credits, deep links, /lang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from stario.core.services import ledger, users
from stario.models import CreditLedger, VerificationStatus
from stario.models import User as UserRow
from tests.bot.conftest import BotUnderTest, Sessions, buttons
from tests.conftest import TEST_DATABASE_URL
from tests.factories import add_artist, add_user
from tests.fakes import FakeTelegram, User

MENU_KEYS = (
    "menu-greeting", "menu-poster", "menu-quiz", "menu-artists",
    "menu-balance", "menu-history", "menu-help",
)  # fmt: skip


async def signup_postings(db: Sessions, user_id: int) -> list[tuple[str, int]]:
    async with db() as session:
        rows = await session.scalars(
            sa.select(CreditLedger).where(CreditLedger.user_id == user_id)
        )
        return [(row.idempotency_key, row.amount) for row in rows]


async def user_row(db: Sessions, user_id: int) -> UserRow:
    async with db() as session:
        row = await session.get(UserRow, user_id)
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("language_code", "preselected", "choice"),
    [("uz", "uz", "uz"), ("ru-RU", "ru", "ru"), ("en", "en", "en"), ("de", "uz", "en")],
)
async def test_first_start_asks_the_language_then_greets_with_the_free_credits(
    env: BotUnderTest, language_code: str, preselected: str, choice: str
) -> None:
    fan = User(id=7001, first_name="Aziza", language_code=language_code)
    picker = await env.say(fan, "/start")

    assert picker.params["text"] == env.text(preselected, "lang-choose-first")
    names = {code: env.text(code, f"lang-name-{code}") for code in ("uz", "ru", "en")}
    marked = env.text(preselected, "lang-option-selected", name=names[preselected])
    assert buttons(picker) == [marked if c == preselected else names[c] for c in names]

    welcome = await env.press(fan, names[choice])
    assert welcome.params["text"] == env.text(choice, "welcome", name="Aziza", credits=2)
    assert "2" in welcome.params["text"]
    assert buttons(welcome) == [env.text(choice, key) for key in MENU_KEYS]

    row = await user_row(env.db, fan.id)
    assert (row.language, row.balance, row.first_name) == (choice, 2, "Aziza")
    assert await signup_postings(env.db, fan.id) == [(f"signup:{fan.id}", 2)]


async def test_second_start_shows_the_menu_and_grants_nothing(env: BotUnderTest) -> None:
    fan = User(id=7002, first_name="Bekzod", language_code="ru")
    await env.say(fan, "/start")
    await env.press(fan, "Русский")

    again = await env.say(fan, "/start")

    assert again.params["text"] == env.text("ru", "menu-title")
    assert buttons(again) == [env.text("ru", key) for key in MENU_KEYS]
    assert await signup_postings(env.db, fan.id) == [(f"signup:{fan.id}", 2)]
    assert (await user_row(env.db, fan.id)).balance == 2


async def test_referral_deep_link_records_the_referrer_but_never_oneself(
    env: BotUnderTest,
) -> None:
    await add_user(env.db, 7100)
    referred = User(id=7101, language_code="en")
    selfish = User(id=7102, language_code="en")

    await env.say(referred, "/start ref_7100")
    await env.say(selfish, "/start ref_7102")
    await env.say(referred, "/start ref_7102")  # a later link changes nothing

    assert (await user_row(env.db, referred.id)).referrer_id == 7100
    assert (await user_row(env.db, selfish.id)).referrer_id is None


async def test_artist_deep_link_shows_name_and_prices_or_not_available(
    env: BotUnderTest,
) -> None:
    await add_artist(env.db, "sevara", price_greeting=5, price_poster=2)
    await add_artist(env.db, "hidden", status=VerificationStatus.PENDING)
    await add_user(env.db, 7200, language="ru")
    fan = User(id=7200, language_code="en")

    menu, card = await env.replies(fan, "/start artist_sevara", 2)

    assert menu.params["text"] == env.text("ru", "menu-title")
    assert card.params["text"].splitlines() == [
        env.text("ru", "artist-card", artist="Севара"),
        "Певица",
        env.text("ru", "artist-price-greeting", price=5),
        env.text("ru", "artist-price-poster", price=2),
    ]
    buttons = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
    assert env.text("ru", "btn-order-greeting", price=5) in buttons
    assert env.text("ru", "btn-order-poster", price=2) in buttons
    for payload in ("artist_hidden", "artist_nobody", "quiz_hidden"):
        _, reply = await env.replies(fan, f"/start {payload}", 2)
        assert reply.params["text"] == env.text("ru", "artist-unavailable"), payload


async def test_deep_link_of_a_new_fan_waits_for_the_language(env: BotUnderTest) -> None:
    await add_artist(env.db, "sevara", price_greeting=5, price_poster=2)
    fan = User(id=7300, first_name="Nodira", language_code="uz")

    picker = await env.say(fan, "/start quiz_sevara")
    assert picker.params["text"] == env.text("uz", "lang-choose-first")

    mark = len(env.tg.calls)
    env.tg.press(fan, "English")
    welcome = await env.next_call("editMessageText", after=mark, chat_id=fan.id)
    teaser = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert welcome.params["text"] == env.text("en", "welcome", name="Nodira", credits=2)
    assert teaser.params["text"].startswith(env.text("en", "quiz-ask-one", artist="Sevara"))


async def test_lang_changes_the_language_and_later_replies_follow_it(env: BotUnderTest) -> None:
    await add_user(env.db, 7400, language="uz")
    fan = User(id=7400, language_code="uz")

    picker = await env.say(fan, "/lang")
    assert picker.params["text"] == env.text("uz", "lang-choose")
    confirmed = await env.press(fan, "Русский")
    assert confirmed.params["text"] == env.text("ru", "lang-set")

    help_text = await env.say(fan, "/help")
    assert help_text.params["text"] == env.text("ru", "help")
    assert (await user_row(env.db, fan.id)).language == "ru"
    async with env.db() as session:
        assert (await users.get_user(session, fan.id)) is not None
        assert await ledger.balance_of(session, fan.id) == 0  # an existing fan: no bonus


async def test_first_contact_without_start_still_asks_the_language(env: BotUnderTest) -> None:
    fan = User(id=7500, language_code="ru")
    picker = await env.say(fan, "salom")
    assert picker.params["text"] == env.text("ru", "lang-choose-first")
    welcome = await env.press(fan, "Oʻzbekcha")
    assert welcome.params["text"] == env.text("uz", "welcome", name=fan.first_name, credits=2)


async def test_setup_sets_the_fans_commands_in_every_language(env: BotUnderTest) -> None:
    for language in ("uz", "ru", "en"):
        names = env.tg.my_commands("all_private_chats", language)
        assert names[:2] == ["start", "menu"]
        assert {"lang", "help", "terms", "privacy", "paysupport", "cancel"} <= set(names)
    described = env.tg.commands[("all_private_chats", "ru", None)]
    assert described[0]["description"] == env.text("ru", "cmd-start")


def test_stario_bot_polls_the_configured_api_and_stops_on_sigterm(
    tmp_path: Path, db: Sessions
) -> None:
    """The real `stario bot` process: answers /start through TELEGRAM_API_URL, exits 0."""
    fan = User(id=7600, first_name="Jasur", language_code="en")
    with FakeTelegram() as tg:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "BOT_TOKEN": "123456:TEST-token",
            "TELEGRAM_API_URL": tg.url,
            "DATABASE_URL": TEST_DATABASE_URL,
            "STORAGE_URL": f"file://{tmp_path / 'files'}",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "stario.cli", "bot"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            tg.wait_for_sync("getUpdates", timeout=30)
            tg.message(fan, "/start")
            reply = tg.wait_for_sync("sendMessage", timeout=10)
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0]
    assert reply.params["chat_id"] == fan.id
    assert reply.params["text"].startswith("🌐")
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert tg.calls_of("deleteWebhook")


def test_stario_bot_without_token_names_it_and_in_webhook_mode_idles(tmp_path: Path) -> None:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    missing = subprocess.run(
        [sys.executable, "-m", "stario.cli", "bot"],
        env=base, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "stario: configuration error: BOT_TOKEN is required for this command"
    ]

    webhook = {**base, "BOT_TOKEN": "123456:TEST-token", "WEBHOOK_URL": "https://x.example/tg"}
    process = subprocess.Popen(
        [sys.executable, "-m", "stario.cli", "bot"],
        env=webhook, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # until it says it idles (or exits)
        lines.append(line)
        if "receives the updates" in line:
            break
    still_running = process.poll() is None
    process.send_signal(signal.SIGTERM)
    output = "".join(lines) + process.communicate(timeout=30)[0]
    assert still_running, output  # idles instead of exiting, so no restart loop
    assert process.returncode == 0, output
