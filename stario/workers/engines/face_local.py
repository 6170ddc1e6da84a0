"""The default Face Quiz engine: offline, CPU-only, models under commercial-use licences.

Pipeline (one selfie, one core, ~10 ms at ≤ 640 px; `scripts/bench_face.py`):

1. decode: `photos.open_photo` with specific reasons, long side ≤ 640 (JPEG draft decoding),
   upright per EXIF, transparency laid over white;
2. detection: MediaPipe BlazeFace (`landmarks.detect_faces`, Apache-2.0);
3. alignment: dlib's 5-point shape predictor from the BlazeFace box mapped onto a HOG-like box,
   then dlib's 150×150 face chip (`face_align`, dlib-bin, public-domain model);
4. embedding: dlib's ResNet (`dlib_face_recognition_resnet_model_v1`, public domain) converted
   to ONNX (`face_dlib_onnx`) and run by onnxruntime on 1 thread; the 128-d vector is
   L2-normalised, distances are euclidean (0 … 2).

Refusals (`UserInputError.reason`): from decoding `bad_photo` (not an image, truncated,
unsupported format, short side under MIN_PHOTO_SIDE px), `photo_too_large` (over
MAX_PHOTO_BYTES or MAX_PHOTO_PIXELS, or a decompression bomb), `animated` (animated
GIF/PNG/WebP); then `no_face`; for selfies only also `many_faces` (another face at
least half as large as the largest), `face_too_small` (face box side under MIN_SELFIE_FACE_PX
px of the decoded ≤ 640 px image) and `face_blurry` (chip sharpness under MIN_SHARPNESS).

Calibration (the labelled pairs of `shared/testdata`: 804 pairs of 84 celebrity photos, 223
same / 581 different people; `scripts/bench_face.py` prints the figures):
- distances there: same person median 0.255, max 0.377; different people min 0.379, median
  0.590, 99th percentile 0.709 (ROC AUC 1.0 on each set; dlib's own HOG pipeline: 0.9999).
- THRESHOLD 0.40: dlib's documented 0.6 on its raw vectors divided by their median length
  (1.48); on the pairs it makes 2 errors in 804 (99.75 %).
- `similarity_percent`: piecewise-linear through SIMILARITY_ANCHORS: the median same-person
  distance → 95 %, the threshold → 75 %, the median different-person distance → 30 %, the
  99th percentile of different people → 5 %; 0 → 100 % and 2 → 0 %. It is monotonic
  (non-increasing) by construction. The quiz compares a fan with celebrities, so its results
  fall mostly in the different-people range (20–60 %); "75 % or more" means dlib would call
  it the same person.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from stario.workers.engines import face_dlib_onnx
from stario.workers.engines.base import EngineError, FaceEmbedding, UserInputError
from stario.workers.engines.face_align import (
    RESNET_MODEL,
    FaceAligner,
    face_models_dir,
    sharpness,
)
from stario.workers.engines.landmarks import FaceDetection, detect_faces
from stario.workers.engines.photos import flatten, open_photo

ENGINE_NAME = "dlib-resnet-v1"
DIMENSION = 128
LONG_SIDE = 640
MIN_PHOTO_SIDE = 32
MIN_SELFIE_FACE_PX = 48
OTHER_FACE_RATIO = 0.5  # a second face at least this large (side ratio) makes a group photo
MIN_SHARPNESS = 25.0  # test photos: 43 at the least; blurred by a 3-px Gaussian: 2 to 51
THRESHOLD = 0.40
# (distance, percent), distances increasing, percents non-increasing
SIMILARITY_ANCHORS: tuple[tuple[float, float], ...] = (
    (0.0, 100.0),
    (0.255, 95.0),
    (0.40, 75.0),
    (0.59, 30.0),
    (0.71, 5.0),
    (2.0, 0.0),
)

Box = tuple[int, int, int, int]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stario"


class LocalFaceEngine:
    """`FaceEngine` on the CPU. Thread-safe; built once per worker process."""

    name = ENGINE_NAME
    dimension = DIMENSION
    threshold = THRESHOLD

    def __init__(
        self,
        models_dir: Path | None = None,
        cache_dir: Path | None = None,
        threads: int = 1,
    ) -> None:
        self.models_dir = models_dir or face_models_dir()
        self.cache_dir = cache_dir or default_cache_dir()
        self.threads = threads
        self._session: Any = None
        self._aligner: FaceAligner | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load (and on first use convert) the models now; otherwise the first call does."""
        self._models()

    # --- FaceEngine ----------------------------------------------------------------------

    def embed_selfie(self, image: bytes) -> FaceEmbedding:
        started = time.perf_counter()
        rgb, faces = self.find_faces(image)
        largest = faces[0]
        side = _side(largest.box)
        others = [face for face in faces[1:] if _side(face.box) >= OTHER_FACE_RATIO * side]
        if others:
            raise UserInputError("many_faces", f"{len(others) + 1} faces")
        if side < MIN_SELFIE_FACE_PX:
            raise UserInputError("face_too_small", f"the face is {side:.0f} px")
        chip = self.chip(rgb, largest)
        if (score := sharpness(chip)) < MIN_SHARPNESS:
            raise UserInputError("face_blurry", f"sharpness {score:.1f}")
        return self._embedding(chip, largest, started)

    def embed_photo(self, image: bytes) -> FaceEmbedding:
        started = time.perf_counter()
        rgb, faces = self.find_faces(image)
        return self._embedding(self.chip(rgb, faces[0]), faces[0], started)

    def similarity_percent(self, distance: float) -> float:
        return similarity_percent(distance)

    # --- The stages (public for the benchmark) -------------------------------------------

    def decode(self, image: bytes) -> npt.NDArray[np.uint8]:
        """The photo as an upright H×W×3 RGB array, long side ≤ LONG_SIDE."""
        photo = open_photo(
            image, min_side=MIN_PHOTO_SIDE, long_side=LONG_SIDE, specific_reasons=True
        )
        return np.asarray(flatten(photo, (255, 255, 255)), dtype=np.uint8)

    def find_faces(self, image: bytes) -> tuple[npt.NDArray[np.uint8], list[FaceDetection]]:
        """The decoded photo and its faces, largest first; `no_face` when there is none."""
        rgb = self.decode(image)
        self._models()
        faces = detect_faces(Image.fromarray(rgb))
        if not faces:
            raise UserInputError("no_face")
        faces.sort(key=lambda face: _side(face.box), reverse=True)
        return rgb, faces

    def chip(self, rgb: npt.NDArray[np.uint8], face: FaceDetection) -> npt.NDArray[np.uint8]:
        aligner = self._models()[1]
        left, top, right, bottom = (float(v) for v in face.box)
        return aligner.chip(rgb, (left, top, right, bottom))

    def embed_chips(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Unit vectors (N×128) for N aligned 150×150 chips."""
        session = self._models()[0]
        raw = session.run(None, {face_dlib_onnx.INPUT_NAME: chips.astype(np.float32)})[0]
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        vectors: npt.NDArray[np.float32] = (raw / np.maximum(norms, 1e-12)).astype(np.float32)
        return vectors

    # --- Internals -----------------------------------------------------------------------

    def _embedding(
        self, chip: npt.NDArray[np.uint8], face: FaceDetection, started: float
    ) -> FaceEmbedding:
        vector = self.embed_chips(chip[np.newaxis])[0]
        left, top, right, bottom = (round(float(v)) for v in face.box)
        return FaceEmbedding(
            vector=vector,
            box=(left, top, right, bottom),
            milliseconds=(time.perf_counter() - started) * 1000,
        )

    def _models(self) -> tuple[Any, FaceAligner]:
        with self._lock:
            if self._session is None or self._aligner is None:
                self._aligner = FaceAligner(self.models_dir)
                self._session = self._open_session()
            return self._session, self._aligner

    def _open_session(self) -> Any:
        onnxruntime = importlib.import_module("onnxruntime")  # no type stubs
        dat = self.models_dir / RESNET_MODEL
        if not dat.is_file():
            raise EngineError(f"model file missing: {dat}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        try:
            model: str | bytes = str(face_dlib_onnx.converted_model(dat, self.cache_dir))
        except OSError:  # a read-only cache: convert in memory (about 0.3 s) every start
            model = face_dlib_onnx.build_onnx(face_dlib_onnx.parse(dat.read_bytes()))
        return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def similarity_percent(distance: float) -> float:
    """SIMILARITY_ANCHORS interpolated linearly (see the module docstring)."""
    distances, percents = zip(*SIMILARITY_ANCHORS, strict=True)
    return round(float(np.interp(distance, distances, percents)), 1)


def _side(box: npt.NDArray[np.float32]) -> float:
    return float(box[2] - box[0] + box[3] - box[1]) / 2
