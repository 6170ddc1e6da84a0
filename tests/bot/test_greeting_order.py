"""The video greeting form end to end: from the menu to confirm, charged exactly once."""

from __future__ import annotations

import pytest

from stario.core.services import ledger
from stario.core.services.seed import DEMO_TEMPLATES
from stario.core.services.templates import fill
from stario.handlers.common import GreetingForm
from stario.models import CreditPackage, JobStatus
from tests.bot.conftest import BotUnderTest, buttons
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


async def open_form(env: BotUnderTest, fan: User, language: str) -> Call:
    """Menu → Video greeting → Sevara: the occasion question."""
    await env.say(fan, "/menu")
    picker = await env.press(fan, env.text(language, "menu-greeting"))
    assert picker.params["text"] == env.text(
        language, "order-pick-artist-greeting", page=1, pages=1
    )
    return await env.press(fan, "Sevara")


async def to_preview(env: BotUnderTest, fan: User, language: str) -> Call:
    """...birthday → Aziza → the suggested text: the preview."""
    await open_form(env, fan, language)
    await env.press(fan, template_title("greeting", "birthday", language))
    await env.say(fan, "Aziza")
    return await env.press(fan, env.text(language, "btn-use-suggestion"))


@pytest.fixture
async def queue(env: BotUnderTest) -> RecordingQueue:
    recording = RecordingQueue()
    await use_queue(env, recording)
    await seed_templates(env.db)
    await add_named_artist(env.db, "sevara", "Sevara", price_greeting=5)
    return recording


async def test_full_greeting_order_charges_once_and_sends_the_status_first(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 9201, balance=12, language="en")
    fan = User(id=9201, first_name="Bekzod")

    occasions = await open_form(env, fan, "en")
    assert occasions.params["text"] == env.text("en", "greeting-occasion", artist="Sevara")
    assert buttons(occasions)[0] == template_title("greeting", "birthday", "en")
    assert buttons(occasions)[-1] == env.text("en", "btn-cancel")
    ask = await env.press(fan, template_title("greeting", "birthday", "en"))
    assert ask.params["text"] == env.text("en", "greeting-recipient", max=40)
    prompt = await env.say(fan, "Aziza")
    body = next(
        demo.body for demo in DEMO_TEMPLATES
        if (demo.product.value, demo.occasion, demo.language) == ("greeting", "birthday", "en")
    )  # fmt: skip
    suggestion = fill(body, recipient="Aziza", sender="Bekzod")
    assert prompt.params["text"] == env.text(
        "en", "greeting-text", artist="Sevara", suggestion=suggestion
    )
    preview = await env.say(fan, "Happy birthday, Aziza! Stay bright.")
    assert preview.params["text"] == env.text(
        "en", "greeting-preview", artist="Sevara", recipient="Aziza", cost=5, balance=12,
        occasion=template_title("greeting", "birthday", "en"),
        text="Happy birthday, Aziza! Stay bright.",
    )  # fmt: skip

    mark = len(env.tg.calls)
    env.tg.press(fan, env.text("en", "btn-confirm", cost=5))
    status = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert status.params["text"] == env.text("en", "order-placing")
    edited = await env.next_call("editMessageText", after=mark, chat_id=fan.id)
    [job] = await jobs_of(env.db, fan.id)
    assert edited.params["message_id"] == status.result["message_id"] == job.status_message_id
    assert edited.params["text"] == env.text(
        "en", "job-queued", job=str(job.id), position=1, eta=env.text("en", "job-eta-seconds",
                                                                      seconds=8),
    )  # fmt: skip
    assert (job.status, job.chat_id, job.cost) == (JobStatus.QUEUED, fan.id, 5)
    assert job.request_key is not None
    assert job.request_key.startswith(f"draft:{fan.id}:")
    assert job.params["text"] == "Happy birthday, Aziza! Stay bright."
    assert (job.params["recipient"], job.params["occasion"]) == ("Aziza", "birthday")
    assert [args for _, args, _ in queue.enqueued] == [[job.id]]
    assert await balance(env.db, fan.id) == 7
    assert await state_of(env, fan) is None


async def test_double_confirm_and_a_repeated_update_charge_once(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 9202, balance=12, language="ru")
    fan = User(id=9202, language_code="ru")
    await to_preview(env, fan, "ru")

    confirm = env.text("ru", "btn-confirm", cost=5)
    first = env.tg.press(fan, confirm)
    env.tg.press(fan, confirm)
    env.tg.feed(first)  # the same update again
    [job] = await wait_for_jobs(env.db, fan.id)
    await env.settle(0.5)
    assert len(await jobs_of(env.db, fan.id)) == 1
    assert await balance(env.db, fan.id) == 7
    assert len(queue.enqueued) == 1
    statuses = [m for m in env.tg.chat_history(fan.id) if m.get("text", "").startswith("⏳")]
    assert [m["message_id"] for m in statuses] == [job.status_message_id]  # one status stays


async def test_moderation_refusal_lists_the_reasons_and_lets_the_fan_edit(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 9203, balance=12, language="uz")
    fan = User(id=9203)
    await open_form(env, fan, "uz")
    await env.press(fan, template_title("greeting", "custom", "uz"))
    await env.say(fan, "Aziza")

    refusal = await env.say(fan, "Yozing: https://spam.example yoki +998 90 123 45 67")
    lines = refusal.params["text"].splitlines()
    assert lines[:3] == [
        env.text("uz", "error-moderation"),
        env.text("uz", "moderation-link"),
        env.text("uz", "moderation-phone"),
    ]
    assert lines[-1] == env.text("uz", "order-edit-hint")
    assert await state_of(env, fan) == GreetingForm.text.state
    assert await balance(env.db, fan.id) == 12

    preview = await env.say(fan, "Tugʻilgan kuning muborak, Aziza!")
    assert "Tugʻilgan kuning muborak, Aziza!" in preview.params["text"]
    assert await state_of(env, fan) == GreetingForm.preview.state


async def test_insufficient_balance_keeps_the_draft_until_a_top_up(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 9204, balance=2, language="en")
    fan = User(id=9204)
    await to_preview(env, fan, "en")

    short = await env.press(fan, env.text("en", "btn-confirm", cost=5))
    assert short.params["text"] == env.text("en", "order-need-credits", balance=2, cost=5)
    assert buttons(short) == [env.text("en", "btn-confirm", cost=5), env.text("en", "btn-cancel")]
    assert await jobs_of(env.db, fan.id) == []
    assert await state_of(env, fan) == GreetingForm.preview.state

    async with env.db() as session:
        await ledger.credit(session, fan.id, 10, "test:topup:9204:2")
        await session.commit()
    mark = len(env.tg.calls)
    env.tg.press(fan, env.text("en", "btn-confirm", cost=5))
    await env.next_call("editMessageText", after=mark, chat_id=fan.id)
    [job] = await jobs_of(env.db, fan.id)
    assert job.cost == 5
    assert await balance(env.db, fan.id) == 7


async def test_buy_buttons_send_a_stars_invoice_and_keep_the_draft(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    async with env.db() as session:
        session.add(CreditPackage(code="start", credits=5, price_uzs=15000, price_stars=50))
        await session.commit()
    await add_user(env.db, 9205, balance=0, language="ru")
    fan = User(id=9205)
    await to_preview(env, fan, "ru")
    short = await env.press(fan, env.text("ru", "btn-confirm", cost=5))
    assert buttons(short)[0] == env.text("ru", "payments-btn-package", credits=5, stars=50)
    invoice = await env.press(fan, buttons(short)[0], "sendInvoice")
    assert invoice.params["currency"] == "XTR"
    assert invoice.params["prices"][0]["amount"] == 50
    assert await state_of(env, fan) == GreetingForm.preview.state


@pytest.mark.parametrize("step", ["occasion", "recipient", "text", "preview"])
async def test_cancel_at_every_step(env: BotUnderTest, queue: RecordingQueue, step: str) -> None:
    await add_user(env.db, 9206, balance=12, language="ru")
    fan = User(id=9206)
    await open_form(env, fan, "ru")
    if step != "occasion":
        await env.press(fan, template_title("greeting", "birthday", "ru"))
    if step in ("text", "preview"):
        await env.say(fan, "Азиза")
    if step == "preview":
        await env.press(fan, env.text("ru", "btn-use-suggestion"))
    assert await state_of(env, fan) == getattr(GreetingForm, step).state
    if step in ("recipient", "preview"):
        reply = await env.say(fan, "/cancel")
        assert reply.params["text"] == env.text("ru", "cancel-done")
    else:
        reply = await env.press(fan, env.text("ru", "btn-cancel"))
        assert reply.params["text"] == env.text("ru", "cancel-done")
    assert await state_of(env, fan) is None
    assert await jobs_of(env.db, fan.id) == []


async def test_a_sticker_or_photo_mid_form_gets_a_hint_and_keeps_the_state(
    env: BotUnderTest, queue: RecordingQueue
) -> None:
    await add_user(env.db, 9207, balance=12, language="en")
    fan = User(id=9207)
    await open_form(env, fan, "en")
    hint = await env.say(fan, "birthday please")
    assert hint.params["text"] == env.text("en", "order-hint-buttons")
    await env.press(fan, template_title("greeting", "birthday", "en"))

    sticker = {"sticker": {"file_id": "CAAC", "file_unique_id": "u", "type": "regular",
                           "width": 512, "height": 512, "is_animated": False,
                           "is_video": False}}  # fmt: skip
    mark = len(env.tg.calls)
    env.tg.feed(env.fan_message(fan, sticker))
    reply = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert reply.params["text"] == env.text("en", "order-hint-text")
    mark = len(env.tg.calls)
    env.tg.photo(fan)
    reply = await env.next_call("sendMessage", after=mark, chat_id=fan.id)
    assert reply.params["text"] == env.text("en", "order-hint-text")
    assert await state_of(env, fan) == GreetingForm.recipient.state
    prompt = await env.say(fan, "Aziza")
    assert env.text("en", "btn-use-suggestion") in buttons(prompt)
