"""The GPU face engine (FACE_ENGINE=gpu): an SCRFD detector and an ArcFace-class recognizer run
with onnxruntime, on CUDA when onnxruntime offers it, else on the CPU.

Weights are read from ``MODELS_DIR/face/`` and never downloaded: ``detector.onnx`` and
``recognizer.onnx`` by default, or the names given in an optional ``engine.json``
(`ENGINE_JSON_FORMAT`; file names are relative to that folder). Bring weights you may use
commercially: see MODEL_LICENSES.md. The engine's name is ``insightface-<recognizer stem>-<first 8
hex digits of its sha256>``, so gallery vectors of other weights are never compared.

* Detector (SCRFD family, as in insightface's ``scrfd.py``): input 1×3×H×W (640×640 when the
  model leaves it open), RGB, ``(pixel − 127.5) / 128``, the photo scaled to fit and laid in the
  top-left corner over black. Outputs, in any order, per stride 8/16/32 (or 8…128 for 5-level
  models): scores (N×1, after the sigmoid), box distances (N×4) and 5 keypoints (N×10), in
  strides from the anchor centres, A anchors per cell (A = N / cells). Boxes over
  `SCORE_THRESHOLD`, then NMS at IoU `NMS_IOU`.
* Alignment: the least-squares similarity (Umeyama) from the 5 keypoints to the ArcFace
  112×112 template, applied with ``cv2.warpAffine``.
* Recognizer: input 1×3×112×112, RGB, ``(pixel − 127.5) / 127.5``; output 1×D (D read from the
  model), L2-normalised here.

Distances are euclidean between unit vectors, so ``cosine = 1 − d² / 2``. ArcFace models put
pairs of one person at cosine ≳ 0.4 and strangers near 0; the default `threshold_cosine` 0.35
(distance ≈ 1.14) is the usual operating point of insightface's w600k models, and
`similarity_percent` is a logistic in the cosine, 50 % at that threshold and `PERCENT_SCALE` wide
(cosine 0.1 → 1 %, 0.6 → 99 %). Calibrate both on your own labelled pairs and set them in
engine.json.

Photos are decoded by `photos.open_photo` (long side at most `DECODE_LONG_SIDE`, transparency laid
over white); boxes and sizes are in pixels of that decoded image. A selfie must hold exactly one
face: no other face at least `COMPANION_RATIO` of the largest one's size (smaller background
faces are ignored), at least `min_face_px` high and wide, and sharp: the variance of the
Laplacian over the chip's eyes-to-chin area at least `min_sharpness`. On the 90 photos of
shared/testdata (MediaPipe keypoints) real faces score 440 … 6100; the same faces blurred by a
Gaussian of σ = 2 chip pixels mostly score 20 … 130, hence 150.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort  # type: ignore[import-untyped]

from stario.workers.engines.base import CapacityError, EngineError, FaceEmbedding, UserInputError
from stario.workers.engines.photos import flatten, open_photo

FloatArray = npt.NDArray[np.float32]
RgbImage = npt.NDArray[np.uint8]

ENGINE_SUBDIR = "face"
ENGINE_JSON = "engine.json"
ENGINE_JSON_FORMAT = (
    '{"detector": "det_10g.onnx", "recognizer": "w600k_r50.onnx", "threshold_cosine": 0.35, '
    '"min_face_px": 64, "min_sharpness": 150} (every key optional)'
)
DETECTOR_LAYOUT = (
    "an SCRFD detector: input 1×3×H×W, 9 outputs (scores N×1, boxes N×4, keypoints N×10 at "
    "strides 8, 16, 32) or 15 (strides 8…128)"
)
RECOGNIZER_LAYOUT = "an ArcFace-class recognizer: input 1×3×112×112, output 1×D"

DEFAULT_DETECTOR_SIZE = 640
SCORE_THRESHOLD = 0.5
NMS_IOU = 0.4
CHIP_SIZE = 112
ARCFACE_TEMPLATE = np.array(  # eyes, nose tip, mouth corners in the 112×112 chip
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)
DECODE_LONG_SIDE = 1280
MIN_PHOTO_SIDE = 32
COMPANION_RATIO = 0.5  # a second face at least this fraction of the largest: not a selfie
PERCENT_SCALE = 0.05
OUT_OF_MEMORY = re.compile(r"out of memory|Failed to allocate memory|bad_alloc", re.IGNORECASE)


class FaceModelError(EngineError):
    """A face model does not have the expected layout (at load) or returned unusable numbers."""


@dataclass(frozen=True, slots=True)
class DetectedFace:
    box: FloatArray  # left, top, right, bottom
    score: float
    keypoints: FloatArray  # 5×2: eyes, nose tip, mouth corners (image-left one first)

    @property
    def short_side(self) -> float:
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def session_providers(available: Sequence[str]) -> list[str]:
    if "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def open_session(path: Path, layout: str) -> Any:
    if not path.is_file():
        raise FileNotFoundError(
            f"face model {path} is missing; expected {layout} (or name the file in "
            f"{path.parent / ENGINE_JSON}: {ENGINE_JSON_FORMAT})"
        )
    providers = session_providers(ort.get_available_providers())
    try:
        return ort.InferenceSession(str(path), providers=providers)
    except Exception as error:  # onnxruntime raises its own unrelated classes
        raise FaceModelError(
            f"{path} is not a loadable ONNX model ({error}); expected {layout}"
        ) from error


def run_model(session: Any, name: str, blob: FloatArray) -> list[npt.NDArray[Any]]:
    try:
        outputs: list[npt.NDArray[Any]] = session.run(None, {name: blob})
    except Exception as error:
        if OUT_OF_MEMORY.search(str(error)):
            raise CapacityError(f"face model out of memory: {error}") from error
        raise
    return outputs


class ScrfdDetector:
    def __init__(self, session: Any) -> None:
        self.session = session
        model_input = session.get_inputs()[0]
        shape = model_input.shape
        if len(shape) != 4 or shape[1] != 3 or len(session.get_outputs()) not in (9, 15):
            raise FaceModelError(
                f"detector has {shape} → {len(session.get_outputs())} outputs; "
                f"expected {DETECTOR_LAYOUT}"
            )
        self.input_name = model_input.name
        fixed = [side if isinstance(side, int) else DEFAULT_DETECTOR_SIZE for side in shape[2:]]
        self.height, self.width = fixed

    def blob(self, rgb: RgbImage) -> tuple[FloatArray, float]:
        """The network input and the scale from the photo to it."""
        height, width = rgb.shape[:2]
        scale = min(self.height / height, self.width / width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        canvas = np.zeros((self.height, self.width, 3), np.uint8)
        canvas[: size[1], : size[0]] = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        normalised = (canvas.astype(np.float32) - 127.5) / 128.0
        return normalised.transpose(2, 0, 1)[np.newaxis], scale

    def detect(self, rgb: RgbImage) -> list[DetectedFace]:
        """Faces in the photo's pixels, largest first."""
        blob, scale = self.blob(rgb)
        outputs = run_model(self.session, self.input_name, blob)
        boxes, scores, keypoints = decode(outputs, self.height, self.width)
        keep = nms(boxes, scores, NMS_IOU)
        faces = [
            DetectedFace(boxes[i] / scale, float(scores[i]), keypoints[i] / scale) for i in keep
        ]
        return sorted(faces, key=lambda face: -face.short_side)


def anchor_centres(height: int, width: int, stride: int, anchors: int) -> FloatArray:
    """(x, y) of every anchor, row by row, each cell's anchors next to each other."""
    ys, xs = np.mgrid[: height // stride, : width // stride]
    centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, anchors, axis=0)


def decode(
    outputs: Sequence[npt.NDArray[Any]], height: int, width: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Boxes (M×4), scores (M) and keypoints (M×5×2) over `SCORE_THRESHOLD`, in input pixels."""
    arrays = [np.asarray(out, np.float32).reshape(-1, np.shape(out)[-1]) for out in outputs]
    groups = {
        dim: sorted((a for a in arrays if a.shape[1] == dim), key=lambda a: -len(a))
        for dim in (1, 4, 10)
    }
    levels = len(outputs) // 3
    if any(len(group) != levels for group in groups.values()):
        raise FaceModelError(
            f"detector outputs {[a.shape for a in arrays]}; expected {DETECTOR_LAYOUT}"
        )
    boxes, scores, keypoints = [], [], []
    for level, (score, box, kps) in enumerate(zip(*groups.values(), strict=True)):
        stride = 8 << level
        cells = (height // stride) * (width // stride)
        if len(score) % cells or not len(score) == len(box) == len(kps):
            raise FaceModelError(f"stride {stride}: {len(score)} rows for {cells} cells")
        centres = anchor_centres(height, width, stride, len(score) // cells)
        chosen = score[:, 0] >= SCORE_THRESHOLD
        centre, distance = centres[chosen], box[chosen] * stride
        boxes.append(np.hstack([centre - distance[:, :2], centre + distance[:, 2:]]))
        keypoints.append(centre[:, np.newaxis] + kps[chosen].reshape(-1, 5, 2) * stride)
        scores.append(score[chosen, 0])
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(keypoints)


def nms(boxes: FloatArray, scores: FloatArray, iou_limit: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best first."""
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(
        boxes[:, 3] - boxes[:, 1], 0, None
    )
    order, kept = list(np.argsort(-scores, kind="stable")), []
    while order:
        best, rest = order[0], np.array(order[1:], dtype=np.int64)
        kept.append(int(best))
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        overlap = np.prod(np.clip(high - low, 0, None), axis=1)
        iou = overlap / np.maximum(areas[best] + areas[rest] - overlap, 1e-9)
        order = [int(i) for i in rest[iou <= iou_limit]]
    return kept


def similarity_transform(source: FloatArray, target: FloatArray) -> FloatArray:
    """The 2×3 rotation + uniform scale + shift taking `source` points closest to `target`
    in least squares (Umeyama, 1991)."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    src, dst = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(dst.T @ src / len(source))
    reflect = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rotation = u @ reflect @ vt
    scale = np.trace(np.diag(singular) @ reflect) / src.var(axis=0).sum()
    shift = target_mean - scale * rotation @ source_mean
    return np.hstack([scale * rotation, shift[:, np.newaxis]]).astype(np.float32)


def align(rgb: RgbImage, keypoints: FloatArray) -> RgbImage:
    """The 112×112 ArcFace chip of the face with these 5 keypoints."""
    matrix = similarity_transform(
        keypoints.astype(np.float64), ARCFACE_TEMPLATE.astype(np.float64)
    )
    chip = cv2.warpAffine(rgb, matrix, (CHIP_SIZE, CHIP_SIZE), borderValue=(0, 0, 0))
    return np.asarray(chip, np.uint8)


def sharpness(chip: RgbImage) -> float:
    grey = cv2.cvtColor(chip[40:100, 28:84], cv2.COLOR_RGB2GRAY)  # eyes to chin, no margins
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


class ArcFaceRecognizer:
    def __init__(self, session: Any) -> None:
        self.session = session
        model_input = session.get_inputs()[0]
        if list(model_input.shape[1:]) != [3, CHIP_SIZE, CHIP_SIZE]:
            raise FaceModelError(
                f"recognizer input {model_input.shape}; expected {RECOGNIZER_LAYOUT}"
            )
        self.input_name = model_input.name
        declared = session.get_outputs()[0].shape[-1]
        blank = np.zeros((CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
        self.dimension = declared if isinstance(declared, int) else self.raw(blank).size

    def raw(self, chip: RgbImage) -> FloatArray:
        blob = ((chip.astype(np.float32) - 127.5) / 127.5).transpose(2, 0, 1)[np.newaxis]
        output = run_model(self.session, self.input_name, blob)[0]
        return np.asarray(output, np.float32).ravel()

    def embed(self, chip: RgbImage) -> FloatArray:
        vector = self.raw(chip)
        norm = float(np.linalg.norm(vector))
        if vector.size != self.dimension or not math.isfinite(norm) or norm == 0:
            raise FaceModelError(f"recognizer returned {vector.size} values of norm {norm}")
        return vector / norm


class InsightFaceEngine:
    def __init__(
        self,
        detector: ScrfdDetector,
        recognizer: ArcFaceRecognizer,
        *,
        name: str,
        threshold_cosine: float = 0.35,
        min_face_px: float = 64,
        min_sharpness: float = 150,
    ) -> None:
        if not -1 < threshold_cosine < 1 or min_face_px < 0 or min_sharpness < 0:
            raise ValueError("threshold_cosine in (−1, 1); min_face_px, min_sharpness ≥ 0")
        self.detector, self.recognizer, self.name = detector, recognizer, name
        self.dimension = recognizer.dimension
        self.threshold_cosine = threshold_cosine
        self.threshold = math.sqrt(2 - 2 * threshold_cosine)
        self.min_face_px, self.min_sharpness = min_face_px, min_sharpness

    @classmethod
    def from_models_dir(cls, models_dir: Path | str) -> InsightFaceEngine:
        folder = Path(models_dir) / ENGINE_SUBDIR
        config = load_config(folder / ENGINE_JSON)
        detector = ScrfdDetector(
            open_session(folder / config.pop("detector", "detector.onnx"), DETECTOR_LAYOUT)
        )
        recognizer_path = folder / config.pop("recognizer", "recognizer.onnx")
        recognizer = ArcFaceRecognizer(open_session(recognizer_path, RECOGNIZER_LAYOUT))
        name = f"insightface-{recognizer_path.stem}-{file_digest(recognizer_path)}"
        return cls(detector, recognizer, name=name, **config)

    def embed_selfie(self, image: bytes) -> FaceEmbedding:
        started = time.perf_counter()
        rgb = decode_photo(image)
        faces = self.detector.detect(rgb)
        if not faces:
            raise UserInputError("no_face")
        largest = faces[0]
        if any(face.short_side >= COMPANION_RATIO * largest.short_side for face in faces[1:]):
            raise UserInputError("many_faces", f"{len(faces)} faces")
        if largest.short_side < self.min_face_px:
            raise UserInputError("face_too_small", f"{largest.short_side:.0f} px")
        chip = align(rgb, largest.keypoints)
        if (chip_sharpness := sharpness(chip)) < self.min_sharpness:
            raise UserInputError("face_blurry", f"sharpness {chip_sharpness:.1f}")
        return self._embedding(chip, largest, started)

    def embed_photo(self, image: bytes) -> FaceEmbedding:
        started = time.perf_counter()
        rgb = decode_photo(image)
        faces = self.detector.detect(rgb)
        if not faces:
            raise UserInputError("no_face")
        return self._embedding(align(rgb, faces[0].keypoints), faces[0], started)

    def similarity_percent(self, distance: float) -> float:
        cosine = 1 - min(max(distance, 0.0), 2.0) ** 2 / 2
        return 100 / (1 + math.exp(-(cosine - self.threshold_cosine) / PERCENT_SCALE))

    def _embedding(self, chip: RgbImage, face: DetectedFace, started: float) -> FaceEmbedding:
        vector = self.recognizer.embed(chip)
        left, top, right, bottom = (round(float(v)) for v in face.box)
        milliseconds = (time.perf_counter() - started) * 1000
        return FaceEmbedding(vector, (left, top, right, bottom), milliseconds)


def decode_photo(image: bytes) -> RgbImage:
    photo = flatten(
        open_photo(image, min_side=MIN_PHOTO_SIDE, long_side=DECODE_LONG_SIDE), (255, 255, 255)
    )
    return np.asarray(photo, np.uint8)


def load_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: {error}; expected {ENGINE_JSON_FORMAT}") from error
    allowed: dict[str, type | tuple[type, ...]] = {
        "detector": str,
        "recognizer": str,
        "threshold_cosine": (int, float),
        "min_face_px": (int, float),
        "min_sharpness": (int, float),
    }
    if not isinstance(config, dict) or any(
        key not in allowed or isinstance(value, bool) or not isinstance(value, allowed[key])
        for key, value in config.items()
    ):
        raise ValueError(f"{path}: unexpected keys or types; expected {ENGINE_JSON_FORMAT}")
    return config


def file_digest(path: Path) -> str:
    """The first 8 hex digits of the file's sha256, so that other weights give another name."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:8]
