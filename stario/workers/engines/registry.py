"""Builds the engines a worker process uses, once per process, as settings choose them."""

from __future__ import annotations

import threading
from functools import cached_property

from stario.core.settings import EngineChoice, Settings
from stario.workers.engines.base import (
    FaceEngine,
    FaceLocator,
    PosterEngine,
    TTSEngine,
    VideoEngine,
)


class Engines:
    """Lazily built engines: a poster worker never loads the video models, and vice versa."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def face_locator(self) -> FaceLocator:
        from stario.workers.engines.landmarks import MediaPipeFaceLocator

        return MediaPipeFaceLocator()

    @cached_property
    def tts(self) -> TTSEngine:
        from stario.workers.engines.tts_local import EspeakTTS

        return EspeakTTS()

    @cached_property
    def video(self) -> VideoEngine:
        if self.settings.video_engine is EngineChoice.GPU:
            from stario.workers.engines.talking_head import TalkingHeadEngine

            return TalkingHeadEngine.from_models_dir(self.settings.models_dir, self.face_locator)
        from stario.workers.engines.video_local import PortraitVideoEngine

        return PortraitVideoEngine(self.face_locator)

    @cached_property
    def poster(self) -> PosterEngine:
        if self.settings.poster_engine is EngineChoice.GPU:
            from stario.workers.engines.poster_diffusers import DiffusersPosterEngine

            return DiffusersPosterEngine(self.settings.models_dir / "poster", self.face_locator)
        from stario.workers.engines.poster_local import PosterCompositor

        return PosterCompositor(self.face_locator)

    @cached_property
    def face(self) -> FaceEngine:
        if self.settings.face_engine is EngineChoice.GPU:
            from stario.workers.engines.face_insightface import InsightFaceEngine

            return InsightFaceEngine.from_models_dir(self.settings.models_dir)
        from stario.workers.engines.face_local import LocalFaceEngine

        engine = LocalFaceEngine()
        engine.load()
        return engine

    def warm_up(self, queues: list[str]) -> None:
        """Load what these queues need now (before RQ forks work horses, so each job reuses it)."""
        with self._lock:
            if "video" in queues:
                _ = self.tts, self.video
            if "poster" in queues:
                _ = self.poster
            if "face" in queues:
                _ = self.face
