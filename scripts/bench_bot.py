"""Bot throughput in webhook mode: updates/s and handling latency, median and p95.

    python scripts/bench_bot.py [--updates 6000] [--clients 32] [--users 1000]

The bot is one process (this one): `stario web`'s app in webhook mode (the bot's dispatcher,
real PostgreSQL and Redis) on a local port. "Telegram" is a second process, as it is in
production: the fake Bot API server the bot replies to, and 32 concurrent clients POSTing fake
updates to /telegram/webhook: from 1,000 fans joining all along, each starting with /start,
then /balance, /help, presses of the Balance button on the last message the bot sent them,
and plain text, at random.
Latency is the HTTP round trip seen by Telegram: the update is handled within the request, so
it is the handling latency, Bot API calls included. Two runs, each with its own 1,000 new fans:

- saturated: 32 clients each send their next update as soon as the last is answered; the
  throughput is the bot's most, and the latency is mostly queueing (32 / throughput);
- paced: updates are due at --rate per second (300) whatever the bot does, as fans' updates
  are; like Telegram, at most 40 are in flight at once (setWebhook's max_connections), and
  the latency of each counts from when it was due.

Each run also prints the CPU time per update of the bot process and of the fake Telegram
process (the figures least disturbed by other load on the machine; both share its cores).
The database `stario_bench_bot` and Redis DB 10 are emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stario.bot.factory import create_dispatcher
from stario.core.runtime import build_runtime, tune_gc_for_serving
from stario.core.settings import Settings
from stario.models.db import create_engine
from stario.models.migrate import upgrade_to_head
from stario.webapp.app import create_app
from tests.conftest import ensure_database, reset_schema
from tests.fakes import DEFAULT_TOKEN, FakeTelegram

SECRET = "bench-secret"  # noqa: S105 - a local benchmark's webhook secret
# Telegram opens at most this many connections to a webhook (setWebhook's max_connections
# default, which `stario web` keeps).
WEBHOOK_CONNECTIONS = 40
REDIS_URL = "redis://127.0.0.1:6379/10"


async def prepare(database_url: str) -> None:
    await ensure_database(database_url)
    engine = create_engine(database_url, pool_size=1)
    await reset_schema(engine)
    await engine.dispose()
    await asyncio.to_thread(upgrade_to_head, database_url)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()


def update(update_id: int, user_id: int, kind: str, pressed: int = 0) -> dict[str, object]:
    """A fan's update; a callback presses Balance on the bot's message `pressed`."""
    user = {"id": user_id, "is_bot": False, "first_name": f"Fan{user_id}", "language_code": "ru"}
    chat = {"id": user_id, "type": "private", "first_name": f"Fan{user_id}"}
    message: dict[str, object] = {"message_id": update_id, "date": int(time.time()),
                                  "chat": chat, "from": user}  # fmt: skip
    if kind == "callback":
        return {"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": user, "chat_instance": "1",
            "message": {**message, "message_id": pressed,
                        "from": {"id": 123456, "is_bot": True, "first_name": "Stario"},
                        "text": "menu"},
            "data": "menu:balance"}}  # fmt: skip
    text = {"start": "/start", "balance": "/balance", "help": "/help", "text": "salom"}[kind]
    message["text"] = text
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def plan_updates(users: int, updates: int, first_fan: int) -> list[tuple[str, int]]:
    """`updates` updates from `users` fans who join at a steady pace all along the run (as on
    a live bot): a fan's first update is /start, later ones a random mix from fans who joined."""
    rng = random.Random(first_fan)
    kinds = ["balance", "help", "text", "callback"]
    joined: list[int] = []
    plan = []
    for number in range(updates):
        if len(joined) < math.ceil(users * (number + 1) / updates):
            joined.append(first_fan + len(joined))
            plan.append(("start", joined[-1]))
        else:
            plan.append((rng.choice(kinds), rng.choice(joined)))
    return plan


@dataclass(frozen=True)
class Run:
    latencies: list[float]
    elapsed: float
    cpu_s: float = 0.0  # the bot process's CPU time during the run
    telegram_cpu_s: float = 0.0  # the fake Telegram's (fake Bot API and update senders)


def telegram_process(conn: Connection, args: argparse.Namespace) -> None:
    """The other side: the fake Bot API (its URL sent to the bot), then, once the bot sends its
    webhook URL, the two runs; their latencies and elapsed times go back."""
    asyncio.run(_telegram(conn, args))


async def _telegram(conn: Connection, args: argparse.Namespace) -> None:
    async with FakeTelegram(token=DEFAULT_TOKEN) as telegram:
        conn.send(telegram.url)
        url = await asyncio.to_thread(conn.recv)

        def last_bot_message(user_id: int) -> int:
            sent = [m for m in telegram.chat_history(user_id) if m.get("from", {}).get("is_bot")]
            return int(sent[-1]["message_id"]) if sent else 1

        ids = itertools.count(1)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as client:

            async def post(kind: str, user_id: int, since: float) -> float:
                body = update(next(ids), user_id, kind, last_bot_message(user_id))
                async with client.post(url, json=body) as response:
                    assert response.status == 200, await response.text()
                return time.perf_counter() - since

            runs = []
            for plan, loop in (
                (plan_updates(args.users, args.updates, 10_000), _closed_loop(args.clients)),
                (plan_updates(args.users, args.updates, 100_000), _open_loop(args.rate)),
            ):
                conn.send("cpu?")
                before, ours = await asyncio.to_thread(conn.recv), time.process_time()
                run = await loop(post, plan)
                conn.send("cpu?")
                bot_cpu = await asyncio.to_thread(conn.recv) - before
                runs.append(Run(run.latencies, run.elapsed, bot_cpu, time.process_time() - ours))
        conn.send(tuple(runs))


Post = Callable[[str, int, float], Coroutine[Any, Any, float]]


Loop = Callable[[Post, list[tuple[str, int]]], Coroutine[Any, Any, Run]]


def _closed_loop(clients: int) -> Loop:
    return lambda post, plan: _closed(post, plan, clients)


def _open_loop(rate: float) -> Loop:
    return lambda post, plan: _open(post, plan, rate)


async def _closed(post: Post, plan: list[tuple[str, int]], clients: int) -> Run:
    """`clients` senders, each sending its next update once the last one was answered."""
    latencies: list[float] = []
    position = 0

    async def sender() -> None:
        nonlocal position
        while position < len(plan):
            kind, user_id = plan[position]
            position += 1
            latencies.append(await post(kind, user_id, time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(clients)))
    return Run(latencies, time.perf_counter() - started)


async def _open(post: Post, plan: list[tuple[str, int]], rate: float) -> Run:
    """Update i is due at i/rate seconds whatever the bot's pace; its latency counts from then
    (so a slow bot cannot hide its backlog). Like Telegram, at most WEBHOOK_CONNECTIONS updates
    are in flight: the rest wait on this side (and that wait counts too)."""
    started = time.perf_counter()
    in_flight = asyncio.Semaphore(WEBHOOK_CONNECTIONS)

    async def send(kind: str, user_id: int, due: float) -> float:
        async with in_flight:
            return await post(kind, user_id, due)

    tasks = []
    for number, (kind, user_id) in enumerate(plan):
        due = started + number / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(send(kind, user_id, due)))
    latencies = list(await asyncio.gather(*tasks))
    return Run(latencies, time.perf_counter() - started)


async def bench(args: argparse.Namespace) -> None:
    # Logging as `stario web` sets it up (INFO), into a file: its cost is part of the figures.
    logging.basicConfig(
        filename=args.log, filemode="w", level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip
    await prepare(args.database_url)
    ours, theirs = multiprocessing.Pipe()
    telegram = multiprocessing.get_context("spawn").Process(
        target=telegram_process, args=(theirs, args)
    )
    telegram.start()
    try:
        telegram_url = await asyncio.to_thread(ours.recv)
        port = 18000 + random.randint(0, 999)
        settings = Settings(
            _env_file=None, bot_token=DEFAULT_TOKEN, telegram_api_url=telegram_url,
            database_url=args.database_url, redis_url=REDIS_URL,
            webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", webhook_secret=SECRET,
            storage_url="file:///tmp/stario-bench-bot",
        )  # fmt: skip
        runtime = await build_runtime(settings)
        dispatcher = create_dispatcher(runtime, rate_limit=10**9)
        runner = web.AppRunner(create_app(runtime, dispatcher=dispatcher), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        tune_gc_for_serving()  # as `stario web` does once it serves
        ours.send(f"http://127.0.0.1:{port}/telegram/webhook")
        while True:  # the other side asks for our CPU time around each run, then sends them
            message = await asyncio.to_thread(ours.recv)
            if message != "cpu?":
                break
            ours.send(time.process_time())
        saturated, paced = message
        await runner.cleanup()
        await runtime.close()
    finally:
        telegram.join(timeout=10)
        if telegram.is_alive():
            telegram.terminate()
    print(f"{args.updates} updates from {args.users} fans (/start first, then a random mix)")
    report(f"saturated, {args.clients} clients", saturated)
    report(f"paced at {args.rate:g} updates/s", paced)


def report(title: str, run: Run) -> None:
    latencies = sorted(run.latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{title}: {len(latencies) / run.elapsed:,.0f} updates/s, latency median "
        f"{statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms; "
        f"CPU per update: bot {run.cpu_s / len(latencies) * 1000:.2f} ms, fake Telegram "
        f"{run.telegram_cpu_s / len(latencies) * 1000:.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=300, help="updates/s of the paced run")
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "stario-bench-bot.log"))
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/stario_bench_bot"
    )
    asyncio.run(bench(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
