"""History: the fan's past orders page by page, results sent again, and the result buttons
(`again:<job_id>` starts a new draft from an order, `menu:order` offers a new one).

A delivered result goes again by its Telegram file_id (no upload); one that never reached the
chat is uploaded from storage once, and its file_id kept for the next time.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stario.core.errors import ArtistUnavailableError
from stario.core.runtime import Runtime
from stario.core.services import browse, history, jobs
from stario.core.services.jobs import JobView
from stario.core.services.users import UserView
from stario.handlers import greeting, poster
from stario.handlers.common import (
    AgainCb,
    GreetingForm,
    HistoryCb,
    MenuCb,
    PosterForm,
    ResultCb,
    Texts,
    chat_of,
    main_menu,
    show,
)
from stario.handlers.menu import FANS_TZ
from stario.handlers.ordering import new_draft
from stario.models import JobKind, JobStatus, Product

PER_PAGE = 5
READY = (JobStatus.DELIVERED, JobStatus.UNDELIVERED)


async def history_pressed(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, user: UserView, t: Texts
) -> None:
    await callback.answer()
    await _show_page(callback, bot, session, user, t, 0)


async def page_pressed(
    callback: CallbackQuery, callback_data: HistoryCb, bot: Bot, session: AsyncSession,
    user: UserView, t: Texts,
) -> None:  # fmt: skip
    await callback.answer()
    await _show_page(callback, bot, session, user, t, callback_data.page)


async def _show_page(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, user: UserView, t: Texts, page: int
) -> None:
    found = await history.list_orders(session, user.id, page=page, per_page=PER_PAGE)
    rows: list[list[InlineKeyboardButton]] = []
    if not found.total:
        text = t("history-empty")
    else:
        text = "\n".join([
            t("history-title", page=found.page + 1, pages=found.pages),
            *(_line(t, job) for job in found.orders),
        ])  # fmt: skip
        gets = [InlineKeyboardButton(text=t("btn-history-get", job=str(job.id)),
                                     callback_data=ResultCb(job_id=job.id).pack())
                for job in found.orders if job.status in READY]  # fmt: skip
        rows += [gets[i : i + 3] for i in range(0, len(gets), 3)]
    nav = []
    if found.page > 0:
        nav.append(InlineKeyboardButton(
            text=t("btn-prev"), callback_data=HistoryCb(page=found.page - 1).pack()))  # fmt: skip
    if found.page + 1 < found.pages:
        nav.append(InlineKeyboardButton(
            text=t("btn-next"), callback_data=HistoryCb(page=found.page + 1).pack()))  # fmt: skip
    if nav:
        rows.append(nav)
    rows.append(
        [InlineKeyboardButton(text=t("btn-menu"), callback_data=MenuCb(item="home").pack())]
    )
    await show(callback, bot, text, InlineKeyboardMarkup(inline_keyboard=rows))


def _line(t: Texts, job: JobView) -> str:
    status = "failed" if job.status is JobStatus.CANCELLED else job.status.value
    return t(
        "history-line", job=str(job.id), kind=t(f"history-kind-{job.kind.value}"),
        artist=str(job.params.get("artist_name") or ""), status=t(f"history-status-{status}"),
        date=job.created_at.astimezone(FANS_TZ).strftime("%d.%m.%Y"),
    )  # fmt: skip


async def result_pressed(
    callback: CallbackQuery, callback_data: ResultCb, bot: Bot, session: AsyncSession,
    runtime: Runtime, user: UserView, t: Texts,
) -> None:  # fmt: skip
    job = await history.own_order(session, user.id, callback_data.job_id)
    if job.status not in READY or (job.telegram_file_id is None and job.result_key is None):
        await callback.answer(t("history-not-ready"))
        return
    await callback.answer()
    chat_id, artist = chat_of(callback), str(job.params.get("artist_name") or "")
    kind = "greeting" if job.kind is JobKind.GREETING else "poster"
    caption = "\n".join(
        [t(f"job-caption-{kind}", artist=artist), t("job-caption-ai", artist=artist)]
    )
    keyboard = result_keyboard(t, job)
    if job.telegram_file_id is not None:  # already on Telegram's servers: no upload
        media: str | BufferedInputFile = job.telegram_file_id
    else:
        assert job.result_key is not None
        media = BufferedInputFile(await runtime.storage.get(job.result_key), job.result_key)
    if job.kind is JobKind.GREETING:
        sent: Message = await bot.send_video(
            chat_id, media, caption=caption, reply_markup=keyboard, supports_streaming=True
        )
        file_id = sent.video.file_id if sent.video else None
    else:
        sent = await bot.send_photo(chat_id, media, caption=caption, reply_markup=keyboard)
        file_id = sent.photo[-1].file_id if sent.photo else None
    if job.telegram_file_id is None and file_id is not None:
        await jobs.mark_delivered(session, job.id, file_id)


def result_keyboard(t: Texts, job: JobView) -> InlineKeyboardMarkup:
    """The buttons under a result, as the worker sends them."""
    slug = str(job.params.get("artist_slug") or "")
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=t("btn-generate-again"),
                              callback_data=AgainCb(job_id=job.id).pack()),
         InlineKeyboardButton(text=t("btn-order-another"),
                              callback_data=MenuCb(item="order").pack())],
        [InlineKeyboardButton(text=t("btn-share"), switch_inline_query=f"artist_{slug}")],
    ])  # fmt: skip


async def again_pressed(
    callback: CallbackQuery, callback_data: AgainCb, state: FSMContext, session: AsyncSession,
    user: UserView, t: Texts, bot: Bot,
) -> None:  # fmt: skip
    """A new draft with everything the order had; it opens at the preview."""
    job = await history.own_order(session, user.id, callback_data.job_id)
    product = Product.GREETING if job.kind is JobKind.GREETING else Product.POSTER
    try:
        card = await browse.artist_card(session, job.artist_id or 0)
    except ArtistUnavailableError:
        card = None
    if card is None or product not in card.products:
        await callback.answer(t("artist-unavailable"), show_alert=True)
        return
    await callback.answer()
    params = job.params
    if product is Product.GREETING:
        occasion = str(params.get("occasion") or "custom")
        await state.set_data(new_draft(
            card, product, t, occasion=occasion, occasion_title=t("occasion-again"),
            recipient=str(params.get("recipient") or ""), text=str(params.get("text") or ""),
        ))  # fmt: skip
        await state.set_state(GreetingForm.preview)
        shown = await greeting.preview(state, session, user, t)
    else:
        await state.set_data(new_draft(card, product, t, style=str(params.get("template")),
                                       lines=list(params.get("lines") or [])))  # fmt: skip
        await state.set_state(PosterForm.preview)
        shown = await poster.preview(state, session, user, t)
    await bot.send_message(chat_of(callback), shown["text"], reply_markup=shown["reply_markup"])


async def order_pressed(callback: CallbackQuery, bot: Bot, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await callback.answer()
    await show(callback, bot, t("menu-title"), main_menu(t))


def build_router() -> Router:
    router = Router(name="history")
    router.callback_query.register(history_pressed, MenuCb.filter(F.item == "history"))
    router.callback_query.register(order_pressed, MenuCb.filter(F.item == "order"))
    router.callback_query.register(page_pressed, HistoryCb.filter())
    router.callback_query.register(result_pressed, ResultCb.filter())
    router.callback_query.register(again_pressed, AgainCb.filter())
    return router
