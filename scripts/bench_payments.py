"""Payme Merchant API throughput and latency over HTTP against a real `stario web` (issue 5).

Starts `stario web` as a subprocess on a free loopback port, on its own PostgreSQL database;
then 32 concurrent clients each take distinct pending orders and play Payme's full sequence on
each: CheckPerformTransaction → CreateTransaction → PerformTransaction (one HTTP request each,
Basic auth, JSON-RPC). Prints requests/s and the median, p95 and p99 latency per request, then
checks the ledger: every order credited exactly once, no credit twice, every balance equal to
the sum of its postings. It also prints where the CPU went during the run (this client, the
`stario web` process, all PostgreSQL processes, from /proc): on a small machine the three share
the cores, so the figures only mean something next to that split.

    python scripts/bench_payments.py [--orders 3000] [--clients 32] [--users 500]
        [--rate REQUESTS_PER_S] [--db-pool-size N]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/stario_bench_pay]

The database named in the URL is created if missing, and emptied and migrated on every run.
Targets: ≥ 500 requests/s, p99 ≤ 50 ms.

Without `--rate` the clients send as fast as the server answers (saturated: the throughput
ceiling, where latency is mostly time waiting in line behind the 31 other clients). With
`--rate R` the same 32 clients together start requests on a fixed schedule of R per second, and
each latency counts from the request's scheduled start, so a server falling behind shows in the
figures rather than slowing the load (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stario.models import CreditPackage, Order, User, utcnow
from stario.models.db import create_engine
from stario.models.migrate import upgrade_to_head
from tests.conftest import ensure_database, reset_schema

PAYME_KEY = "bench-payme-key-0123456789abcdefghij"
CREDITS = 5
PRICE_UZS = 15_000
# Sequences played before measuring: the server's first requests open its database connections
# and load code paths; the figures are for a server that has been up a moment.
WARM_UP = 200


async def prepare(url: str, orders: int, users: int) -> list[int]:
    """A fresh schema with `users` fans and `orders` pending Payme orders; their ids."""
    await ensure_database(url)
    engine = create_engine(url, pool_size=2)
    await reset_schema(engine)
    await engine.dispose()
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url, pool_size=2)
    expires = utcnow() + timedelta(hours=12)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(User),
            [{"id": user_id, "first_name": f"bench{user_id}"} for user_id in range(1, users + 1)],
        )
        package_id = await connection.scalar(
            sa.insert(CreditPackage)
            .values(code="bench", credits=CREDITS, price_uzs=PRICE_UZS, price_stars=50)
            .returning(CreditPackage.id)
        )
        ids = await connection.scalars(
            sa.insert(Order).returning(Order.id),
            [
                {
                    "user_id": index % users + 1,
                    "package_id": package_id,
                    "provider": "payme",
                    "status": "pending",
                    "credits": CREDITS,
                    "amount_tiyin": PRICE_UZS * 100,
                    "amount_stars": 50,
                    "expires_at": expires,
                }
                for index in range(orders)
            ],
        )
        order_ids = list(ids)
    await engine.dispose()
    return order_ids


def start_web(
    url: str, port: int, workdir: Path, pool_size: int | None = None
) -> subprocess.Popen[str]:
    keep = {"PATH", "LANG", "LC_ALL", "HOME"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env |= {
        "DATABASE_URL": url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "STORAGE_URL": f"file://{workdir / 'files'}",
        "PAYME_MERCHANT_ID": "bench-merchant",
        "PAYME_KEY": PAYME_KEY,
    }
    if pool_size is not None:
        env["DB_POOL_SIZE"] = str(pool_size)
    return subprocess.Popen(
        [sys.executable, "-m", "stario.cli", "web"],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"stario web exited: {process.communicate()[1]}")
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("stario web did not start in 60 s")
            await asyncio.sleep(0.2)


async def run(
    base: str, order_ids: list[int], clients: int, rate: float | None = None
) -> tuple[list[float], float, int]:
    """Latencies of every request, the elapsed seconds, and how many answers were errors."""
    auth = "Basic " + base64.b64encode(f"Paycom:{PAYME_KEY}".encode()).decode()
    headers = {"Authorization": auth}
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(order_ids))
    slots = 0
    started = 0.0
    connector = aiohttp.TCPConnector(limit=clients)

    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def scheduled_start() -> float:
            """Now, or with --rate: wait for this request's slot in the schedule."""
            nonlocal slots
            if rate is None:
                return time.perf_counter()
            slot = started + slots / rate
            slots += 1
            await asyncio.sleep(max(0.0, slot - time.perf_counter()))
            return slot

        async def call(method: str, params: dict[str, Any], request_id: int) -> None:
            nonlocal errors
            body = {"method": method, "params": params, "id": request_id}
            begun = await scheduled_start()
            async with http.post(f"{base}/payments/payme", json=body) as response:
                answer = await response.json()
            latencies.append(time.perf_counter() - begun)
            if response.status != 200 or "result" not in answer:
                errors += 1

        async def client() -> None:
            while queue:
                order_id = queue.pop()
                payme_id = f"{order_id:024x}"
                amount = PRICE_UZS * 100
                account = {"order_id": str(order_id)}
                await call("CheckPerformTransaction", {"amount": amount, "account": account}, 1)
                now_ms = time.time_ns() // 1_000_000
                await call(
                    "CreateTransaction",
                    {"id": payme_id, "time": now_ms, "amount": amount, "account": account},
                    2,
                )
                await call("PerformTransaction", {"id": payme_id}, 3)

        # Warm the connections (and the server's pool) before measuring.
        warm = [http.get(f"{base}/healthz") for _ in range(clients)]
        for response in await asyncio.gather(*warm):
            response.release()
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, errors


async def check(url: str, orders: int) -> dict[str, int]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:

        async def count(sql: str) -> int:
            return int(await connection.scalar(sa.text(sql)) or 0)

        figures = {
            "paid orders": await count("SELECT count(*) FROM orders WHERE status = 'paid'"),
            "payme credits": await count(
                "SELECT count(*) FROM credit_ledger WHERE idempotency_key LIKE 'pay:payme:%'"
            ),
            "orders credited twice": await count(
                "SELECT count(*) FROM (SELECT o.id FROM orders o JOIN payments p"
                " ON p.order_id = o.id JOIN credit_ledger l"
                " ON l.idempotency_key = 'pay:payme:' || p.external_id"
                " GROUP BY o.id HAVING count(*) > 1) twice"
            ),
            "balances not equal to their ledger": await count(
                "SELECT count(*) FROM users u LEFT JOIN ("
                " SELECT user_id, sum(amount) AS total FROM credit_ledger GROUP BY user_id"
                ") l ON l.user_id = u.id WHERE u.balance <> coalesce(l.total, 0)"
            ),
            "credits in balances": await count("SELECT coalesce(sum(balance), 0) FROM users"),
        }
    await engine.dispose()
    figures["expected credits"] = orders * CREDITS
    return figures


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * fraction) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, help="paced: requests/s started on a schedule")
    parser.add_argument("--db-pool-size", type=int, help="DB_POOL_SIZE of `stario web`")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/stario_bench_pay"
    )
    args = parser.parse_args()
    if args.orders <= WARM_UP or args.clients < 1 or args.users < 1 or (args.rate or 1) <= 0:
        parser.error(f"--orders must exceed {WARM_UP}; --clients, --users, --rate be positive")

    order_ids = asyncio.run(prepare(args.database_url, args.orders, args.users))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="stario-bench-") as workdir:
        process = start_web(args.database_url, port, Path(workdir), args.db_pool_size)
        try:
            asyncio.run(wait_until_up(base, process))
            asyncio.run(run(base, order_ids[:WARM_UP], args.clients))  # not measured
            before = cpu_seconds([os.getpid()]), cpu_seconds([process.pid])
            pg_before = {pid: cpu_seconds([pid]) for pid in postgres_pids()}
            latencies, elapsed, errors = asyncio.run(
                run(base, order_ids[WARM_UP:], args.clients, args.rate)
            )
            cpu = {
                "bench client": cpu_seconds([os.getpid()]) - before[0],
                "stario web": cpu_seconds([process.pid]) - before[1],
                "postgresql": sum(
                    cpu_seconds([pid]) - pg_before.get(pid, 0.0) for pid in postgres_pids()
                ),
            }
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    figures = asyncio.run(check(args.database_url, args.orders))

    latencies.sort()
    print(
        f"Payme requests: {len(latencies)} ({args.orders - WARM_UP} Check → Create → Perform "
        f"sequences, after {WARM_UP} to warm up) "
        f"by {args.clients} clients over HTTP, "
        + (f"paced at {args.rate:g} requests/s" if args.rate else "saturated")
    )
    print(f"throughput: {len(latencies) / elapsed:,.0f} requests/s")
    print(f"latency median: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"latency p95: {percentile(latencies, 0.95) * 1000:.1f} ms")
    print(f"latency p99: {percentile(latencies, 0.99) * 1000:.1f} ms")
    print(f"error answers: {errors}")
    split = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
    print(f"CPU during the run ({elapsed:.1f} s wall, {os.cpu_count()} cores): {split}")
    server_ms = cpu["stario web"] / len(latencies) * 1000
    print(f"stario web CPU per request: {server_ms:.2f} ms")
    for name, value in figures.items():
        print(f"{name}: {value}")
    sound = (
        errors == 0
        and figures["paid orders"] == args.orders
        and figures["payme credits"] == args.orders
        and figures["orders credited twice"] == 0
        and figures["balances not equal to their ledger"] == 0
        and figures["credits in balances"] == figures["expected credits"]
    )
    print(f"zero double credits, every order credited once: {'yes' if sound else 'NO'}")
    return 0 if sound else 1


if __name__ == "__main__":
    raise SystemExit(main())
