"""Engine interfaces for the generation workers (DESIGN §6).

Engines are plain synchronous objects, built once per worker process (they may hold loaded
models) and called once per job. `local` engines run offline on the CPU; `gpu` adapters load
weights from MODELS_DIR. Everything here is data in, data out: engines know nothing of the
database, the queue or Telegram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

# A stage name for the progress message ("voice", "animating", "encoding", ...).
ProgressCallback = Callable[[str], None]


class EngineError(Exception):
    """Base of engine failures; the worker maps each subclass to an error class (DESIGN §6)."""


class UserInputError(EngineError):
    """The fan's input cannot be used (no face in the photo, unreadable image, text too long).

    `reason` is a short machine-readable code the worker turns into a localised message.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class CapacityError(EngineError):
    """Out of memory / GPU memory, or the engine timed out: retry later, then refund."""


class TransientEngineError(EngineError):
    """A passing failure (a subprocess crashed, a temporary file system error): retry silently."""


# --- Voice ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WordTiming:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Speech:
    """Mono float32 samples in [-1, 1], with the time each spoken word starts and ends."""

    samples: npt.NDArray[np.float32]
    sample_rate: int
    words: tuple[WordTiming, ...] = ()

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


class TTSEngine(Protocol):
    name: str

    def synthesize(self, text: str, language: str) -> Speech:
        """Speak `text` (uz, ru or en), normalised for speech and for loudness."""
        ...


# --- Faces in artist photos ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceLandmarks:
    """One face in an image, in pixel coordinates of that (upright) image.

    `points` is the 468-point MediaPipe face mesh (x, y) when the engine provides it; the named
    points below are always filled.
    """

    box: tuple[float, float, float, float]  # left, top, right, bottom
    mouth_upper: tuple[float, float]  # inner upper lip centre
    mouth_lower: tuple[float, float]  # inner lower lip centre
    mouth_left: tuple[float, float]
    mouth_right: tuple[float, float]
    chin: tuple[float, float]
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    points: npt.NDArray[np.float32] | None = None


class FaceLocator(Protocol):
    def locate(self, rgb: npt.NDArray[np.uint8]) -> list[FaceLandmarks]:
        """Faces in an H×W×3 uint8 RGB image, largest first (empty when there is none)."""
        ...


# --- Greeting video ------------------------------------------------------------------------


class VideoShape(StrEnum):
    SQUARE = "square"  # 720×720
    VERTICAL = "vertical"  # 720×1280

    @property
    def size(self) -> tuple[int, int]:
        return (720, 720) if self is VideoShape.SQUARE else (720, 1280)


@dataclass(frozen=True, slots=True)
class GreetingRequest:
    photo: bytes  # the artist's primary photo (JPEG/PNG bytes)
    text: str  # what the artist "says"
    language: str  # uz, ru or en: captions and voice
    artist_name: str  # for the name card
    shape: VideoShape = VideoShape.VERTICAL
    ai_mark: str = "AI"


@dataclass(frozen=True, slots=True)
class RenderedVideo:
    mp4: bytes  # H.264 + AAC, yuv420p, +faststart
    width: int
    height: int
    duration_s: float
    thumbnail_jpeg: bytes  # ≤ 320 px on the long side, for sendVideo's thumbnail
    stage_seconds: dict[str, float] = field(default_factory=dict)


class VideoEngine(Protocol):
    name: str

    def render(
        self, request: GreetingRequest, speech: Speech, progress: ProgressCallback
    ) -> RenderedVideo: ...


# --- Poster --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PosterRequest:
    photo: bytes  # the artist's primary photo
    template: str  # layout code, e.g. "classic", "neon", "minimal"
    lines: tuple[str, ...]  # the fan's text lines (1–3)
    artist_name: str
    language: str
    ai_mark: str = "AI"


@dataclass(frozen=True, slots=True)
class RenderedPoster:
    jpeg: bytes  # 1080×1350
    width: int
    height: int
    preview_jpeg: bytes  # ≤ 1280 px on the long side, for sendPhoto
    stage_seconds: dict[str, float] = field(default_factory=dict)


class PosterEngine(Protocol):
    name: str

    @property
    def templates(self) -> tuple[str, ...]: ...

    def render(self, request: PosterRequest, progress: ProgressCallback) -> RenderedPoster: ...


# --- Face Quiz -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceEmbedding:
    """One face found in a photo: its L2-normalised embedding and where it was."""

    vector: npt.NDArray[np.float32]  # shape (engine.dimension,), unit length
    box: tuple[int, int, int, int]  # left, top, right, bottom in the upright image
    milliseconds: float = 0.0  # time spent from bytes to vector


class FaceEngine(Protocol):
    """Face embeddings for the Face Quiz (DESIGN §6), chosen by FACE_ENGINE.

    Distances are euclidean between unit vectors (0 … 2). Gallery embeddings are stored per
    engine `name`, so a change of engine never compares vectors of two models.
    """

    name: str
    dimension: int
    threshold: float  # distance at or below which two faces are the same person

    def embed_selfie(self, image: bytes) -> FaceEmbedding:
        """The one usable face of a selfie, or UserInputError with reason `bad_photo`,
        `no_face`, `many_faces`, `face_too_small` or `face_blurry`."""
        ...

    def embed_photo(self, image: bytes) -> FaceEmbedding:
        """The largest face of any photo (artist gallery, face-compare); UserInputError
        `bad_photo` or `no_face`."""
        ...

    def similarity_percent(self, distance: float) -> float:
        """Calibrated, monotonic (non-increasing) map from distance to 0 … 100."""
        ...
