"""MediaPipe face detection + mesh on real photos (test data only, never shipped)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from stario.workers.engines import landmarks
from stario.workers.engines.base import FaceLandmarks, FaceLocator
from stario.workers.engines.landmarks import MESH_POINTS, MediaPipeFaceLocator

FACES = Path(__file__).parents[3] / "shared" / "testdata" / "faces-fr"

Point = tuple[float, float]


def load(name: str) -> npt.NDArray[np.uint8]:
    with Image.open(FACES / name) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def locator() -> MediaPipeFaceLocator:
    return MediaPipeFaceLocator()


def named_points(face: FaceLandmarks) -> list[Point]:
    return [
        face.mouth_upper,
        face.mouth_lower,
        face.mouth_left,
        face.mouth_right,
        face.chin,
        face.left_eye,
        face.right_eye,
    ]


def assert_upright_face(face: FaceLandmarks, image: npt.NDArray[np.uint8]) -> None:
    left, top, right, bottom = face.box
    height, width = image.shape[:2]
    assert 0 <= left < right <= width
    assert 0 <= top < bottom <= height
    assert right - left > 0.1 * width
    assert face.points is not None
    assert face.points.shape == (MESH_POINTS, 2)
    assert face.points.dtype == np.float32
    for x, y in [*named_points(face), *map(tuple, face.points)]:
        assert left - 0.5 <= x <= right + 0.5
        assert top - 0.5 <= y <= bottom + 0.5
    eyes_y = max(face.left_eye[1], face.right_eye[1])
    assert eyes_y < face.mouth_upper[1] <= face.mouth_lower[1] < face.chin[1]
    assert face.left_eye[0] < face.right_eye[0]
    assert face.mouth_left[0] < face.mouth_upper[0] < face.mouth_right[0]
    mouth_x = (face.mouth_left[0] + face.mouth_right[0]) / 2
    assert abs(face.chin[0] - mouth_x) < 0.1 * (right - left)


def test_is_a_face_locator(locator: MediaPipeFaceLocator) -> None:
    engine: FaceLocator = locator
    assert engine.locate(np.zeros((64, 64, 3), np.uint8)) == []


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "obama2.jpg", "alex-lacamoire.png"])
def test_one_face_in_a_portrait(locator: MediaPipeFaceLocator, name: str) -> None:
    image = load(name)
    faces = locator.locate(image)
    assert len(faces) == 1
    assert_upright_face(faces[0], image)


def test_obama_landmarks_are_where_the_face_is(locator: MediaPipeFaceLocator) -> None:
    # obama.jpg is 910×1137; the face sits in the upper middle (checked on a rendered overlay)
    (face,) = locator.locate(load("obama.jpg"))
    left, top, right, bottom = face.box
    assert 330 < left < 420
    assert 570 < right < 660
    assert 90 < top < 180
    assert 380 < bottom < 460
    mouth_width = face.mouth_right[0] - face.mouth_left[0]
    eye_distance = face.right_eye[0] - face.left_eye[0]
    assert 0.6 < mouth_width / eye_distance < 1.4


def test_two_people(locator: MediaPipeFaceLocator) -> None:
    image = load("two_people.jpg")
    faces = locator.locate(image)
    assert len(faces) == 2
    areas = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in faces]
    assert areas == sorted(areas, reverse=True)
    first, second = sorted(faces, key=lambda f: f.box[0])
    assert first.box[2] < second.box[0]  # one face on each side, no overlap
    for face in faces:
        assert_upright_face_loosely(face)


def assert_upright_face_loosely(face: FaceLandmarks) -> None:
    eyes_y = max(face.left_eye[1], face.right_eye[1])
    assert eyes_y < face.mouth_upper[1] <= face.mouth_lower[1] < face.chin[1]


def test_group_photo_largest_first(locator: MediaPipeFaceLocator) -> None:
    faces = locator.locate(load("knn_test_obama_and_biden.jpg"))
    assert len(faces) >= 2
    areas = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in faces]
    assert areas == sorted(areas, reverse=True)
    for face in faces:
        assert_upright_face_loosely(face)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((480, 640, 3), np.uint8),
        np.full((480, 640, 3), 200, np.uint8),
        np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8),
        np.zeros((8, 8, 3), np.uint8),
    ],
    ids=["black", "grey", "noise", "tiny"],
)
def test_no_face(locator: MediaPipeFaceLocator, image: npt.NDArray[np.uint8]) -> None:
    assert locator.locate(image) == []


def test_same_landmarks_at_any_resolution(locator: MediaPipeFaceLocator) -> None:
    original = load("obama.jpg")
    (small,) = locator.locate(original)
    big_image = Image.fromarray(original).resize(
        (original.shape[1] * 4, original.shape[0] * 4), Image.Resampling.BICUBIC
    )
    (big,) = locator.locate(np.asarray(big_image))
    face_width = small.box[2] - small.box[0]
    for a, b in zip(named_points(small), named_points(big), strict=True):
        assert math.dist(a, (b[0] / 4, b[1] / 4)) < 0.03 * face_width


def test_tilted_face(locator: MediaPipeFaceLocator) -> None:
    image = Image.fromarray(load("obama.jpg")).rotate(25, expand=True, fillcolor=(0, 0, 0))
    (face,) = locator.locate(np.asarray(image))
    # in the face's own frame the mouth is still below the eyes and the chin below the mouth
    ex, ey = np.subtract(face.right_eye, face.left_eye)
    tilt = math.degrees(math.atan2(ey, ex))
    assert -32 < tilt < -18  # Pillow rotates counter-clockwise
    down = np.array([-ey, ex]) / math.hypot(ex, ey)
    eyes = np.add(face.left_eye, face.right_eye) / 2
    assert np.dot(np.subtract(face.mouth_upper, eyes), down) > 0
    assert np.dot(np.subtract(face.mouth_upper, eyes), down) < np.dot(
        np.subtract(face.chin, eyes), down
    )


def test_greyscale_and_rgba_input(locator: MediaPipeFaceLocator) -> None:
    with Image.open(FACES / "obama.jpg") as image:
        grey = np.asarray(image.convert("L"))
        rgba = np.asarray(image.convert("RGBA"))
    assert len(locator.locate(grey)) == 1
    assert len(locator.locate(rgba)) == 1


def test_bad_arrays_are_rejected(locator: MediaPipeFaceLocator) -> None:
    with pytest.raises(ValueError, match="uint8"):
        locator.locate(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="H×W×3"):
        locator.locate(np.zeros((64, 64, 5), np.uint8))


def test_concurrent_calls_agree(locator: MediaPipeFaceLocator) -> None:
    images = [load("obama.jpg"), load("two_people.jpg"), load("biden.jpg")] * 3
    sequential = [locator.locate(image) for image in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(locator.locate, images))
    for one, other in zip(sequential, parallel, strict=True):
        assert len(one) == len(other)
        for a, b in zip(one, other, strict=True):
            assert a.box == b.box
            assert a.points is not None
            assert b.points is not None
            assert np.array_equal(a.points, b.points)


def test_models_load_once_per_process() -> None:
    first, second = MediaPipeFaceLocator(), MediaPipeFaceLocator()
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(lambda loc: landmarks._models(loc.model_dir), [first, second] * 4))
    assert all(models is loaded[0] for models in loaded)
