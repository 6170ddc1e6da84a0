"""The artist catalogue: categories, pages, search by name, the artist card, inline mode.

The same pages pick the artist for an order (`CatalogCb.mode` = the product): then each
artist's button starts the draft instead of opening the card.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultUnion,
    InputTextMessageContent,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ArtistUnavailableError, StarioError
from stario.core.runtime import Runtime
from stario.core.services import browse
from stario.core.services.browse import ArtistCard, ArtistPage
from stario.handlers.common import (
    ArtistCb,
    ArtistSearch,
    CatalogCb,
    MenuCb,
    OrderCb,
    Texts,
    cancel_keyboard,
    chat_of,
    show,
)
from stario.models import Product

log = logging.getLogger(__name__)
PER_PAGE = 6
INLINE_RESULTS = 20
KNOWN_CATEGORIES = frozenset({"music", "film", "sport", "comedy"})


def category_name(t: Texts, category: str) -> str:
    if not category:
        return t("artists-all")
    return t(f"artists-category-{category if category in KNOWN_CATEGORIES else 'other'}")


def _button(text: str, data: CatalogCb | ArtistCb | OrderCb | MenuCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def artists_pressed(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, t: Texts
) -> None:
    await state.clear()
    await callback.answer()
    rows = [[_button(t("artists-all"), CatalogCb())]]
    rows += [[_button(category_name(t, c), CatalogCb(category=c))]
             for c in await browse.categories(session)]  # fmt: skip
    rows.append([_button(t("artists-search"), ArtistCb(action="search"))])
    rows.append([_button(t("btn-menu"), MenuCb(item="home"))])
    await show(callback, bot, t("artists-title"), InlineKeyboardMarkup(inline_keyboard=rows))


async def page_pressed(
    callback: CallbackQuery, callback_data: CatalogCb, bot: Bot, session: AsyncSession, t: Texts
) -> None:
    await callback.answer()
    await show_page(callback, bot, session, t, callback_data)


async def show_page(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, t: Texts, where: CatalogCb
) -> None:
    product = Product(where.mode) if where.mode else None
    page = await browse.list_orderable(
        session, category=where.category or None, product=product, page=where.page,
        per_page=PER_PAGE,
    )  # fmt: skip
    if not page.total:
        text = t("artists-empty")
    elif product is None:
        text = t("artists-page", category=category_name(t, where.category),
                 page=page.page + 1, pages=page.pages)  # fmt: skip
    else:
        text = t(f"order-pick-artist-{product.value}", page=page.page + 1, pages=page.pages)
    await show(callback, bot, text, page_keyboard(t, page, where))


def page_keyboard(t: Texts, page: ArtistPage, where: CatalogCb) -> InlineKeyboardMarkup:
    rows = [[_artist_button(t, card, where.mode)] for card in page.cards]
    nav = []
    if page.page > 0:
        nav.append(_button(t("btn-prev"), CatalogCb(category=where.category, page=page.page - 1,
                                                    mode=where.mode)))  # fmt: skip
    if page.page + 1 < page.pages:
        nav.append(_button(t("btn-next"), CatalogCb(category=where.category, page=page.page + 1,
                                                    mode=where.mode)))  # fmt: skip
    if nav:
        rows.append(nav)
    if not where.mode:
        rows.append([_button(t("btn-back"), MenuCb(item="artists"))])
    rows.append([_button(t("btn-menu"), MenuCb(item="home"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _artist_button(t: Texts, card: ArtistCard, mode: str) -> InlineKeyboardButton:
    name = card.artist.name_in(t.language)
    if mode:
        return _button(name, OrderCb(product=mode, artist_id=card.artist.id))
    return _button(name, ArtistCb(action="card", artist_id=card.artist.id))


async def search_pressed(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Texts) -> None:
    await state.set_state(ArtistSearch.query)
    await callback.answer()
    await show(callback, bot, t("artists-search-ask"), cancel_keyboard(t))


async def search_sent(
    message: Message, state: FSMContext, session: AsyncSession, t: Texts
) -> None:
    query = (message.text or "").strip()[:64]
    page = await browse.list_orderable(session, query=query, per_page=PER_PAGE)
    if not page.total:
        await message.answer(
            t("artists-search-none", query=query), reply_markup=cancel_keyboard(t)
        )
        return
    await state.clear()
    page = browse.ArtistPage(page.cards, 0, 1, page.total)  # the best matches, no paging
    await message.answer(
        t("artists-search-results", query=query), reply_markup=page_keyboard(t, page, CatalogCb())
    )


async def card_pressed(
    callback: CallbackQuery,
    callback_data: ArtistCb,
    bot: Bot,
    session: AsyncSession,
    runtime: Runtime,
    t: Texts,
) -> None:
    try:
        card = await browse.artist_card(session, callback_data.artist_id)
    except ArtistUnavailableError:
        await callback.answer(t("artist-unavailable"), show_alert=True)
        return
    await callback.answer()
    await send_artist_card(bot, chat_of(callback), runtime, t, card)


async def send_artist_card(
    bot: Bot, chat_id: int, runtime: Runtime, t: Texts, card: browse.ArtistCard
) -> None:
    """The artist's photo, bio, prices and a button to order each product they take."""
    artist = card.artist
    lines = [t("artist-card", artist=artist.name_in(t.language))]
    if bio := artist.bios.get(t.language):
        lines.append(str(bio))
    rows = []
    for product in card.products:
        price = artist.price_of(product)
        lines.append(t(f"artist-price-{product.value}", price=price))
        rows.append([_button(t(f"btn-order-{product.value}", price=price),
                             OrderCb(product=product.value, artist_id=artist.id))])  # fmt: skip
    # The quiz itself checks that it is open with the artist (stario.handlers.quiz).
    quiz = OrderCb(product=Product.FACE_QUIZ.value, artist_id=artist.id)
    rows.append([_button(t("btn-quiz-artist"), quiz)])
    rows.append([_button(t("btn-back"), CatalogCb(category=artist.category))])
    rows.append([_button(t("btn-menu"), MenuCb(item="home"))])
    keyboard = InlineKeyboardMarkup(inline_keyboard=rows)
    text = "\n".join(lines)
    photo = await _photo(runtime, artist.primary_photo_key)
    if photo is None:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
        return
    await bot.send_photo(chat_id, photo, caption=text[:1024], reply_markup=keyboard)


async def _photo(runtime: Runtime, key: str | None) -> BufferedInputFile | None:
    if key is None:
        return None
    try:
        return BufferedInputFile(await runtime.storage.get(key), "artist.jpg")
    except (StarioError, OSError) as error:  # a missing photo: the card goes without it
        log.warning("artist photo %s unavailable: %s", key, error)
        return None


async def inline_query(query: InlineQuery, bot: Bot, session: AsyncSession, t: Texts) -> None:
    """`@bot name` (or the result's Share button, `artist_<slug>`): shareable artist cards."""
    text = query.query.strip().removeprefix("artist_")[:64]
    page = await browse.list_orderable(session, query=text or None, per_page=INLINE_RESULTS)
    me = await bot.me()
    results: list[InlineQueryResultUnion] = []
    for card in page.cards:
        artist = card.artist
        name = artist.name_in(t.language)
        link = f"https://t.me/{me.username}?start=artist_{artist.slug}"
        results.append(InlineQueryResultArticle(
            id=artist.slug[:64],
            title=t("inline-title", artist=name),
            description=t("inline-description", greeting=artist.price_greeting,
                          poster=artist.price_poster),
            input_message_content=InputTextMessageContent(
                message_text=t("inline-message", artist=name)
            ),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
                InlineKeyboardButton(text=t("inline-open"), url=link)
            ]]),
        ))  # fmt: skip
    await query.answer(results, cache_time=60, is_personal=False)


def build_router() -> Router:
    router = Router(name="artists")
    router.callback_query.register(artists_pressed, MenuCb.filter(F.item == "artists"))
    router.callback_query.register(page_pressed, CatalogCb.filter())
    router.callback_query.register(search_pressed, ArtistCb.filter(F.action == "search"))
    router.callback_query.register(card_pressed, ArtistCb.filter(F.action == "card"))
    router.message.register(
        search_sent, StateFilter(ArtistSearch.query), F.text, ~F.text.startswith("/")
    )
    router.inline_query.register(inline_query)
    return router
