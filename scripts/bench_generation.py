"""Generation speed on this machine (local CPU engines), median and p95.

    python scripts/bench_generation.py [--runs 10] [--poster-runs 30] [--queue-runs 50]
        [--redis-url redis://127.0.0.1:6379/12] [--photo PATH]

- greeting: a vertical 720×1280 greeting of ~25 words (≈10 s of speech), from job start to the
  MP4 ready (voice, animation, encoding), through the same pipeline the worker runs;
- poster: a 1080×1350 poster, job start to JPEG ready;
- queue: enqueue-to-start overhead on an idle RQ worker (the forking worker `stario worker`
  runs), from RQ's own enqueued/started timestamps.

The engines load once before timing, as they do once per worker process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis import Redis
from rq import Queue
from rq.job import Job

from stario.core.demo_portraits import render_portrait
from stario.core.settings import load_settings
from stario.workers.engines.registry import Engines
from stario.workers.pipelines import make_greeting, make_poster

GREETING = {
    "uz": (
        "Aziz Aziza, tugʻilgan kuningiz bilan chin yurakdan tabriklayman! Sizga sihat-salomatlik, "
        "baxt, omad va quvonch tilayman. Orzularingiz albatta roʻyobga chiqsin, doimo kuling!"
    ),
    "ru": (
        "Дорогая Азиза, поздравляю тебя с днём рождения! Желаю здоровья, счастья, удачи и "
        "радости каждый день. Пусть все мечты сбудутся, а рядом всегда будут любимые люди!"
    ),
    "en": (
        "Dear Aziza, happy birthday from the bottom of my heart! I wish you health, happiness, "
        "luck and joy every single day. May all your dreams come true, and keep smiling always!"
    ),
}


def summarise(name: str, seconds: list[float], unit: str = "s") -> None:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    scale = 1000.0 if unit == "ms" else 1.0
    median = statistics.median(ordered) * scale
    print(
        f"{name}: runs {len(ordered)}, median {median:.3f} {unit}, p95 {p95 * scale:.3f} {unit}, "
        f"min {ordered[0] * scale:.3f}, max {ordered[-1] * scale:.3f}"
    )


def timed(runs: int, action: Callable[[int], None]) -> list[float]:
    results = []
    for index in range(runs):
        started = time.perf_counter()
        action(index)
        results.append(time.perf_counter() - started)
    return results


def bench_media(photo: bytes, runs: int, poster_runs: int) -> None:
    engines = Engines(load_settings())
    engines.warm_up(["video", "poster"])
    languages = list(GREETING)
    stages: dict[str, list[float]] = {}

    def greeting(index: int) -> None:
        language = languages[index % len(languages)]
        params = {"text": GREETING[language], "language": language, "shape": "vertical",
                  "artist_name": "Laylo Sado"}  # fmt: skip
        video = make_greeting(engines, photo, params, lambda _stage: None)
        assert (video.width, video.height) == (720, 1280)
        for stage, value in video.stage_seconds.items():
            stages.setdefault(stage, []).append(value)

    make_greeting(engines, photo, {"text": "Salom!", "language": "uz"}, lambda _s: None)
    summarise("greeting 720x1280 ~25 words", timed(runs, greeting))
    for stage, values in stages.items():
        print(f"  stage {stage}: median {statistics.median(values):.3f} s")

    templates = ["classic", "neon", "minimal"]

    def poster(index: int) -> None:
        params = {"template": templates[index % 3], "lines": ["Tugʻilgan kuning bilan!"],
                  "artist_name": "Laylo Sado", "language": "uz"}  # fmt: skip
        make_poster(engines, photo, params, lambda _stage: None)

    poster(0)
    summarise("poster 1080x1350", timed(poster_runs, poster))


def bench_queue(redis_url: str, runs: int) -> None:
    redis = Redis.from_url(redis_url)
    name = f"bench-{int(time.time())}"
    worker = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from stario.core.adapters.queue_rq import run_worker; "
         f"run_worker({redis_url!r}, [{name!r}])"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        queue = Queue(name, connection=redis)
        time.sleep(2.0)  # let the worker start and go idle
        overheads = []
        for _ in range(runs):
            job = queue.enqueue("time.sleep", 0)
            while job.get_status(refresh=True) not in ("finished", "failed"):
                time.sleep(0.005)
            job = Job.fetch(job.id, connection=redis)
            assert job.enqueued_at is not None
            assert job.started_at is not None
            overheads.append((job.started_at - job.enqueued_at).total_seconds())
            time.sleep(0.05)  # idle again
        summarise("enqueue-to-start on an idle worker", overheads, unit="ms")
    finally:
        worker.terminate()
        worker.wait(10)
        for key in redis.scan_iter(match=f"*{name}*"):
            redis.delete(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--poster-runs", type=int, default=30)
    parser.add_argument("--queue-runs", type=int, default=50)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--photo", type=Path, help="artist photo (default: a demo portrait)")
    args = parser.parse_args()
    photo = args.photo.read_bytes() if args.photo else render_portrait("laylo-sado").jpeg
    bench_media(photo, args.runs, args.poster_runs)
    bench_queue(args.redis_url, args.queue_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
