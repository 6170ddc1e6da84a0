"""What each `stario` subcommand does. Heavy modules are imported inside the command that needs
them, so `stario web` never loads worker code and `stario order ...` starts fast."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from typing import Any

from stario.core.runtime import Runtime, build_runtime, tune_gc_for_serving
from stario.core.settings import Settings, SettingsError

log = logging.getLogger("stario")
# `stario reconcile stars` found something only a person can settle.
NEEDS_ADMIN_EXIT = 4
QUEUES = ("video", "poster", "face")


async def migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from stario.models.migrate import upgrade_to_head

    await asyncio.to_thread(upgrade_to_head, settings.database_url)
    log.info("database schema is at the latest revision")
    return 0


async def seed_demo(_args: argparse.Namespace, settings: Settings) -> int:
    runtime = await build_runtime(settings)
    try:
        report = await _seed(runtime)
    finally:
        await runtime.close()
    _print_json(report)
    return 0


async def web(_args: argparse.Namespace, settings: Settings) -> int:
    runtime = await build_runtime(settings)
    try:
        await _serve_web(runtime, until=_stop_signal())
    finally:
        await runtime.close()
    return 0


async def bot(_args: argparse.Namespace, settings: Settings) -> int:
    """Long polling; in webhook mode `stario web` receives the updates and this idles until
    SIGTERM, so a restart policy does not loop."""
    settings.require_bot_token()
    stop = _stop_signal()
    if settings.webhook_url:
        log.info("WEBHOOK_URL is set: `stario web` receives the updates; the bot process idles")
        await stop.wait()
        return 0
    from stario.bot.factory import run_polling

    runtime = await build_runtime(settings)
    try:
        tune_gc_for_serving()
        await run_polling(runtime, stop=stop)
    finally:
        await runtime.close()
    return 0


async def worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        raise SettingsError("REDIS_URL", "is required for `stario worker` (dev runs jobs inline)")
    from stario.core.adapters.queue_rq import run_worker
    from stario.workers import jobs as worker_jobs  # the worker process's composition root

    queues = [name.strip() for name in args.queues.split(",") if name.strip()]
    if not queues or not set(queues) <= set(QUEUES):
        raise SettingsError("--queues", f"must be a comma list of {', '.join(QUEUES)}")
    # Engines load once here, before RQ forks a work horse per job, so every job reuses them.
    worker_jobs.configure(settings).engines.warm_up(queues)
    # RQ installs its own signal handlers, so it runs in the main thread, outside the loop.
    run_worker(settings.redis_url, queues, burst=args.burst)
    return 0


async def dev(args: argparse.Namespace, settings: Settings) -> int:
    await migrate(args, settings)
    runtime = await build_runtime(settings)
    try:
        if not args.no_seed:
            report = await _seed(runtime)
            log.info("demo catalogue: %s", json.dumps(report))
            await _index_demo_gallery(settings)
        until = _stop_signal()
        polling: asyncio.Task[None] | None = None
        if settings.bot_token is None:
            log.info("BOT_TOKEN is not set: the chat bot stays off")
        elif not settings.webhook_url:  # with WEBHOOK_URL the web app receives the updates
            from stario.bot.factory import run_polling

            polling = asyncio.create_task(run_polling(runtime, stop=until))
            polling.add_done_callback(_report_polling_failure)
        try:
            await _serve_web(runtime, until=until)
        finally:
            if polling is not None:
                until.set()
                await asyncio.gather(polling, return_exceptions=True)  # reported when it ended
    finally:
        await runtime.close()
    return 0


async def order_packages(_args: argparse.Namespace, settings: Settings) -> int:
    from stario.core.services import packages

    runtime = await build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            listed = await packages.list_active(session)
    finally:
        await runtime.close()
    _print_json([dataclasses.asdict(package) for package in listed])
    return 0


async def user_balance(args: argparse.Namespace, settings: Settings) -> int:
    from stario.core.services import ledger

    runtime = await build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            balance = await ledger.balance_of(session, args.user_id)
    finally:
        await runtime.close()
    _print_json({"user_id": args.user_id, "balance": balance})
    return 0


async def order_create(args: argparse.Namespace, settings: Settings) -> int:
    """A pending order for a fan, printed with its checkout link (Payme, Click; null for Stars
    or an unconfigured provider). The bot's "Buy credits" uses the same use case."""
    from stario.core.services import checkout, orders

    runtime = await build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            order = await orders.create_order(
                session,
                user_id=args.user,
                package_code=args.package,
                provider=args.provider,
                policy=orders.OrderPolicy.from_settings(settings),
            )
    finally:
        await runtime.close()
    report = dataclasses.asdict(order)
    link = checkout.link_for(order, settings)
    _print_json({"order_id": report.pop("id"), **report, "checkout_url": link})
    return 0


async def reconcile_stars(_args: argparse.Namespace, settings: Settings) -> int:
    """Telegram's Stars transactions against the ledger: credits the charges the bot missed
    (through the bot's own use case) and prints what it found and did as JSON. Exit code 4
    when something needs an admin (see StarsReconciliation.needs_admin), for cron alerts."""
    from aiogram.exceptions import TelegramAPIError

    from stario.core.adapters.telegram import make_bot
    from stario.core.adapters.telegram_stars import BotStarTransactions
    from stario.core.services import reconcile, stars

    token = settings.require_bot_token()
    config = stars.StarsConfig.from_settings(settings)
    runtime = await build_runtime(settings)
    bot = make_bot(token, settings.telegram_api_url)
    try:
        transactions = await reconcile.fetch_all(BotStarTransactions(bot))
        report = await reconcile.reconcile_stars(runtime.sessions, transactions, config=config)
    except TelegramAPIError as error:
        print(json.dumps({"error": "telegram", "detail": error.message}), file=sys.stderr)
        return 1
    finally:
        await bot.session.close()
        await runtime.close()
    _print_json(report.as_json())
    return NEEDS_ADMIN_EXIT if report.needs_admin else 0


async def report_payments(args: argparse.Namespace, settings: Settings) -> int:
    """The day's payments per provider and status, with mismatches (UTC day; default today)."""
    from stario.core.services import payments_report
    from stario.models import utcnow

    day = args.date or utcnow().date()
    runtime = await build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            report = await payments_report.build(session, day)
    finally:
        await runtime.close()
    _print_json(report.as_json())
    return 0


async def generate(args: argparse.Namespace, settings: Settings) -> int:
    """One greeting or poster straight through the engines; prints the stage timings."""
    from pathlib import Path

    from stario.workers.engines.base import EngineError, UserInputError
    from stario.workers.generate_once import generate_once

    photo, name = await _generation_inputs(args, settings)
    params: dict[str, Any] = {"artist_name": name, "language": args.lang}
    if args.kind == "greeting":
        params |= {"text": " ".join(args.text), "shape": args.shape}
    else:
        params |= {"lines": args.text, "template": args.template}
    try:
        made = await asyncio.to_thread(generate_once, settings, args.kind, photo, params)
    except UserInputError as error:
        print(json.dumps({"error": error.reason, "detail": str(error)}), file=sys.stderr)
        return 1
    except EngineError as error:
        print(json.dumps({"error": type(error).__name__, "detail": str(error)}), file=sys.stderr)
        return 1
    await asyncio.to_thread(Path(args.out).write_bytes, made.output)
    _print_json(
        {
            "out": args.out,
            "bytes": len(made.output),
            **made.details,
            "stages": made.stages,
            "stage_seconds": {
                stage: round(value, 3) for stage, value in made.stage_seconds.items()
            },
            "total_seconds": round(made.total_seconds, 3),
        }
    )
    return 0


async def _generation_inputs(args: argparse.Namespace, settings: Settings) -> tuple[bytes, str]:
    from pathlib import Path

    from stario.core.services import catalog
    from stario.models import Product

    if args.photo:
        photo = await asyncio.to_thread(Path(args.photo).read_bytes)
        return photo, args.name or args.artist or "Stario"
    if not args.artist:
        raise SettingsError("--artist", "or --photo is required")
    runtime = await build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            product = Product.GREETING if args.kind == "greeting" else Product.POSTER
            artist = await catalog.orderable_artist(session, args.artist, product)
        if artist.primary_photo_key is None:
            raise SettingsError("--artist", f"{args.artist} has no photo")
        photo = await runtime.storage.get(artist.primary_photo_key)
    finally:
        await runtime.close()
    return photo, args.name or artist.name_in(args.lang)


async def face_compare(args: argparse.Namespace, settings: Settings) -> int:
    """One JSON line per pair (IMG_A IMG_B, or each row of --pairs), the engine loaded once;
    exit 1 when any pair could not be compared."""
    from pathlib import Path

    from stario.workers.engines.face_compare import PairComparer, PairsFileError, read_pairs
    from stario.workers.engines.registry import Engines

    if (args.pairs and args.images) or (not args.pairs and len(args.images) != 2):
        raise SettingsError("face-compare", "takes IMG_A IMG_B, or --pairs FILE.csv")
    try:
        pairs = (
            read_pairs(Path(args.pairs))
            if args.pairs
            else [(Path(args.images[0]), Path(args.images[1]))]
        )
    except PairsFileError as error:
        raise SettingsError("--pairs", str(error)) from error

    def run() -> int:
        comparer = PairComparer(Engines(settings).face)
        failed = 0
        for result in comparer.compare_all(pairs):
            failed += "error" in result
            print(json.dumps(result, ensure_ascii=False), flush=True)
        return 1 if failed else 0

    return await asyncio.to_thread(run)


async def face_match(args: argparse.Namespace, settings: Settings) -> int:
    """The quiz's gallery search for one selfie (stored artist vectors of FACE_ENGINE)."""
    from pathlib import Path

    from stario.workers import jobs as worker_jobs
    from stario.workers.engines.base import UserInputError
    from stario.workers.quiz import match_selfie

    selfie = await asyncio.to_thread(Path(args.selfie).read_bytes)
    try:
        found = await match_selfie(worker_jobs.configure(settings), selfie, args.artist)
    except UserInputError as error:
        print(json.dumps({"error": error.reason, "detail": str(error)}), file=sys.stderr)
        return 1
    _print_json(found)
    return 0


async def face_index(args: argparse.Namespace, settings: Settings) -> int:
    """Compute the gallery vectors FACE_ENGINE lacks (seeded artists, a new engine)."""
    from stario.workers import jobs as worker_jobs
    from stario.workers.quiz import index_missing

    _print_json(await index_missing(worker_jobs.configure(settings), args.artist))
    return 0


async def _index_demo_gallery(settings: Settings) -> None:
    """`stario dev` runs the workers in-process: give the seeded artists their face vectors so
    the Face Quiz works at once. Without the face engine the rest of the product still runs."""
    try:
        from stario.workers import jobs as worker_jobs
        from stario.workers.quiz import index_missing

        log.info("face gallery: %s", json.dumps(await index_missing(
            worker_jobs.configure(settings), None)))  # fmt: skip
    except Exception:
        log.exception("face gallery not indexed: the Face Quiz will say it is not ready")


async def _seed(runtime: Runtime) -> dict[str, Any]:
    from stario.core.services.seed import seed_demo as run_seed

    async with runtime.sessions() as session:
        report = await run_seed(session, runtime.storage)
    return dataclasses.asdict(report)


async def _serve_web(runtime: Runtime, until: asyncio.Event) -> None:
    from aiohttp import web as aiohttp_web

    from stario.bot.maintenance import run_sweeper
    from stario.core.adapters.telegram import bot_from_settings
    from stario.core.i18n import Translator
    from stario.webapp import telegram
    from stario.webapp.app import create_app

    settings = runtime.settings
    dispatcher = None
    if telegram.webhook_mode(settings):
        from stario.bot.factory import create_dispatcher

        dispatcher = create_dispatcher(runtime)
    elif settings.webhook_url:
        log.warning("WEBHOOK_URL is set but BOT_TOKEN is not: no Telegram webhook")
    runner = aiohttp_web.AppRunner(create_app(runtime, dispatcher=dispatcher), access_log=None)
    await runner.setup()
    site = aiohttp_web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("web app listening on http://%s:%s", settings.web_host, settings.web_port)
    tune_gc_for_serving()
    bot = bot_from_settings(settings)
    sweeper = asyncio.create_task(
        run_sweeper(
            runtime.sessions, bot, Translator(settings.default_language), until, runtime.storage
        )
    )
    try:
        await until.wait()
    finally:
        log.info("shutting down")
        await sweeper
        await runner.cleanup()
        if bot is not None:
            await bot.session.close()


def _report_polling_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("the chat bot stopped: %s: %s", type(error).__name__, error)


def _stop_signal() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
