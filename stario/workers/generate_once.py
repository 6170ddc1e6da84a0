"""`stario generate`: one greeting or poster through the engines, no bot, no queue."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from stario.core.settings import Settings
from stario.workers.engines.registry import Engines
from stario.workers.pipelines import make_greeting, make_poster


@dataclass(frozen=True, slots=True)
class Generated:
    output: bytes
    details: dict[str, Any]
    stages: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def generate_once(
    settings: Settings, kind: str, photo: bytes, params: dict[str, Any]
) -> Generated:
    """Blocking; raises the engines' errors (UserInputError for unusable input)."""
    engines = Engines(settings)
    stages: list[str] = []
    started = time.perf_counter()
    if kind == "greeting":
        video = make_greeting(engines, photo, params, stages.append)
        output, timings = video.mp4, video.stage_seconds
        details = {"width": video.width, "height": video.height, "duration_s": video.duration_s}
    else:
        poster = make_poster(engines, photo, params, stages.append)
        output, timings = poster.jpeg, poster.stage_seconds
        details = {"width": poster.width, "height": poster.height}
    return Generated(output, details, stages, timings, time.perf_counter() - started)
