"""The Face Quiz result as an inline share card: the result's "Share card" button opens
`@bot quiz_<result id>` in the chat the fan picks, and the answer is their card (the result
image Telegram already holds, or a text card) with a button into the quiz with that artist.
Only the fan's own results are offered."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultUnion,
    InputTextMessageContent,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.services import quiz
from stario.handlers.common import Texts

QUERY_PREFIX = "quiz_"


async def share_card(query: InlineQuery, bot: Bot, session: AsyncSession, t: Texts) -> None:
    result_id = int(query.query.strip().removeprefix(QUERY_PREFIX))
    shared = await quiz.shareable_result(session, result_id, query.from_user.id)
    results: list[InlineQueryResultUnion] = []
    if shared is not None:
        name = shared.artist.name_in(t.language)
        caption = t("quiz-share-text", artist=name, score=shared.score)
        me = await bot.me()
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=t("quiz-share-try", artist=name),
            url=f"https://t.me/{me.username}?start=quiz_{shared.artist.slug}",
        )]])  # fmt: skip
        card_id = f"quiz{result_id}"
        if shared.photo_file_id:
            results.append(InlineQueryResultCachedPhoto(
                id=card_id, photo_file_id=shared.photo_file_id, caption=caption,
                reply_markup=keyboard,
            ))  # fmt: skip
        else:
            results.append(InlineQueryResultArticle(
                id=card_id, title=t("quiz-share-title"), description=caption,
                input_message_content=InputTextMessageContent(message_text=caption),
                reply_markup=keyboard,
            ))  # fmt: skip
    await query.answer(results, cache_time=0, is_personal=True)


def build_router() -> Router:
    router = Router(name="quiz_share")
    router.inline_query.register(share_card, F.query.regexp(r"^\s*quiz_\d{1,18}\s*$"))
    return router
