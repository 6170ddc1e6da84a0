"""The artist catalogue end to end: categories and pages, search, the card, inline mode."""

from __future__ import annotations

from stario.models import VerificationStatus
from tests.bot.conftest import BotUnderTest, buttons
from tests.bot.orders import add_named_artist, store_portrait
from tests.factories import add_artist, add_user
from tests.fakes import User


async def test_catalogue_pages_by_category_and_hides_unorderable_artists(
    env: BotUnderTest,
) -> None:
    for number in range(8):
        await add_named_artist(env.db, f"singer-{number}", f"Singer {number}")
    await add_named_artist(env.db, "actor", "Actor One", category="film")
    await add_named_artist(env.db, "pending", "Hidden One", status=VerificationStatus.PENDING)
    await add_named_artist(env.db, "expired", "Hidden Two", consent_days=-1)
    await add_user(env.db, 9101, language="en")
    fan = User(id=9101)
    await env.say(fan, "/menu")

    categories = await env.press(fan, env.text("en", "menu-artists"))
    assert categories.params["text"] == env.text("en", "artists-title")
    assert buttons(categories) == [
        env.text("en", "artists-all"), env.text("en", "artists-category-film"),
        env.text("en", "artists-category-music"), env.text("en", "artists-search"),
        env.text("en", "btn-menu"),
    ]  # fmt: skip

    first = await env.press(fan, env.text("en", "artists-category-music"))
    music = env.text("en", "artists-category-music")
    assert first.params["text"] == env.text("en", "artists-page", category=music, page=1, pages=2)
    assert buttons(first)[:7] == [f"Singer {n}" for n in range(6)] + [env.text("en", "btn-next")]

    second = await env.press(fan, env.text("en", "btn-next"))
    assert second.params["text"] == env.text("en", "artists-page", category=music, page=2, pages=2)
    assert buttons(second)[:3] == ["Singer 6", "Singer 7", env.text("en", "btn-prev")]
    assert not any("Hidden" in text for text in buttons(first) + buttons(second))


async def test_search_by_name_opens_the_card_with_photo_bio_and_prices(env: BotUnderTest) -> None:
    await add_named_artist(env.db, "sevara", "Севара Назархан", price_greeting=5, price_poster=2)
    await add_named_artist(env.db, "other", "Другой")
    await store_portrait(env, "sevara")
    await add_user(env.db, 9102, language="ru")
    fan = User(id=9102, language_code="ru")
    await env.say(fan, "/menu")
    await env.press(fan, env.text("ru", "menu-artists"))

    ask = await env.press(fan, env.text("ru", "artists-search"))
    assert ask.params["text"] == env.text("ru", "artists-search-ask")
    nobody = await env.say(fan, "Zzz")
    assert nobody.params["text"] == env.text("ru", "artists-search-none", query="Zzz")
    found = await env.say(fan, "назар")
    assert found.params["text"] == env.text("ru", "artists-search-results", query="назар")
    assert buttons(found)[0] == "Севара Назархан"

    card = await env.press(fan, "Севара Назархан", "sendPhoto")
    assert "photo" in card.files  # uploaded from storage
    assert card.params["caption"].splitlines() == [
        env.text("ru", "artist-card", artist="Севара Назархан"),
        "Певица",
        env.text("ru", "artist-price-greeting", price=5),
        env.text("ru", "artist-price-poster", price=2),
    ]
    assert buttons(card)[:2] == [
        env.text("ru", "btn-order-greeting", price=5),
        env.text("ru", "btn-order-poster", price=2),
    ]


async def test_a_card_without_a_stored_photo_is_sent_as_text(env: BotUnderTest) -> None:
    await add_artist(env.db, "sevara", photo_key=None)
    await add_user(env.db, 9103, language="uz")
    fan = User(id=9103)
    await env.say(fan, "/menu")
    await env.press(fan, env.text("uz", "menu-artists"))
    await env.press(fan, env.text("uz", "artists-all"))
    card = await env.press(fan, "Sevara", "sendMessage")
    assert card.params["text"].splitlines()[:2] == [
        env.text("uz", "artist-card", artist="Sevara"),
        "Qoʻshiqchi",
    ]


async def test_inline_mode_answers_shareable_artist_cards(env: BotUnderTest) -> None:
    await add_named_artist(env.db, "sevara", "Sevara", price_greeting=5, price_poster=2)
    await add_named_artist(env.db, "yulduz", "Yulduz")
    await add_user(env.db, 9104, language="uz")
    fan = User(id=9104)

    for query in ("sev", "artist_sevara"):
        mark = len(env.tg.calls)
        env.tg.inline_query(fan, query)
        answer = await env.next_call("answerInlineQuery", after=mark)
        [result] = answer.params["results"]
        assert result["type"] == "article"
        assert result["title"] == env.text("uz", "inline-title", artist="Sevara")
        assert result["input_message_content"]["message_text"] == env.text(
            "uz", "inline-message", artist="Sevara"
        )
        [[button]] = result["reply_markup"]["inline_keyboard"]
        assert button["url"] == "https://t.me/stario_test_bot?start=artist_sevara"

    mark = len(env.tg.calls)
    env.tg.inline_query(fan, "")
    everyone = await env.next_call("answerInlineQuery", after=mark)
    assert len(everyone.params["results"]) == 2
