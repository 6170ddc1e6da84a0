"""The local face engine on real photos and on hostile bytes (tiny generated fixtures)."""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from stario.workers.engines import face_local
from stario.workers.engines.base import FaceEmbedding, UserInputError
from stario.workers.engines.face_local import LocalFaceEngine, similarity_percent
from stario.workers.engines.photos import MAX_PHOTO_BYTES
from tests.workers.face_pairs import DEEPFACE, FACES_FR

OBAMA = FACES_FR / "obama.jpg"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalFaceEngine:
    engine = LocalFaceEngine(cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    engine.load()
    return engine


@pytest.fixture(scope="module")
def obama(engine: LocalFaceEngine) -> FaceEmbedding:
    return engine.embed_selfie(OBAMA.read_bytes())


def encoded(image: Image.Image, kind: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def photo(path: Path = OBAMA) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def distance(a: FaceEmbedding, b: FaceEmbedding) -> float:
    return float(np.linalg.norm(a.vector - b.vector))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height, with one row of pixel data: decoding it would
    fail, so only a check made before decoding can tell its size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(bytes(1 + 3 * width))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
    )


# --- Real photos -----------------------------------------------------------------------------


def test_a_selfie_gives_a_unit_vector_and_the_face_box(obama: FaceEmbedding) -> None:
    assert obama.vector.shape == (128,)
    assert obama.vector.dtype == np.float32
    assert abs(float(np.linalg.norm(obama.vector)) - 1) < 1e-5
    left, top, right, bottom = obama.box
    assert 150 < left < right < 400  # the portrait's face, in the 640-px decoded image
    assert 50 < top < bottom < 300
    assert obama.milliseconds > 0


def test_same_person_is_near_and_another_is_far(
    engine: LocalFaceEngine, obama: FaceEmbedding
) -> None:
    again = engine.embed_photo((FACES_FR / "obama2.jpg").read_bytes())
    biden = engine.embed_photo((FACES_FR / "biden.jpg").read_bytes())
    assert distance(obama, again) <= engine.threshold < distance(obama, biden)
    assert engine.similarity_percent(distance(obama, again)) >= 75
    assert engine.similarity_percent(distance(obama, biden)) < 50


def test_similarity_percent_is_monotonic_and_bounded() -> None:
    distances = np.linspace(0, 2, 401)
    percents = [similarity_percent(float(d)) for d in distances]
    assert percents[0] == 100
    assert percents[-1] == 0
    assert all(a >= b for a, b in itertools.pairwise(percents))
    assert similarity_percent(face_local.THRESHOLD) == 75
    assert similarity_percent(3.0) == 0


def test_png_with_alpha_cmyk_and_exif_rotation_give_the_same_face(
    engine: LocalFaceEngine, obama: FaceEmbedding
) -> None:
    image = photo()
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.new("L", image.size, 255).crop((0, 0, *image.size)))
    rgba.paste((0, 0, 0, 0), (0, 0, 20, image.height))  # a transparent strip
    cmyk = encoded(image.convert("CMYK"))
    # stored turned 90° clockwise; EXIF orientation 8 says "turn back 90° anticlockwise"
    exif = Image.Exif()
    exif[0x0112] = 8
    rotated = encoded(image.transpose(Image.Transpose.ROTATE_270), exif=exif)
    for data in (encoded(rgba, "PNG"), cmyk, rotated):
        assert distance(engine.embed_selfie(data), obama) < 0.15


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"", "bad_photo"),
        (lambda: b"GIF89a? not really" * 10, "bad_photo"),
        (lambda: b"%PDF-1.7\n" + bytes(2000), "bad_photo"),
        (lambda: OBAMA.read_bytes()[:3000], "bad_photo"),  # truncated JPEG
        (lambda: encoded(Image.new("RGB", (1, 1)), "PNG"), "bad_photo"),
        (lambda: encoded(Image.new("RGB", (64, 64)), "GIF"), "bad_photo"),  # a still GIF
        (lambda: png_header_only(10_000, 6_000), "photo_too_large"),  # 60 megapixels
        (lambda: png_header_only(60_000, 60_000), "photo_too_large"),  # decompression bomb
        (lambda: OBAMA.read_bytes() + bytes(20 * 1024 * 1024), "photo_too_large"),  # 20 MB
        (lambda: encoded(Image.new("RGB", (200, 200), (128, 128, 128))), "no_face"),
    ],
    ids=[
        "empty",
        "garbage",
        "pdf",
        "truncated-jpeg",
        "1x1",
        "still-gif",
        "60-megapixels",
        "decompression-bomb",
        "20-mb",
        "no-face",
    ],
)
def test_hostile_or_unusable_bytes_get_a_specific_reason(
    engine: LocalFaceEngine, make: object, reason: str
) -> None:
    data = make()  # type: ignore[operator]
    assert isinstance(data, bytes)
    for embed in (engine.embed_selfie, engine.embed_photo):
        with pytest.raises(UserInputError) as refused:
            embed(data)
        assert refused.value.reason == reason


def test_an_animated_gif_is_refused(engine: LocalFaceEngine) -> None:
    frames = [photo().resize((160, 120)), Image.new("RGB", (160, 120), (255, 0, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(UserInputError) as refused:
        engine.embed_selfie(buffer.getvalue())
    assert refused.value.reason == "animated"


def test_the_size_limit_is_checked_before_anything_is_parsed(engine: LocalFaceEngine) -> None:
    with pytest.raises(UserInputError) as refused:
        engine.embed_selfie(b"\xff" * (MAX_PHOTO_BYTES + 1))
    assert refused.value.reason == "photo_too_large"


def test_a_selfie_with_several_faces_is_refused_but_a_photo_takes_the_largest(
    engine: LocalFaceEngine,
) -> None:
    couple = (DEEPFACE / "couple.jpg").read_bytes()
    with pytest.raises(UserInputError) as refused:
        engine.embed_selfie(couple)
    assert refused.value.reason == "many_faces"
    assert engine.embed_photo(couple).vector.shape == (128,)


def test_a_small_face_in_a_selfie_is_refused(engine: LocalFaceEngine) -> None:
    canvas = Image.new("RGB", (640, 480), (200, 200, 200))
    canvas.paste(photo().resize((150, 110)), (245, 185))  # a face about 35 px wide
    with pytest.raises(UserInputError) as refused:
        engine.embed_selfie(encoded(canvas))
    assert refused.value.reason == "face_too_small"


def test_a_blurred_selfie_is_refused_and_a_sharp_one_passes(engine: LocalFaceEngine) -> None:
    image = photo()
    blurred = image.filter(ImageFilter.GaussianBlur(6))
    with pytest.raises(UserInputError) as refused:
        engine.embed_selfie(encoded(blurred, quality=95))
    assert refused.value.reason == "face_blurry"
    engine.embed_selfie(encoded(image, quality=95))
    engine.embed_photo(encoded(blurred, quality=95))  # gallery photos are not judged on it


def test_the_registry_builds_the_local_engine_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from stario.core.settings import Settings
    from stario.workers.engines.registry import Engines

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    engines = Engines(Settings(_env_file=None))
    engines.warm_up(["face"])
    assert isinstance(engines.face, LocalFaceEngine)
    assert engines.face is engines.face
    assert engines.face.name == "dlib-resnet-v1"
    assert list((tmp_path / "stario").glob("*.onnx"))  # converted once, into the cache
