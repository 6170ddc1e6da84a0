"""From a BlazeFace box to dlib's aligned 150×150 face chip, and how sharp that chip is.

dlib's 5-point shape predictor was trained on the boxes of dlib's HOG face detector, so the
BlazeFace box is first mapped onto the square HOG would have drawn: on the 91 test photos
(`shared/testdata`), HOG's side was 0.977× BlazeFace's (median) and its centre 0.033 sides
higher. The predictor's 5 points then place `dlib.get_face_chip` (150 px, padding 0.25), the
chip dlib's ResNet was trained on. dlib comes from the `dlib-bin` wheel (Boost licence); the
5-point model is public domain (see MODEL_LICENSES.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stario.workers.engines.base import EngineError

SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
RESNET_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE = 150
CHIP_PADDING = 0.25
HOG_SIDE_PER_BLAZEFACE_SIDE = 0.977
HOG_CENTRE_SHIFT_UP = 0.033  # in sides of the BlazeFace box

Box = tuple[float, float, float, float]


def face_models_dir() -> Path:
    """The `models` folder of the installed face-recognition-models package (not imported:
    its __init__ needs pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("face-recognition-models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def hog_like_box(box: Box) -> Box:
    """The square dlib's HOG detector would have drawn around a BlazeFace box."""
    left, top, right, bottom = box
    side = (right - left + bottom - top) / 2
    centre_x = (left + right) / 2
    centre_y = (top + bottom) / 2 - HOG_CENTRE_SHIFT_UP * side
    half = side * HOG_SIDE_PER_BLAZEFACE_SIDE / 2
    return centre_x - half, centre_y - half, centre_x + half, centre_y + half


class FaceAligner:
    """dlib's 5-point landmarks and face chip. dlib objects are not shared between threads
    here: every call holds a lock."""

    def __init__(self, models_dir: Path | None = None) -> None:
        dlib = importlib.import_module("dlib")  # no type stubs
        path = (models_dir or face_models_dir()) / SHAPE_MODEL
        if not path.is_file():
            raise EngineError(f"model file missing: {path}")
        self._dlib: Any = dlib
        self._predictor = dlib.shape_predictor(str(path))
        self._lock = threading.Lock()

    def chip(self, rgb: npt.NDArray[np.uint8], box: Box) -> npt.NDArray[np.uint8]:
        """The aligned 150×150×3 RGB chip of the face in `box` (BlazeFace, image pixels)."""
        left, top, right, bottom = (round(v) for v in hog_like_box(box))
        rectangle = self._dlib.rectangle(left, top, right, bottom)
        with self._lock:
            shape = self._predictor(rgb, rectangle)
            chip = self._dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        return np.ascontiguousarray(chip, dtype=np.uint8)


def sharpness(chip: npt.NDArray[np.uint8]) -> float:
    """Variance of the 4-neighbour Laplacian of the chip's grey levels (higher is sharper),
    over the inner 100×100 px so that the background does not count."""
    grey = chip[25:-25, 25:-25].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    laplacian = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    )
    return float(laplacian.var())
