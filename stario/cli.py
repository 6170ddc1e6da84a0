"""`stario`: the one console script that starts every process and operator tool (DESIGN §1)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from typing import Any

from stario.core.errors import NotAvailableYetError, StarioError
from stario.core.settings import Settings, SettingsError, exit_on_settings_error, load_settings

log = logging.getLogger("stario")

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command_func"):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        exit_code: int = asyncio.run(args.command_func(args, settings))
        return exit_code
    except SettingsError as error:
        exit_on_settings_error(error)
    except NotAvailableYetError as error:
        print(f"stario: {error}", file=sys.stderr)
        return 3
    except StarioError as error:
        print(json.dumps({"error": error.key, "detail": str(error)}), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    from stario import commands  # the commands import the heavy modules lazily

    parser = argparse.ArgumentParser(prog="stario", description=__doc__)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(command_func=func)
        return command

    add("bot", commands.bot, "run the Telegram bot (long polling)")
    add("web", commands.web, "run the web app: Mini App API, webhooks, health, metrics")
    worker = add("worker", commands.worker, "run an RQ worker")
    worker.add_argument("--queues", default="video,poster,face", help="comma-separated queues")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    dev = add("dev", commands.dev, "everything in one process on the embedded defaults")
    dev.add_argument("--no-seed", action="store_true", help="do not load the demo catalogue")
    add("migrate", commands.migrate, "upgrade the database schema to the latest revision")
    add("seed-demo", commands.seed_demo, "load demo artists, templates and credit packages")

    generate = add("generate", commands.generate, "run one generation pipeline, no bot or queue")
    generate.add_argument("kind", choices=["greeting", "poster"])
    generate.add_argument("--artist", help="artist slug (its primary photo and name)")
    generate.add_argument("--photo", help="use this image instead of the artist's photo")
    generate.add_argument("--name", help="artist name to show (default: from --artist)")
    generate.add_argument("--text", action="append", required=True, help="text (poster: a line)")
    generate.add_argument("--lang", choices=["uz", "ru", "en"], default="uz")
    generate.add_argument("--shape", choices=["vertical", "square"], default="vertical")
    generate.add_argument("--template", default="classic", help="poster layout")
    generate.add_argument("--out", required=True, help="where to write the MP4 or JPEG")
    compare = add("face-compare", commands.face_compare, "face similarity as JSON lines")
    compare.add_argument("images", nargs="*")
    compare.add_argument("--pairs")
    match = add("face-match", commands.face_match, "search the artist gallery for a selfie")
    match.add_argument("selfie")
    match.add_argument("--artist")
    face_index = add("face-index", commands.face_index, "compute missing gallery vectors")
    face_index.add_argument("--artist", help="only this artist's photos (slug)")

    order = sub.add_parser("order", help="credit packages and orders (JSON)")
    order_sub = order.add_subparsers(title="order commands", metavar="ACTION", required=True)
    packages = order_sub.add_parser("packages", help="list active credit packages")
    packages.set_defaults(command_func=commands.order_packages)
    create = order_sub.add_parser("create", help="create a pending order for a user")
    create.add_argument("--user", type=int, required=True)
    create.add_argument("--package", required=True)
    create.add_argument("--provider", choices=["stars", "payme", "click"], required=True)
    create.set_defaults(command_func=commands.order_create)

    reconcile = sub.add_parser("reconcile", help="compare providers' records with the ledger")
    reconcile_sub = reconcile.add_subparsers(title="providers", metavar="PROVIDER", required=True)
    stars = reconcile_sub.add_parser(
        "stars", help="credit Stars charges the bot missed (getStarTransactions); JSON report"
    )
    stars.set_defaults(command_func=commands.reconcile_stars)
    report = sub.add_parser("report", help="reports (JSON)")
    report_sub = report.add_subparsers(title="reports", metavar="REPORT", required=True)
    payments = report_sub.add_parser(
        "payments", help="a day's orders per provider and status, and ledger mismatches"
    )
    payments.add_argument("--date", type=_day, help="YYYY-MM-DD, a UTC day (default: today, UTC)")
    payments.set_defaults(command_func=commands.report_payments)

    user = sub.add_parser("user", help="user tools (JSON)")
    user_sub = user.add_subparsers(title="user commands", metavar="ACTION", required=True)
    balance = user_sub.add_parser("balance", help="a user's credit balance")
    balance.add_argument("user_id", type=int)
    balance.set_defaults(command_func=commands.user_balance)
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


if __name__ == "__main__":
    raise SystemExit(main())
