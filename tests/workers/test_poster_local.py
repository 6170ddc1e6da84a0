"""The Pillow poster compositor: real posters from a real photo, checked by their pixels."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageChops, ImageStat

from stario.workers.engines.base import FaceLandmarks, PosterRequest, UserInputError
from stario.workers.engines.fonts import font_path
from stario.workers.engines.poster_local import (
    FACE_CENTRE_Y,
    FACE_WIDTH_FRACTION,
    LAYOUTS,
    MAX_LINE_CHARS,
    NO_FACE_TOP_SHARE,
    POSTER_SIZE,
    PREVIEW_LONG_SIDE,
    TEMPLATES,
    Box,
    FloatBox,
    PosterCompositor,
    TextStyle,
    face_crop,
    fit_text,
    printable,
    template_background,
)

PHOTO_PATH = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "faces-fr" / "obama.jpg"
OBAMA_FACE: FloatBox = (380.0, 140.0, 600.0, 400.0)  # inside the photo's width once cropped
LINES = ("Tugʻilgan kuning bilan, Dilnoza!", "С днём рождения! Ўзбекистон", "Love you")


class FakeLocator:
    """Reports one fixed face box (or none) and remembers the images it was shown."""

    def __init__(self, box: FloatBox | None = OBAMA_FACE) -> None:
        self.box = box
        self.seen: list[npt.NDArray[np.uint8]] = []

    def locate(self, rgb: npt.NDArray[np.uint8]) -> list[FaceLandmarks]:
        self.seen.append(rgb)
        if self.box is None:
            return []
        left, top, right, bottom = self.box
        centre = ((left + right) / 2, (top + bottom) / 2)
        return [
            FaceLandmarks(
                box=self.box,
                mouth_upper=centre,
                mouth_lower=centre,
                mouth_left=centre,
                mouth_right=centre,
                chin=(centre[0], bottom),
                left_eye=centre,
                right_eye=centre,
            )
        ]


@pytest.fixture(scope="module")
def photo() -> bytes:
    return PHOTO_PATH.read_bytes()


@pytest.fixture(scope="module")
def engine() -> PosterCompositor:
    return PosterCompositor(FakeLocator())


def request(photo: bytes, template: str = "classic", **changes: Any) -> PosterRequest:
    base = PosterRequest(
        photo=photo, template=template, lines=LINES, artist_name="Yulduz Usmonova", language="uz"
    )
    return replace(base, **changes)


def decode(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    image.load()
    return image


def region_difference(a: Image.Image, b: Image.Image, box: Box) -> float:
    """Mean absolute difference (0–255) of two images inside `box`."""
    diff = ImageChops.difference(a.crop(box).convert("RGB"), b.crop(box).convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def inner(box: Box, by: int = 16) -> Box:
    return (box[0] + by, box[1] + by, box[2] - by, box[3] - by)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` in its header and has almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


# --- Output --------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_gives_a_1080x1350_progressive_jpeg(
    engine: PosterCompositor, photo: bytes, template: str
) -> None:
    stages: list[str] = []
    poster = engine.render(request(photo, template), stages.append)

    image = decode(poster.jpeg)
    assert (poster.width, poster.height) == POSTER_SIZE == image.size
    assert image.mode == "RGB"
    assert image.info.get("progressive") or image.info.get("progression")
    preview = decode(poster.preview_jpeg)
    assert max(preview.size) <= PREVIEW_LONG_SIDE
    assert preview.size[0] * POSTER_SIZE[1] == preview.size[1] * POSTER_SIZE[0]
    assert stages == ["composing", "encoding"]
    assert {"decode", "face", "background", "compose", "encode"} <= poster.stage_seconds.keys()


def test_templates_are_distinct_designs(engine: PosterCompositor, photo: bytes) -> None:
    posters = {t: decode(engine.render(request(photo, t), print).jpeg) for t in TEMPLATES}
    whole = (0, 0, *POSTER_SIZE)
    assert region_difference(posters["classic"], posters["neon"], whole) > 15
    assert region_difference(posters["classic"], posters["minimal"], whole) > 15
    assert region_difference(posters["neon"], posters["minimal"], whole) > 15


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_fans_text_is_drawn_in_its_box(
    engine: PosterCompositor, photo: bytes, template: str
) -> None:
    layout = LAYOUTS[template]
    first = decode(engine.render(request(photo, template), print).jpeg)
    other_lines = ("Xayrli tong!", "Привет из Ташкента")
    second = decode(engine.render(request(photo, template, lines=other_lines), print).jpeg)

    assert region_difference(first, second, layout.text_box) > 4
    assert region_difference(first, second, inner(layout.photo_box, 48)) < 0.5
    # Against the bare background, the text box is covered with type.
    background = template_background(template)
    text_region = first.crop(layout.text_box).convert("L")
    bare_region = background.crop(layout.text_box).convert("L")
    changed = np.abs(np.asarray(text_region, np.int16) - np.asarray(bare_region, np.int16)) > 60
    assert changed.mean() > 0.03


def test_artist_name_and_ai_mark_are_drawn(engine: PosterCompositor, photo: bytes) -> None:
    layout = LAYOUTS["classic"]
    base = decode(engine.render(request(photo), print).jpeg)
    renamed = decode(engine.render(request(photo, artist_name="Шаҳзода"), print).jpeg)
    remarked = decode(engine.render(request(photo, ai_mark="ИИ"), print).jpeg)

    assert region_difference(base, renamed, layout.name_box) > 4
    photo_box = layout.photo_box
    badge_area = (photo_box[2] - 160, photo_box[1], photo_box[2], photo_box[1] + 90)
    assert region_difference(base, remarked, badge_area) > 2
    assert region_difference(base, remarked, layout.text_box) < 0.5


def test_the_cached_background_is_not_drawn_on(engine: PosterCompositor, photo: bytes) -> None:
    before = template_background("neon").tobytes()
    engine.render(request(photo, "neon"), print)
    assert template_background("neon") is template_background("neon")
    assert template_background("neon").tobytes() == before


def test_compose_over_another_background(engine: PosterCompositor, photo: bytes) -> None:
    green = Image.new("RGB", (300, 400), (0, 200, 0))
    prepared = engine.prepare(request(photo, "neon"))
    painted = decode(engine.compose(prepared, print).jpeg)
    generated = decode(engine.compose(prepared, print, background=green).jpeg)

    red, green_level, blue = generated.getpixel((12, 12))  # type: ignore[misc]
    assert green_level > red + 40
    assert green_level > blue + 40
    assert region_difference(painted, generated, inner(LAYOUTS["neon"].photo_box, 48)) < 0.5
    assert generated.size == POSTER_SIZE


# --- The photo and the face ----------------------------------------------------------------


def test_crop_is_centred_on_the_face_box(photo: bytes) -> None:
    locator = FakeLocator()
    prepared = PosterCompositor(locator).prepare(request(photo))
    left, top, right, bottom = prepared.crop
    face_left, face_top, face_right, face_bottom = OBAMA_FACE

    assert (left + right) / 2 == pytest.approx((face_left + face_right) / 2)
    assert (face_top + face_bottom) / 2 - top == pytest.approx(FACE_CENTRE_Y * (bottom - top))
    fraction = (face_right - face_left) / (right - left)
    assert 0.25 <= fraction <= 0.35
    assert (left, top) >= (0, 0)
    assert right <= 910
    assert bottom <= 1137
    assert locator.seen[0].shape == (1137, 910, 3)
    assert locator.seen[0].dtype == np.uint8


def test_face_lands_in_the_middle_of_the_photo_frame() -> None:
    """A red 'face' on a grey photo ends up centred in the poster's photo frame."""
    source = Image.new("RGB", (1200, 1500), (128, 128, 128))
    face: FloatBox = (700.0, 300.0, 900.0, 500.0)
    source.paste((230, 20, 20), (700, 300, 900, 500))
    engine = PosterCompositor(FakeLocator(face))
    poster = decode(engine.render(request(encode(source, "PNG"), "classic"), print).jpeg)

    box = LAYOUTS["classic"].photo_box
    pixels = np.asarray(poster.crop(box), dtype=np.int16)
    red = (pixels[:, :, 0] > 170) & (pixels[:, :, 1] < 90) & (pixels[:, :, 2] < 90)
    ys, xs = np.nonzero(red)
    width, height = box[2] - box[0], box[3] - box[1]
    assert xs.mean() == pytest.approx(width / 2, abs=3)
    assert ys.mean() == pytest.approx(height * FACE_CENTRE_Y, abs=3)
    assert (xs.max() - xs.min() + 1) / width == pytest.approx(FACE_WIDTH_FRACTION, abs=0.01)


def test_face_crop_without_a_face_and_near_edges() -> None:
    # No face: the largest crop, centred across, a little above the middle.
    top = 500 * NO_FACE_TOP_SHARE
    assert face_crop((1000, 1000), None, 2.0) == pytest.approx((0.0, top, 1000.0, top + 500))
    assert face_crop((2000, 1000), None, 1.0) == (500.0, 0.0, 1500.0, 1000.0)
    # A face at the very corner: the crop slides inside the photo.
    left, top, right, bottom = face_crop((1000, 1000), (0.0, 0.0, 120.0, 120.0), 1.25)
    assert (left, top) == (0.0, 0.0)
    assert (right, bottom) == pytest.approx((400.0, 320.0))
    # A face too big for its ideal crop: the crop is as large as the photo allows.
    crop = face_crop((500, 800), (50.0, 100.0, 450.0, 500.0), 1.25)
    assert crop[2] - crop[0] == pytest.approx(500.0)
    assert crop[1] >= 0
    assert crop[3] <= 800


def test_no_face_is_fine(photo: bytes) -> None:
    poster = PosterCompositor(FakeLocator(None)).render(request(photo, "minimal"), print)
    assert decode(poster.jpeg).size == POSTER_SIZE


def test_exif_orientation_is_applied(photo: bytes) -> None:
    upright = Image.open(io.BytesIO(photo)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    locator = FakeLocator()
    PosterCompositor(locator).render(request(encode(stored, "JPEG", exif=exif)), print)

    seen = locator.seen[0]
    assert seen.shape == (upright.height, upright.width, 3)
    assert np.abs(seen.astype(np.int16) - np.asarray(upright, np.int16)).mean() < 4


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda p: encode(Image.open(io.BytesIO(p)).convert("CMYK"), "JPEG"), id="cmyk"
        ),
        pytest.param(lambda p: encode(Image.open(io.BytesIO(p)).convert("L"), "JPEG"), id="grey"),
        pytest.param(lambda p: encode(Image.open(io.BytesIO(p)), "WEBP"), id="webp"),
        pytest.param(
            lambda p: encode(Image.open(io.BytesIO(p)).convert("P"), "PNG", transparency=0),
            id="palette",
        ),
    ],
)
def test_other_photo_kinds_work(engine: PosterCompositor, photo: bytes, make: object) -> None:
    data = make(photo)  # type: ignore[operator]
    poster = engine.render(request(data), print)
    assert decode(poster.jpeg).size == POSTER_SIZE


def test_png_with_alpha_is_laid_on_the_frame_colour(photo: bytes) -> None:
    rgba = Image.open(io.BytesIO(photo)).convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 200, rgba.height))  # a transparent band down the left side
    rgba.putalpha(alpha)
    locator = FakeLocator(None)
    poster = decode(PosterCompositor(locator).render(request(encode(rgba, "PNG")), print).jpeg)

    assert locator.seen[0].shape[2] == 3
    layout = LAYOUTS["classic"]
    x, y = layout.photo_box[0] + 60, layout.photo_box[1] + 300
    pixel = np.asarray(poster.getpixel((x, y)), dtype=np.int16)
    assert np.abs(pixel - np.asarray(layout.photo_fill)).max() < 12


# --- Refused input -------------------------------------------------------------------------


def bad_photos() -> list[object]:
    tiny = encode(Image.new("RGB", (1, 1), (255, 0, 0)), "PNG")
    small = encode(Image.new("RGB", (100, 400), (255, 0, 0)), "JPEG")
    gif = encode(Image.new("RGB", (400, 400), (255, 0, 0)), "GIF")
    bomb = encode(Image.new("1", (8000, 6000), 0), "PNG")  # 48 MP in a few kB
    obama = PHOTO_PATH.read_bytes()
    return [
        pytest.param(b"", id="empty"),
        pytest.param(b"this is not an image at all" * 10, id="garbage"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 200, id="broken-jpeg"),
        pytest.param(obama[: len(obama) // 2], id="truncated-jpeg"),
        pytest.param(tiny, id="1x1"),
        pytest.param(small, id="too-small"),
        pytest.param(gif, id="gif"),
        pytest.param(png_header(50_000, 50_000), id="header-2500MP"),
        pytest.param(png_header(7_000, 7_000), id="header-49MP"),
        pytest.param(bomb, id="decompression-bomb"),
    ]


@pytest.mark.parametrize("data", bad_photos())
def test_bad_photos_are_refused(engine: PosterCompositor, data: bytes) -> None:
    with pytest.raises(UserInputError) as caught:
        engine.render(request(data), print)
    assert caught.value.reason == "bad_photo"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("limit", [600_000, 400_000], ids=["bomb-warning", "bomb-error"])
def test_pillows_pixel_limit_is_a_bad_photo(
    engine: PosterCompositor, photo: bytes, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)  # the photo has 1.03 MP
    with pytest.raises(UserInputError) as caught:
        engine.render(request(photo), print)
    assert caught.value.reason == "bad_photo"


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ((), "empty_text"),
        (("", "   ", "\n"), "empty_text"),
        (("🎉🎉🎉",), "empty_text"),
        (("one", "two", "three", "four"), "text_too_long"),
        (("x" * (MAX_LINE_CHARS + 1),), "text_too_long"),
    ],
)
def test_bad_text_is_refused(
    engine: PosterCompositor, photo: bytes, lines: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        engine.render(request(photo, lines=lines), print)
    assert caught.value.reason == reason


def test_unknown_template_is_refused(engine: PosterCompositor, photo: bytes) -> None:
    with pytest.raises(UserInputError) as caught:
        engine.render(request(photo, "baroque"), print)
    assert caught.value.reason == "unknown_template"


# --- Text fitting and fonts ----------------------------------------------------------------


def test_longest_text_fits_its_box(engine: PosterCompositor, photo: bytes) -> None:
    longest = tuple("Ўзбекистон " * 11 for _ in range(3))
    assert all(len(line.strip()) <= MAX_LINE_CHARS for line in longest)
    for template in TEMPLATES:
        layout = LAYOUTS[template]
        box = layout.text_box
        size = (box[2] - box[0], box[3] - box[1])
        fitted = fit_text(tuple(line.strip() for line in longest), size, layout.text_style)
        assert fitted.height <= size[1]
        assert all(fitted.font.getlength(line) <= size[0] for line in fitted.lines)
        assert not any(line.endswith("…") for line in fitted.lines)
        engine.render(request(photo, template, lines=longest), print)


def test_a_word_wider_than_the_box_is_broken() -> None:
    style = TextStyle(bold=True, color=(0, 0, 0), max_size=60, min_size=30)
    fitted = fit_text(("W" * 80,), (400, 400), style)
    assert len(fitted.lines) > 1
    assert all(fitted.font.getlength(line) <= 400 for line in fitted.lines)
    assert "".join(fitted.lines) == "W" * 80


def test_a_long_name_is_shortened_to_one_line() -> None:
    style = LAYOUTS["classic"].name_style
    fitted = fit_text(("Yulduz Usmonova " * 8,), (880, 78), style, max_lines=1)
    assert len(fitted.lines) == 1
    assert fitted.lines[0].endswith("…")
    assert fitted.font.getlength(fitted.lines[0]) <= 880


@pytest.mark.parametrize("bold", [False, True])
def test_uzbek_and_cyrillic_letters_have_glyphs(bold: bool) -> None:
    assert font_path(bold).is_file()
    letters = "Oʻzbekiston gʻalaba Ўў Ққ Ғғ Ҳҳ Ёё Щщ Ъъ"
    assert printable(letters, bold) == letters
    assert printable("Salom 🎉 dunyo ★\U0001f970", bold) == "Salom dunyo ★"
