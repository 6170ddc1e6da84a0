"""The local poster engine: a Pillow compositor, offline and CPU-only (DESIGN §6).

A poster is 1080×1350 (4:5), in one of three designs:

* ``classic``: navy-to-burgundy gradient with a warm glow, a double gold frame, the photo in a gold
  border with a drop shadow, the artist's name in gold capitals over an ornament, the fan's lines
  in white;
* ``neon``: near-black violet with magenta and cyan glows and diagonal stripes, the photo in a
  rounded frame with a glowing double neon outline, glowing text;
* ``minimal``: warm paper, the photo full-bleed across the top, a terracotta accent bar and
  large left-aligned black type.

The artist photo is cropped around the largest face the `FaceLocator` finds (the face box is
`FACE_WIDTH_FRACTION` of the crop's width, centred horizontally, its centre at `FACE_CENTRE_Y`
of the crop's height), or centred (a little above the middle) when there is none. The fan's
1–3 lines are wrapped and shrunk until they fit their box. Every poster carries a small visible
AI mark on the photo and a footer that says, in the fan's language, that it was made with AI.

Per template, the painted background (gradients, glows, stripes, frames, shadows) is built once
per process and size and then only copied. `PosterCompositor.compose` also accepts a background
image from elsewhere (the diffusers engine uses it): the template's scrim and decorations are laid
over it, then the photo and the text exactly as for the painted background.
"""

from __future__ import annotations

import io
import math
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from stario.workers.engines.base import (
    FaceLocator,
    PosterRequest,
    ProgressCallback,
    RenderedPoster,
    UserInputError,
)
from stario.workers.engines.fonts import load_font
from stario.workers.engines.photos import flatten, open_photo

POSTER_SIZE = (1080, 1350)
TEMPLATES = ("classic", "neon", "minimal")

MAX_LINES = 3
MAX_LINE_CHARS = 120
MAX_AI_MARK_CHARS = 16

MIN_PHOTO_SIDE = 128
WORK_LONG_SIDE = 2048  # the photo is decoded (JPEG draft) and scaled down to this

FACE_WIDTH_FRACTION = 0.30  # face box width / crop width
FACE_CENTRE_Y = 0.45  # face box centre, as a fraction of the crop height from its top
NO_FACE_TOP_SHARE = 0.3  # without a face: share of the spare height left above the crop

JPEG_QUALITY = 90
PREVIEW_LONG_SIDE = 1280
PREVIEW_QUALITY = 85

FOOTER_BRAND = "STARIO"
AI_DISCLOSURE = {
    "uz": "Sunʼiy intellekt yordamida yaratilgan",
    "ru": "Создано с помощью ИИ",
    "en": "Made with AI",
}

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]  # left, top, right, bottom
FloatBox = tuple[float, float, float, float]


# --- Layouts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextStyle:
    bold: bool
    color: RGB
    max_size: int
    min_size: int
    align: Literal["left", "center"] = "center"
    valign: Literal["top", "center"] = "center"
    line_spacing: float = 1.05
    paragraph_gap: float = 0.3  # extra space between the fan's lines, in line heights
    upper: bool = False
    glow: RGB | None = None  # a blurred halo in this colour behind the text
    shadow: bool = False  # a soft dark drop shadow


@dataclass(frozen=True, slots=True)
class Scrim:
    """What makes text readable over a generated background: an overall veil plus a ramp that
    grows from `ramp_from` to `ramp_to` (y) and stays at `alpha` below it."""

    color: RGB
    veil_alpha: int
    ramp_from: int
    ramp_to: int
    alpha: int


@dataclass(frozen=True, slots=True)
class Layout:
    code: str
    photo_box: Box
    photo_radius: int
    photo_fill: RGB  # behind transparent parts of the photo
    name_box: Box
    name_style: TextStyle
    text_box: Box
    text_style: TextStyle
    footer_box: Box
    footer_style: TextStyle
    badge_corner: Literal["top_left", "top_right"]
    scrim: Scrim


GOLD: RGB = (226, 190, 112)
PINK: RGB = (255, 46, 200)
CYAN: RGB = (80, 236, 255)
TERRACOTTA: RGB = (214, 84, 50)

LAYOUTS: dict[str, Layout] = {
    "classic": Layout(
        code="classic",
        photo_box=(130, 118, 950, 758),
        photo_radius=0,
        photo_fill=(40, 30, 55),
        name_box=(100, 792, 980, 870),
        name_style=TextStyle(bold=True, color=GOLD, max_size=62, min_size=28, upper=True),
        text_box=(110, 922, 970, 1212),
        text_style=TextStyle(
            bold=False, color=(248, 242, 230), max_size=62, min_size=22, shadow=True
        ),
        footer_box=(100, 1248, 980, 1296),
        footer_style=TextStyle(bold=False, color=(190, 160, 104), max_size=22, min_size=14),
        badge_corner="top_right",
        scrim=Scrim(color=(18, 16, 38), veil_alpha=70, ramp_from=700, ramp_to=880, alpha=205),
    ),
    "neon": Layout(
        code="neon",
        photo_box=(110, 108, 970, 788),
        photo_radius=40,
        photo_fill=(30, 12, 52),
        name_box=(90, 826, 990, 906),
        name_style=TextStyle(
            bold=True, color=(200, 250, 255), max_size=60, min_size=28, upper=True, glow=CYAN
        ),
        text_box=(100, 936, 980, 1216),
        text_style=TextStyle(
            bold=True, color=(255, 255, 255), max_size=64, min_size=22, glow=PINK
        ),
        footer_box=(90, 1254, 990, 1300),
        footer_style=TextStyle(bold=False, color=(168, 156, 220), max_size=22, min_size=14),
        badge_corner="top_right",
        scrim=Scrim(color=(10, 4, 24), veil_alpha=90, ramp_from=760, ramp_to=900, alpha=190),
    ),
    "minimal": Layout(
        code="minimal",
        photo_box=(0, 0, 1080, 780),
        photo_radius=0,
        photo_fill=(226, 220, 208),
        name_box=(80, 850, 1000, 904),
        name_style=TextStyle(
            bold=True, color=(70, 66, 60), max_size=38, min_size=22, align="left", upper=True
        ),
        text_box=(80, 930, 1000, 1236),
        text_style=TextStyle(
            bold=True,
            color=(22, 20, 18),
            max_size=70,
            min_size=22,
            align="left",
            valign="top",
        ),
        footer_box=(80, 1270, 1000, 1310),
        footer_style=TextStyle(
            bold=False, color=(132, 126, 116), max_size=22, min_size=14, align="left"
        ),
        badge_corner="top_left",
        scrim=Scrim(color=(246, 243, 236), veil_alpha=0, ramp_from=776, ramp_to=782, alpha=226),
    ),
}


# --- Painted backgrounds (cached per template and size) ------------------------------------


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> npt.NDArray[np.float32]:
    width, height = size
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top_arr = np.asarray(top, dtype=np.float32)
    bottom_arr = np.asarray(bottom, dtype=np.float32)
    column = top_arr * (1.0 - t) + bottom_arr * t  # H×1×3
    return np.repeat(column, width, axis=1)


def _add_glow(
    canvas: npt.NDArray[np.float32],
    centre: tuple[float, float],
    radius: float,
    color: RGB,
    strength: float,
) -> None:
    """Screen-blend a Gaussian glow into `canvas` (H×W×3 floats in 0..255), in place."""
    height, width = canvas.shape[:2]
    ys = (np.arange(height, dtype=np.float32) - centre[1])[:, None]
    xs = (np.arange(width, dtype=np.float32) - centre[0])[None, :]
    weight = np.exp(-(xs * xs + ys * ys) / (radius * radius)) * strength
    glow = weight[:, :, None] * np.asarray(color, dtype=np.float32)[None, None, :]
    canvas[:] = 255.0 - (255.0 - canvas) * (255.0 - glow) / 255.0


def _finish(canvas: npt.NDArray[np.float32], seed: int) -> Image.Image:
    """Dither (so the gradients do not band in JPEG) and turn into an RGB image."""
    noise = np.random.default_rng(seed).normal(0.0, 1.6, canvas.shape[:2]).astype(np.float32)
    dithered = canvas + noise[:, :, None]
    return Image.fromarray(np.clip(dithered + 0.5, 0, 255).astype(np.uint8), "RGB")


def _paint_base(code: str, size: tuple[int, int]) -> Image.Image:
    width, height = size
    if code == "classic":
        canvas = _vertical_gradient(size, (22, 26, 58), (62, 14, 38))
        _add_glow(canvas, (width * 0.5, height * 0.33), width * 0.62, (255, 196, 120), 0.32)
        _add_glow(canvas, (width * 0.5, height * 1.05), width * 0.7, (120, 20, 60), 0.35)
    elif code == "neon":
        canvas = _vertical_gradient(size, (12, 6, 30), (24, 6, 40))
        _add_glow(canvas, (width * 0.12, height * 0.08), width * 0.62, PINK, 0.42)
        _add_glow(canvas, (width * 0.92, height * 0.78), width * 0.58, (0, 200, 255), 0.36)
        _add_glow(canvas, (width * 0.5, height * 0.5), width * 0.8, (90, 30, 160), 0.25)
    else:
        canvas = _vertical_gradient(size, (247, 244, 237), (235, 229, 217))
    return _finish(canvas, seed=len(code))


def _overlay(
    decor: Image.Image,
    color: RGB,
    alpha: int,
    draw: Callable[[ImageDraw.ImageDraw], None],
    blur: float = 0.0,
) -> None:
    """Draw shapes (in fill=255) on a mask and lay `color` at `alpha` through it onto `decor`."""
    mask = Image.new("L", decor.size, 0)
    draw(ImageDraw.Draw(mask))
    if blur:
        mask = mask.filter(ImageFilter.GaussianBlur(blur))
    if alpha < 255:
        mask = mask.point(lambda value: value * alpha // 255)
    layer = Image.new("RGBA", decor.size, (*color, 0))
    layer.putalpha(mask)
    decor.alpha_composite(layer)


def _grow(box: Box, by: int) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _diamond(draw: ImageDraw.ImageDraw, centre: tuple[int, int], radius: int) -> None:
    x, y = centre
    draw.polygon([(x, y - radius), (x + radius, y), (x, y + radius), (x - radius, y)], fill=255)


def _paint_classic_decor(decor: Image.Image, layout: Layout) -> None:
    width, height = decor.size
    photo = layout.photo_box
    shadow = (photo[0] + 6, photo[1] + 18, photo[2] + 6, photo[3] + 22)
    _overlay(decor, (0, 0, 0), 190, lambda d: d.rectangle(shadow, fill=255), blur=18)

    def frames(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((28, 28, width - 29, height - 29), outline=255, width=3)
        d.rectangle((40, 40, width - 41, height - 41), outline=255, width=1)
        for corner in ((40, 40), (width - 41, 40), (40, height - 41), (width - 41, height - 41)):
            _diamond(d, corner, 9)
        d.rectangle(_grow(photo, 8), outline=255, width=4)
        d.rectangle(_grow(photo, 18), outline=255, width=1)
        divider_y = layout.name_box[3] + 22
        centre = width // 2
        d.line((centre - 190, divider_y, centre - 18, divider_y), fill=255, width=2)
        d.line((centre + 18, divider_y, centre + 190, divider_y), fill=255, width=2)
        _diamond(d, (centre, divider_y), 8)

    _overlay(decor, GOLD, 255, frames)
    footer_y = layout.footer_box[1] - 12
    _overlay(decor, GOLD, 90, lambda d: d.line((220, footer_y, width - 220, footer_y), fill=255))


def _paint_neon_decor(decor: Image.Image, layout: Layout) -> None:
    width, height = decor.size

    def stripes(d: ImageDraw.ImageDraw) -> None:
        slant = height // 2
        for x in range(-slant, width + slant, 120):
            d.polygon([(x, 0), (x + 38, 0), (x + 38 - slant, height), (x - slant, height)], 255)

    _overlay(decor, PINK, 16, stripes)
    photo = layout.photo_box
    radius = layout.photo_radius
    _overlay(decor, (0, 0, 0), 200, lambda d: d.rectangle(_grow(photo, 2), fill=255), blur=14)
    pink_ring = _grow(photo, 9)
    cyan_ring = _grow(photo, 24)

    def pink_outline(d: ImageDraw.ImageDraw, line: int) -> None:
        d.rounded_rectangle(pink_ring, radius + 9, outline=255, width=line)

    def cyan_outline(d: ImageDraw.ImageDraw, line: int) -> None:
        d.rounded_rectangle(cyan_ring, radius + 24, outline=255, width=line)

    _overlay(decor, PINK, 255, lambda d: pink_outline(d, 16), blur=16)
    _overlay(decor, CYAN, 200, lambda d: cyan_outline(d, 8), blur=10)
    _overlay(decor, (255, 150, 236), 255, lambda d: pink_outline(d, 5))
    _overlay(decor, (190, 250, 255), 230, lambda d: cyan_outline(d, 2))
    footer_y = layout.footer_box[1] - 14
    _overlay(
        decor, PINK, 150, lambda d: d.line((160, footer_y, width - 160, footer_y), 255, 2), blur=2
    )


def _paint_minimal_decor(decor: Image.Image, layout: Layout) -> None:
    width = decor.size[0]
    photo_bottom = layout.photo_box[3]
    _overlay(
        decor,
        (0, 0, 0),
        60,
        lambda d: d.rectangle((0, photo_bottom - 4, width, photo_bottom + 10), fill=255),
        blur=8,
    )
    left = layout.name_box[0]
    bar_y = layout.name_box[1] - 26
    _overlay(
        decor, TERRACOTTA, 255, lambda d: d.rectangle((left, bar_y, left + 110, bar_y + 9), 255)
    )
    footer_y = layout.footer_box[1] - 14
    right = layout.text_box[2]
    _overlay(decor, (60, 56, 50), 60, lambda d: d.line((left, footer_y, right, footer_y), 255, 1))


_DECOR_PAINTERS: dict[str, Callable[[Image.Image, Layout], None]] = {
    "classic": _paint_classic_decor,
    "neon": _paint_neon_decor,
    "minimal": _paint_minimal_decor,
}


@lru_cache(maxsize=16)
def _decor_layer(code: str, size: tuple[int, int]) -> Image.Image:
    """The template's frames, stripes, outlines and shadows on a transparent RGBA layer."""
    decor = Image.new("RGBA", size, (0, 0, 0, 0))
    _DECOR_PAINTERS[code](decor, LAYOUTS[code])
    return decor


@lru_cache(maxsize=16)
def _scrim_layer(code: str, size: tuple[int, int]) -> Image.Image:
    """An RGBA veil that keeps text readable over a generated background."""
    scrim = LAYOUTS[code].scrim
    width, height = size
    ys = np.arange(height, dtype=np.float32)
    ramp = np.clip((ys - scrim.ramp_from) / max(1, scrim.ramp_to - scrim.ramp_from), 0.0, 1.0)
    alpha = np.maximum(ramp * scrim.alpha, scrim.veil_alpha)
    column = np.round(alpha).astype(np.uint8)[:, None]
    layer = Image.new("RGBA", size, (*scrim.color, 0))
    layer.putalpha(Image.fromarray(np.repeat(column, width, axis=1), "L"))
    return layer


@lru_cache(maxsize=16)
def template_background(code: str, size: tuple[int, int] = POSTER_SIZE) -> Image.Image:
    """The painted background of a template, with its decorations (RGB; do not modify)."""
    base = _paint_base(code, size).convert("RGBA")
    base.alpha_composite(_decor_layer(code, size))
    return base.convert("RGB")


def background_from_image(
    code: str, image: Image.Image, size: tuple[int, int] = POSTER_SIZE
) -> Image.Image:
    """A background from any picture (e.g. a generated one): cover-fit, scrim, decorations."""
    fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    canvas = fitted.convert("RGBA")
    canvas.alpha_composite(_scrim_layer(code, size))
    canvas.alpha_composite(_decor_layer(code, size))
    return canvas.convert("RGB")


# --- Text ----------------------------------------------------------------------------------

_DROPPED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}
_ELLIPSIS = "…"


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def normalize_text(text: str) -> str:
    """NFC, control/format/private characters dropped, whitespace collapsed to single spaces."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) in _DROPPED_CATEGORIES or _is_variation_selector(char):
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


@lru_cache(maxsize=4096)
def _has_glyph(bold: bool, char: str) -> bool:
    font = load_font(bold, 32)
    if char == " ":
        return True
    return bytes(font.getmask(char)) != _notdef_mask(bold)


@lru_cache(maxsize=2)
def _notdef_mask(bold: bool) -> bytes:
    return bytes(load_font(bold, 32).getmask("\U0010fffd"))


def printable(text: str, bold: bool) -> str:
    """`text` without the characters DejaVu cannot draw (emoji would come out as boxes)."""
    return " ".join("".join(char for char in text if _has_glyph(bold, char)).split())


def clean_lines(lines: Iterable[str], bold: bool) -> tuple[str, ...]:
    """The fan's lines, validated: 1–3 non-empty lines of at most 120 characters each."""
    normalized = [normalize_text(line) for line in lines]
    kept = tuple(line for line in normalized if line)
    if len(kept) > MAX_LINES or any(len(line) > MAX_LINE_CHARS for line in kept):
        raise UserInputError(
            "text_too_long", f"at most {MAX_LINES} lines of {MAX_LINE_CHARS} characters"
        )
    drawable = tuple(text for text in (printable(line, bold) for line in kept) if text)
    if not drawable:
        raise UserInputError("empty_text")
    return drawable


@dataclass(frozen=True, slots=True)
class FittedText:
    font: ImageFont.FreeTypeFont
    lines: tuple[str, ...]
    tops: tuple[int, ...]  # where each line starts, from the top of the block
    height: int  # of the whole block


def _longest_prefix(word: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    """How many leading characters of `word` fit in `width` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` px; a word wider than a whole line is broken."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > width and len(word) > 1:
            cut = _longest_prefix(word, font, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def balanced_wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """`wrap`, with the line width narrowed as far as the line count allows, so that a
    paragraph does not end in one lonely word."""
    lines = wrap(text, font, width)
    if len(lines) < 2:
        return lines
    low, high = width // len(lines), width
    while high - low > 4:
        middle = (low + high) // 2
        if len(wrap(text, font, middle)) == len(lines):
            high = middle
        else:
            low = middle
    return wrap(text, font, high)


def _line_height(font: ImageFont.FreeTypeFont, spacing: float) -> int:
    ascent, descent = font.getmetrics()
    return math.ceil((ascent + descent) * spacing)


def _font_sizes(style: TextStyle) -> list[int]:
    sizes = [style.max_size]
    while sizes[-1] > style.min_size:
        sizes.append(max(style.min_size, min(sizes[-1] - 1, int(sizes[-1] * 0.93))))
    return sizes


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    while line and font.getlength(line + _ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def fit_text(
    paragraphs: tuple[str, ...],
    size: tuple[int, int],
    style: TextStyle,
    max_lines: int | None = None,
) -> FittedText:
    """The largest font size at which the wrapped paragraphs fit in `size` (width, height).

    At the smallest size, what still does not fit is cut and ends with an ellipsis.
    """
    width, height = size
    texts = tuple(text.upper() if style.upper else text for text in paragraphs)
    for font_size in _font_sizes(style):
        font = load_font(style.bold, font_size)
        line_height = _line_height(font, style.line_spacing)
        gap = round(line_height * style.paragraph_gap)
        wrapped = [wrap(text, font, width) for text in texts]
        count = sum(len(lines) for lines in wrapped)
        if (
            count <= (max_lines or count)
            and count * line_height + gap * (len(texts) - 1) <= height
        ):
            balanced = [balanced_wrap(text, font, width) for text in texts]
            return _stack(font, balanced, line_height, gap)
    lines = [line for paragraph in wrapped for line in paragraph]
    kept = lines[: max(1, min(max_lines or len(lines), height // line_height))]
    kept[-1] = _ellipsize(kept[-1], font, width)
    return _stack(font, [kept], line_height, 0)


def _stack(
    font: ImageFont.FreeTypeFont, paragraphs: list[list[str]], line_height: int, gap: int
) -> FittedText:
    lines: list[str] = []
    tops: list[int] = []
    y = 0
    for index, paragraph in enumerate(paragraphs):
        y += gap if index else 0
        for line in paragraph:
            lines.append(line)
            tops.append(y)
            y += line_height
    return FittedText(font, tuple(lines), tuple(tops), y)


def _text_mask(fitted: FittedText, box: Box, style: TextStyle, pad: int) -> Image.Image:
    """The text's coverage (L) on the box grown by `pad` on every side."""
    width, height = box[2] - box[0], box[3] - box[1]
    mask = Image.new("L", (width + 2 * pad, height + 2 * pad), 0)
    draw = ImageDraw.Draw(mask)
    top = pad + (0 if style.valign == "top" else max(0, (height - fitted.height) // 2))
    if style.align == "center":
        x, anchor = pad + width / 2, "ma"
    else:
        x, anchor = pad, "la"
    for line, line_top in zip(fitted.lines, fitted.tops, strict=True):
        draw.text((x, top + line_top), line, fill=255, font=fitted.font, anchor=anchor)
    return mask


def draw_text_block(
    canvas: Image.Image,
    box: Box,
    paragraphs: tuple[str, ...],
    style: TextStyle,
    max_lines: int | None = None,
) -> FittedText:
    """Fit the paragraphs into `box` and paint them (with glow or shadow) onto `canvas`."""
    fitted = fit_text(paragraphs, (box[2] - box[0], box[3] - box[1]), style, max_lines)
    pad = 28 if style.glow or style.shadow else 0
    mask = _text_mask(fitted, box, style, pad)
    origin = (box[0] - pad, box[1] - pad)
    if style.shadow:
        shadow = mask.filter(ImageFilter.GaussianBlur(4)).point(lambda v: v * 170 // 255)
        canvas.paste((0, 0, 0), (origin[0] + 2, origin[1] + 4), shadow)
    if style.glow:
        # Small type gets a tighter, fainter halo, or the glow would drown the letters.
        radius = max(3.0, fitted.font.size * 0.2)
        gain = min(3.0, 1.2 + fitted.font.size / 36)
        halo = mask.filter(ImageFilter.GaussianBlur(radius)).point(
            lambda v: min(255, int(v * gain))
        )
        canvas.paste(style.glow, origin, halo)
    canvas.paste(style.color, origin, mask)
    return fitted


def draw_ai_badge(canvas: Image.Image, layout: Layout, mark: str) -> Box:
    """A small rounded 'AI' badge in a corner of the photo; returns where it was drawn."""
    font = load_font(True, 26)
    text_width = math.ceil(font.getlength(mark))
    ascent, descent = font.getmetrics()
    badge_w, badge_h = text_width + 28, ascent + descent + 10
    inset = 22
    photo = layout.photo_box
    left = photo[0] + inset if layout.badge_corner == "top_left" else photo[2] - inset - badge_w
    top = photo[1] + inset
    box = (left, top, left + badge_w, top + badge_h)
    mask = Image.new("L", (badge_w, badge_h), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, badge_w - 1, badge_h - 1), radius=badge_h // 2, fill=165
    )
    canvas.paste((12, 10, 20), (left, top), mask)
    ImageDraw.Draw(canvas).text(
        (left + badge_w / 2, top + badge_h / 2), mark, fill=(255, 255, 255), font=font, anchor="mm"
    )
    return box


# --- The artist photo ----------------------------------------------------------------------


def decode_photo(data: bytes) -> Image.Image:
    """The photo, upright (EXIF), at most `WORK_LONG_SIDE` px long, RGB or RGBA."""
    return open_photo(data, min_side=MIN_PHOTO_SIDE, long_side=WORK_LONG_SIDE)


def face_crop(image_size: tuple[int, int], face: FloatBox | None, aspect: float) -> FloatBox:
    """The crop (left, top, right, bottom) of the photo that goes into a box of `aspect` (w/h).

    With a face: the face box is `FACE_WIDTH_FRACTION` of the crop width, centred horizontally,
    its centre at `FACE_CENTRE_Y` of the crop height; the crop is shrunk to fit the photo and
    slid inside it when the face is near an edge. Without one: the largest crop, centred
    horizontally and a little above the middle (`NO_FACE_TOP_SHARE`), where heads usually are.
    """
    width, height = image_size
    largest_w = min(float(width), height * aspect)
    if face is None or face[2] - face[0] < 2 or face[3] - face[1] < 2:
        crop_w = largest_w
        crop_h = crop_w / aspect
        left, top = (width - crop_w) / 2, (height - crop_h) * NO_FACE_TOP_SHARE
        return (left, top, left + crop_w, top + crop_h)
    crop_w = min(largest_w, (face[2] - face[0]) / FACE_WIDTH_FRACTION)
    crop_h = crop_w / aspect
    centre_x = (face[0] + face[2]) / 2
    centre_y = (face[1] + face[3]) / 2
    left = min(max(centre_x - crop_w / 2, 0.0), width - crop_w)
    top = min(max(centre_y - crop_h * FACE_CENTRE_Y, 0.0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


@lru_cache(maxsize=16)
def _rounded_mask(size: tuple[int, int], radius: int) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius, fill=255)
    return mask


# --- The engine ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreparedPoster:
    """A validated request with its photo decoded and its face found: all that can fail because
    of the fan's input has been checked once this exists."""

    layout: Layout
    photo: Image.Image  # RGB, upright, ≤ WORK_LONG_SIDE
    face: FloatBox | None
    crop: FloatBox
    lines: tuple[str, ...]
    artist_name: str
    ai_mark: str
    footer: str
    stage_seconds: dict[str, float]


class PosterCompositor:
    """`PosterEngine` that composes posters with Pillow, offline, on the CPU."""

    name = "compositor"
    templates = TEMPLATES

    def __init__(self, face_locator: FaceLocator) -> None:
        self._face_locator = face_locator
        for code in TEMPLATES:  # paint the backgrounds now, not in the first fan's job
            template_background(code, POSTER_SIZE)

    def render(self, request: PosterRequest, progress: ProgressCallback) -> RenderedPoster:
        return self.compose(self.prepare(request), progress)

    def prepare(self, request: PosterRequest) -> PreparedPoster:
        """Validate the request, decode the photo and find the face (raises `UserInputError`)."""
        layout = LAYOUTS.get(request.template)
        if layout is None:
            raise UserInputError("unknown_template", request.template)
        lines = clean_lines(request.lines, layout.text_style.bold)
        stages: dict[str, float] = {}
        started = time.perf_counter()
        photo = flatten(decode_photo(request.photo), layout.photo_fill)
        stages["decode"] = time.perf_counter() - started
        started = time.perf_counter()
        face = self._largest_face(photo)
        stages["face"] = time.perf_counter() - started
        box = layout.photo_box
        crop = face_crop(photo.size, face, (box[2] - box[0]) / (box[3] - box[1]))
        mark = printable(normalize_text(request.ai_mark), True)[:MAX_AI_MARK_CHARS] or "AI"
        disclosure = AI_DISCLOSURE.get(request.language, AI_DISCLOSURE["en"])
        return PreparedPoster(
            layout=layout,
            photo=photo,
            face=face,
            crop=crop,
            lines=lines,
            artist_name=printable(normalize_text(request.artist_name), layout.name_style.bold),
            ai_mark=mark,
            footer=f"{FOOTER_BRAND}  •  {disclosure}",
            stage_seconds=stages,
        )

    def compose(
        self,
        prepared: PreparedPoster,
        progress: ProgressCallback,
        background: Image.Image | None = None,
    ) -> RenderedPoster:
        """Lay the photo and the text over the template's background (or over `background`,
        any picture, cover-fitted) and encode the poster."""
        progress("composing")
        stages = dict(prepared.stage_seconds)
        started = time.perf_counter()
        canvas = self._background(prepared.layout, background)
        stages["background"] = time.perf_counter() - started
        started = time.perf_counter()
        self._paste_photo(canvas, prepared)
        self._draw_texts(canvas, prepared)
        stages["compose"] = time.perf_counter() - started
        progress("encoding")
        started = time.perf_counter()
        jpeg = encode_jpeg(canvas, JPEG_QUALITY, full_chroma=True)
        preview = encode_jpeg(preview_image(canvas), PREVIEW_QUALITY, full_chroma=False)
        stages["encode"] = time.perf_counter() - started
        return RenderedPoster(
            jpeg=jpeg,
            width=canvas.width,
            height=canvas.height,
            preview_jpeg=preview,
            stage_seconds=stages,
        )

    def _largest_face(self, photo: Image.Image) -> FloatBox | None:
        faces = self._face_locator.locate(np.asarray(photo, dtype=np.uint8))
        if not faces:
            return None
        left, top, right, bottom = faces[0].box
        return (float(left), float(top), float(right), float(bottom))

    @staticmethod
    def _background(layout: Layout, background: Image.Image | None) -> Image.Image:
        if background is None:
            return template_background(layout.code, POSTER_SIZE).copy()
        return background_from_image(layout.code, background, POSTER_SIZE)

    @staticmethod
    def _paste_photo(canvas: Image.Image, prepared: PreparedPoster) -> None:
        box = prepared.layout.photo_box
        size = (box[2] - box[0], box[3] - box[1])
        photo = prepared.photo.resize(
            size, Image.Resampling.LANCZOS, box=prepared.crop, reducing_gap=3.0
        )
        if prepared.layout.photo_radius:
            canvas.paste(photo, box[:2], _rounded_mask(size, prepared.layout.photo_radius))
        else:
            canvas.paste(photo, box[:2])

    @staticmethod
    def _draw_texts(canvas: Image.Image, prepared: PreparedPoster) -> None:
        layout = prepared.layout
        if prepared.artist_name:
            draw_text_block(
                canvas, layout.name_box, (prepared.artist_name,), layout.name_style, max_lines=1
            )
        draw_text_block(canvas, layout.text_box, prepared.lines, layout.text_style)
        draw_text_block(
            canvas, layout.footer_box, (prepared.footer,), layout.footer_style, max_lines=1
        )
        draw_ai_badge(canvas, layout, prepared.ai_mark)


def preview_image(image: Image.Image) -> Image.Image:
    """`image` scaled down to at most `PREVIEW_LONG_SIDE` px on its long side."""
    long_side = max(image.size)
    if long_side <= PREVIEW_LONG_SIDE:
        return image
    scale = PREVIEW_LONG_SIDE / long_side
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def encode_jpeg(image: Image.Image, quality: int, *, full_chroma: bool) -> bytes:
    """Progressive baseline-compatible JPEG; 4:4:4 chroma keeps coloured type crisp."""
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        quality=quality,
        progressive=True,
        subsampling=0 if full_chroma else 2,
        comment=b"Stario: made with AI",
    )
    return buffer.getvalue()
