"""Periodic safety net run by the long-lived processes (web, bot, dev).

- Paid jobs past their delivery deadline are refunded and the fan is told (a result that still
  arrives later is delivered as a gift).
- Pending orders past their payment window are marked expired (no payment can start on them).
- Selfies that no quiz job will read (the queue lost the job, a Mini App upload was never used)
  are deleted once older than any legitimate wait (`quiz.SELFIE_MAX_AGE`).
- Jobs marked running for longer than any attempt may last lost their worker (killed, out of
  memory): they are ended as capacity failures, refunded and the fan is told. The queue's own
  abandoned-job handling may get there first; both paths refund at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from stario.core.i18n import Translator
from stario.core.ports.storage import Storage
from stario.core.services import jobs, orders, quiz
from stario.core.services.generation import RETRY_INTERVALS_S, TIMEOUT_S
from stario.models import ErrorClass

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 30.0
# A running job older than its longest possible attempt (timeout, plus slack) has no worker.
STUCK_AFTER = timedelta(seconds=max(TIMEOUT_S.values()) + sum(RETRY_INTERVALS_S) + 120)


async def sweep_once(
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot | None,
    translator: Translator,
    storage: Storage | None = None,
) -> int:
    """One pass; returns how many jobs, orders and stale selfies it changed."""
    async with sessions() as session:
        changed = len(await orders.expire_stale(session))
    async with sessions() as session:
        late = await jobs.refund_overdue(session)
    for ending in late:
        changed += 1
        await _tell(bot, translator, ending.job, "job-late-refunded")
    async with sessions() as session:
        stuck = await jobs.stuck_running(session, STUCK_AFTER)
    for job_id in stuck:
        async with sessions() as session:
            ending = await jobs.fail(session, job_id, ErrorClass.CAPACITY, "worker lost")
        if ending.changed:
            changed += 1
            await _tell(bot, translator, ending.job, "job-failed-capacity")
    if storage is not None:
        changed += await quiz.delete_stale_selfies(storage)
    return changed


async def run_sweeper(
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot | None,
    translator: Translator,
    stop: asyncio.Event,
    storage: Storage | None = None,
) -> None:
    while not stop.is_set():
        try:
            await sweep_once(sessions, bot, translator, storage)
        except Exception:  # the sweeper must survive a database hiccup
            log.exception("job sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_EVERY_S)


async def _tell(bot: Bot | None, translator: Translator, job: jobs.JobView, key: str) -> None:
    if bot is None or job.chat_id is None:
        return
    text = translator.get(job.language, key, job=job.id, credits=job.cost)
    try:
        await bot.send_message(job.chat_id, text)
    except Exception as error:  # the refund stands even if the fan cannot be told
        log.info("could not tell the fan about job %s: %s", job.id, error)
