"""Helpers for the order journeys: a recording job queue, seeded templates, artists with their
own names, the fan's jobs and balance, and the FSM state of a fan's chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey

from stario.core.demo_portraits import render_portrait
from stario.core.ports.queue import EnqueuedJob, JobOptions, JobQueue
from stario.core.services import ledger
from stario.core.services.seed import DEMO_TEMPLATES
from stario.models import Artist, GenerationJob, PromptTemplate
from tests.bot.conftest import BotUnderTest, Sessions
from tests.factories import add_artist
from tests.fakes import User


@dataclass
class RecordingQueue:
    """A JobQueue that only records (the queue adapters have their own tests)."""

    enqueued: list[tuple[str, Sequence[object], JobOptions]] = field(default_factory=list)

    async def enqueue(
        self, func_path: str, args: Sequence[object], options: JobOptions
    ) -> EnqueuedJob:
        self.enqueued.append((func_path, args, options))
        return EnqueuedJob(options.job_id, options.queue, len(self.enqueued))

    async def position(self, queue: str, job_id: str) -> int | None:
        ids = [options.job_id for _, _, options in self.enqueued]
        return ids.index(job_id) + 1 if job_id in ids else None

    async def depth(self, queue: str) -> int:
        return len(self.enqueued)

    async def close(self) -> None:
        return None


async def use_queue(env: BotUnderTest, queue: JobQueue) -> None:
    """The bot places orders on `queue` from now on."""
    await env.runtime.queue.close()
    env.runtime.queue = queue


async def seed_templates(db: Sessions) -> None:
    async with db() as session:
        session.add_all(
            PromptTemplate(product=demo.product, occasion=demo.occasion, language=demo.language,
                           title=demo.title, body=demo.body)
            for demo in DEMO_TEMPLATES
        )  # fmt: skip
        await session.commit()


def template_title(product: str, occasion: str, language: str) -> str:
    return next(
        demo.title
        for demo in DEMO_TEMPLATES
        if (demo.product.value, demo.occasion, demo.language) == (product, occasion, language)
    )


async def add_named_artist(
    db: Sessions, slug: str, name: str, category: str = "music", **options: Any
) -> int:
    artist_id = await add_artist(db, slug, photo_key=f"artists/{slug}/portrait.jpg", **options)
    async with db() as session:
        await session.execute(
            sa.update(Artist)
            .where(Artist.id == artist_id)
            .values(names={"uz": name, "ru": name, "en": name}, category=category)
        )
        await session.commit()
    return artist_id


async def store_portrait(env: BotUnderTest, slug: str) -> None:
    portrait = await asyncio.to_thread(render_portrait, slug)
    await env.runtime.storage.put(f"artists/{slug}/portrait.jpg", portrait.jpeg, "image/jpeg")


async def jobs_of(db: Sessions, user_id: int) -> list[GenerationJob]:
    async with db() as session:
        rows = await session.scalars(
            sa.select(GenerationJob)
            .where(GenerationJob.user_id == user_id)
            .order_by(GenerationJob.id)
        )
        return list(rows)


async def wait_for_jobs(db: Sessions, user_id: int, count: int = 1) -> list[GenerationJob]:
    deadline = time.monotonic() + 5
    while len(found := await jobs_of(db, user_id)) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} jobs"
        await asyncio.sleep(0.05)
    return found


async def balance(db: Sessions, user_id: int) -> int:
    async with db() as session:
        return await ledger.balance_of(session, user_id)


async def state_of(env: BotUnderTest, fan: User) -> str | None:
    key = StorageKey(bot_id=env.bot.id, chat_id=fan.id, user_id=fan.id)
    return await env.dp.storage.get_state(key)
