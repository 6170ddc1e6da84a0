"""One greeting or poster from its order parameters: the engines, in stages, no I/O besides.

Used by the queue jobs and by `stario generate` (no bot, no queue).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from stario.workers.engines.base import (
    GreetingRequest,
    PosterRequest,
    ProgressCallback,
    RenderedPoster,
    RenderedVideo,
    VideoShape,
)
from stario.workers.engines.registry import Engines


def spoken_text(params: Mapping[str, object]) -> str:
    text = str(params.get("text", "")).strip()
    recipient = str(params.get("recipient", "") or "").strip()
    if recipient and recipient.casefold() not in text.casefold():
        return f"{recipient}! {text}"
    return text


def make_greeting(
    engines: Engines, photo: bytes, params: Mapping[str, object], progress: ProgressCallback
) -> RenderedVideo:
    language = str(params.get("language", "uz"))
    text = spoken_text(params)
    progress("voice")
    started = time.perf_counter()
    speech = engines.tts.synthesize(text, language)
    voice_s = time.perf_counter() - started
    video = engines.video.render(
        GreetingRequest(
            photo=photo,
            text=text,
            language=language,
            artist_name=str(params.get("artist_name", "")),
            shape=VideoShape(str(params.get("shape", VideoShape.VERTICAL.value))),
        ),
        speech,
        progress,
    )
    video.stage_seconds.setdefault("voice", voice_s)
    return video


def make_poster(
    engines: Engines, photo: bytes, params: Mapping[str, object], progress: ProgressCallback
) -> RenderedPoster:
    lines = params.get("lines", [])
    progress("composing")
    return engines.poster.render(
        PosterRequest(
            photo=photo,
            template=str(params.get("template", "classic")),
            lines=tuple(str(line) for line in lines) if isinstance(lines, list) else (),
            artist_name=str(params.get("artist_name", "")),
            language=str(params.get("language", "uz")),
        ),
        progress,
    )
