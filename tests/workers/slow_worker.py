"""A real `stario worker` process whose poster engine hangs, for the killed-worker test.

python tests/workers/slow_worker.py REDIS_URL QUEUE   (settings from the environment)
"""

from __future__ import annotations

import sys
import time

from stario.core.adapters.queue_rq import run_worker
from stario.core.settings import load_settings
from stario.workers import jobs
from stario.workers.engines.base import ProgressCallback, RenderedPoster


class HangingPoster:
    name = "hanging"
    templates = ("classic", "neon", "minimal")

    def render(self, request: object, progress: ProgressCallback) -> RenderedPoster:
        progress("composing")
        time.sleep(600)
        raise RuntimeError("should have been killed")


if __name__ == "__main__":
    context = jobs.configure(load_settings())
    context.engines.__dict__["poster"] = HangingPoster()
    run_worker(sys.argv[1], [sys.argv[2]])
