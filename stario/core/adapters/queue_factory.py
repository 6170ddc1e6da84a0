"""Pick the job queue adapter that REDIS_URL implies."""

from __future__ import annotations

from stario.core.adapters.queue_inprocess import InProcessJobQueue
from stario.core.adapters.queue_rq import RQJobQueue
from stario.core.ports.queue import JobQueue
from stario.core.settings import Settings


def build_queue(settings: Settings) -> JobQueue:
    """RQ on REDIS_URL when it is set; otherwise the in-process queue of `stario dev`."""
    if settings.redis_url:
        return RQJobQueue(settings.redis_url)
    return InProcessJobQueue()
