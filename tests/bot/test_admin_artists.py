"""Admins edit an artist's card and templates: /artist_edit, /artist, /templates,
/template_set, /template_del. Validated (usage reply, nothing changes), audited, and the
greeting and poster forms then offer the artist's own templates."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from stario.models import Artist, AuditLog, PromptTemplate
from tests.bot.conftest import BotUnderTest, buttons
from tests.bot.orders import seed_templates, template_title
from tests.bot.test_admin import ADMIN, FAN, OPERATOR, audit_actions, staff, text
from tests.factories import add_artist
from tests.fakes import User as Fan


async def artist_row(env: BotUnderTest, slug: str = "sevara") -> dict[str, Any]:
    async with env.db() as session:
        artist = await session.scalar(sa.select(Artist).where(Artist.slug == slug))
        assert artist is not None
        return {
            "names": dict(artist.names), "bios": dict(artist.bios),
            "category": artist.category, "price_greeting": artist.price_greeting,
            "price_poster": artist.price_poster, "quiz_enabled": artist.quiz_enabled,
            "is_active": artist.is_active,
        }  # fmt: skip


async def test_artist_edit_changes_only_the_given_keys_and_shows_the_card(
    env: BotUnderTest,
) -> None:
    await staff(env)
    await add_artist(env.db)
    admin = Fan(id=ADMIN)
    reply = await env.say(
        admin,
        "/artist_edit sevara name_ru=Севара Назархан bio_en=Singer from Tashkent, since 2003 "
        "category=film price_greeting=7 quiz_enabled=no bio_uz=",
    )
    expected = env.text(
        "en", "admin-artist-card", slug="sevara", status="verified", category="film",
        name_uz="Sevara", name_ru="Севара Назархан", name_en="Sevara",
        bio_uz=env.text("en", "admin-empty"), bio_ru="Певица",
        bio_en="Singer from Tashkent, since 2003", price_greeting=7, price_poster=2,
        quiz=env.text("en", "admin-no"), active=env.text("en", "admin-yes"),
    )  # fmt: skip
    assert text(reply) == expected
    row = await artist_row(env)
    assert row["names"] == {"uz": "Sevara", "ru": "Севара Назархан", "en": "Sevara"}
    assert row["bios"] == {"uz": "", "ru": "Певица", "en": "Singer from Tashkent, since 2003"}
    assert (row["category"], row["price_greeting"], row["price_poster"]) == ("film", 7, 2)
    assert (row["quiz_enabled"], row["is_active"]) == (False, True)
    async with env.db() as session:
        audit = (await session.scalars(sa.select(AuditLog))).one()
    assert (audit.action, audit.actor_id, audit.target_id) == ("artist.edit", ADMIN, "sevara")
    assert audit.details["price_greeting"] == "7"

    hidden = await env.say(admin, "/artist_edit sevara name=Sevara N. active=no")
    assert env.text("en", "admin-artist-not-orderable", problem="inactive") in text(hidden)
    assert (await artist_row(env))["names"] == dict.fromkeys(("uz", "ru", "en"), "Sevara N.")
    shown = await env.say(Fan(id=OPERATOR), "/artist sevara")  # operators may look
    assert "Sevara N." in text(shown)
    assert text(shown).startswith("🎤 sevara: verified · film")


@pytest.mark.parametrize(
    "arguments",
    ["", "sevara", "sevara colour=red", "sevara price_greeting=0", "sevara price_poster=x",
     "sevara quiz_enabled=maybe", "sevara category=politics", "sevara name=",
     "sevara price_greeting=5 price_greeting=6", "sevara just words", "Bad!Slug name=X",
     "sevara bio_en=" + "x" * 601],
)  # fmt: skip
async def test_artist_edit_refuses_bad_arguments_and_changes_nothing(
    env: BotUnderTest, arguments: str
) -> None:
    await staff(env)
    await add_artist(env.db)
    before = await artist_row(env)
    reply = await env.say(Fan(id=ADMIN), f"/artist_edit {arguments}".strip())
    assert text(reply) == env.text("en", "admin-usage-artist-edit")
    assert await artist_row(env) == before
    assert await audit_actions(env) == []


async def test_unknown_artist_and_non_admins(env: BotUnderTest) -> None:
    await staff(env)
    await add_artist(env.db)
    admin = Fan(id=ADMIN)
    assert text(await env.say(admin, "/artist_edit nobody name=X")) == env.text(
        "en", "error-not-found"
    )
    assert text(await env.say(admin, "/template_del nobody greeting birthday")) == env.text(
        "en", "error-not-found"
    )
    for who, language in ((OPERATOR, "ru"), (FAN, "uz")):
        for command in ("/artist_edit sevara price_poster=3",
                        "/template_set sevara greeting birthday en A | B",
                        "/template_del sevara greeting birthday"):  # fmt: skip
            reply = await env.say(Fan(id=who), command)
            assert text(reply) == env.text(language, "fallback-command")
    assert (await artist_row(env))["price_poster"] == 2
    assert await audit_actions(env) == []


async def test_templates_set_replace_list_delete_and_the_forms_offer_them(
    env: BotUnderTest,
) -> None:
    await staff(env)
    await seed_templates(env.db)
    await add_artist(env.db)
    admin = Fan(id=ADMIN)
    added = await env.say(admin, "/template_set sevara greeting birthday en Big day | "
                                 "Hi {recipient}! {sender} asked me to sing for you.")  # fmt: skip
    assert text(added) == env.text("en", "admin-template-added", slug="sevara",
                                   product="greeting", occasion="birthday", lang="en")  # fmt: skip
    replaced = await env.say(admin, "/template_set sevara greeting birthday en Your big day | "
                                    "Hi {recipient}, {sender} says happy birthday!")  # fmt: skip
    where = {"slug": "sevara", "product": "greeting", "occasion": "birthday", "lang": "en"}
    assert text(replaced) == env.text("en", "admin-template-replaced", **where)
    await env.say(admin, "/template_set sevara poster neon en Neon nights | "
                         "{recipient}, shine!\nWith love, {sender}")  # fmt: skip
    listing = text(await env.say(admin, "/templates sevara"))
    assert env.text("en", "admin-template-line", product="greeting", occasion="birthday",
                    lang="en", title="Your big day") in listing.splitlines()  # fmt: skip
    shared = template_title("greeting", "wedding", "ru")
    shared_line = env.text("en", "admin-template-line-shared", product="greeting",
                           occasion="wedding", lang="ru", title=shared)  # fmt: skip
    assert shared_line in listing.splitlines()

    fan = Fan(id=FAN, first_name="Bekzod", language_code="uz")
    await set_language(env, fan, "uz", "en")
    occasions = await open_order(env, fan, "menu-greeting")
    assert buttons(occasions)[0] == "Your big day"
    await env.press(fan, "Your big day")
    prompt = await env.say(fan, "Aziza")
    assert "Hi Aziza, Bekzod says happy birthday!" in text(prompt)

    await env.say(fan, "/cancel")
    styles = await open_order(env, fan, "menu-poster")
    assert buttons(styles) == [template_title("poster", "classic", "en"),
                               template_title("poster", "minimal", "en"), "Neon nights",
                               env.text("en", "btn-cancel")]  # fmt: skip
    lines = await env.press(fan, "Neon nights")
    example = env.text("en", "poster-example-recipient") + ", shine!\nWith love, Bekzod"
    ask = env.text("en", "poster-lines", max=60)
    assert text(lines) == f"{ask}\n\n" + env.text("en", "poster-lines-example", example=example)

    deleted = await env.say(admin, "/template_del sevara greeting birthday")
    assert text(deleted) == env.text("en", "admin-template-deleted", slug="sevara",
                                     occasion="birthday", count=1)  # fmt: skip
    again = await env.say(admin, "/template_del sevara greeting birthday en")
    assert text(again) == env.text("en", "admin-template-none", slug="sevara",
                                   occasion="birthday")  # fmt: skip
    await env.say(fan, "/cancel")
    occasions = await open_order(env, fan, "menu-greeting")
    assert buttons(occasions)[0] == template_title("greeting", "birthday", "en")  # shared again
    assert await audit_actions(env) == ["template.set", "template.set", "template.set",
                                        "template.delete"]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    ["/template_set sevara greeting birthday en no bar here",
     "/template_set sevara greeting birthday xx Title | Body",
     "/template_set sevara video birthday en Title | Body",
     "/template_set sevara greeting Birth-Day en Title | Body",
     "/template_set sevara poster birthday en Title | Body",  # a poster's occasion is a style
     "/template_set sevara poster neon en Title | a\nb\nc\nd",
     "/template_set sevara greeting birthday en  | Body",
     "/template_set sevara greeting birthday en " + "T" * 65 + " | Body",
     "/template_set sevara greeting", "/template_del sevara", "/template_del sevara x y zz",
     "/templates"],
)  # fmt: skip
async def test_bad_template_commands_get_the_usage_and_change_nothing(
    env: BotUnderTest, command: str
) -> None:
    await staff(env)
    await add_artist(env.db)
    reply = await env.say(Fan(id=ADMIN), command)
    name = command.split()[0][1:].replace("_", "-")
    assert text(reply) == env.text("en", f"admin-usage-{name}")
    async with env.db() as session:
        assert await session.scalar(sa.select(sa.func.count(PromptTemplate.id))) == 0
    assert await audit_actions(env) == []


async def test_shared_templates_are_managed_with_a_star(env: BotUnderTest) -> None:
    await staff(env)
    await add_artist(env.db)
    admin = Fan(id=ADMIN)
    assert text(await env.say(admin, "/templates *")) == env.text(
        "en", "admin-templates-none", slug="*"
    )
    await env.say(
        admin, "/template_set * greeting holiday ru Праздник | С праздником, {recipient}!"
    )
    listing = text(await env.say(admin, "/templates sevara"))
    assert env.text("en", "admin-template-line-shared", product="greeting", occasion="holiday",
                    lang="ru", title="Праздник") in listing  # fmt: skip
    async with env.db() as session:
        row = (await session.scalars(sa.select(PromptTemplate))).one()
    assert (row.artist_id, row.body) == (None, "С праздником, {recipient}!")


async def set_language(env: BotUnderTest, fan: Fan, current: str, language: str) -> None:
    await env.say(fan, "/lang")
    await env.press(fan, env.text(current, f"lang-name-{language}"), "answerCallbackQuery")


async def open_order(env: BotUnderTest, fan: Fan, item: str) -> Any:
    """Menu → Video greeting / Poster → Sevara: the form's first question."""
    await env.say(fan, "/menu")
    await env.press(fan, env.text("en", item))
    return await env.press(fan, "Sevara")
