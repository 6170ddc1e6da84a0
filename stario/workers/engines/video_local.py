"""The local CPU greeting engine: an animated portrait that "speaks" the TTS voice.

One photo of the artist becomes a 25 fps clip: the jaw drops with the loudness of the speech (a
displacement remap of the mouth and chin region plus a dark mouth cavity), the camera slowly zooms
towards the face with a slight sway, captions follow the spoken words, the artist's name shows as
a lower third at the start and an "AI" mark stays in a corner. Frames are rendered with NumPy and
OpenCV in this thread and piped as raw RGB into ffmpeg (libx264 + AAC, faststart), which encodes
them in parallel on the other core. It is a puppet, not a talking-head model: honest about being
AI-made, and cheap (≈5 s of CPU per 10 s clip).
"""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import tempfile
import time
import unicodedata
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from stario.workers.engines.base import (
    CapacityError,
    EngineError,
    FaceLandmarks,
    FaceLocator,
    GreetingRequest,
    ProgressCallback,
    RenderedVideo,
    Speech,
    TransientEngineError,
    UserInputError,
    VideoShape,
    WordTiming,
)
from stario.workers.engines.fonts import font_path
from stario.workers.engines.photos import flatten, open_photo

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Point = tuple[float, float]

FPS = 25
TAIL_S = 0.6  # the picture holds a little after the last word
MAX_SPEECH_S = 120.0
MAX_OUTPUT_BYTES = 50 * 1000 * 1000  # Telegram's bot upload limit
ENCODER_TIMEOUT_S = 120.0

MIN_PHOTO_SIDE = 160
WORK_LONG_SIDE = 2560  # decoded photos are shrunk to this first
DETECT_LONG_SIDE = 1280  # what the face locator gets
THUMB_LONG_SIDE = 320
TRANSPARENT_FILL = (24, 24, 28)

# Camera: the face is FACE_WIDTH_START of the crop width at the start and the crop narrows by
# ZOOM_IN; the head sways by SWAY_DEG with period SWAY_PERIOD_S.
FACE_WIDTH_START = 0.34
FACE_WIDTH_MAX = 0.62
ZOOM_IN = 1.15
SWAY_DEG = 1.0
SWAY_PERIOD_S = 5.2
DRIFT = 0.008  # of the crop width

# Mouth: full opening drops the jaw by JAW_DROP of the lip-to-chin distance.
JAW_DROP = 0.28
CAVITY_RGB = (46, 16, 20)
TONGUE_RGB = (120, 48, 52)
TEETH_RGB = (190, 180, 170)

CAPTION_MAX_WORDS = 7
CAPTION_MAX_LINES = 2
CAPTION_PAUSE_BREAK_S = 0.8  # a longer silence starts a new caption page
CAPTION_HOLD_S = 0.35
CAPTION_ACTIVE_RGB = (255, 214, 64)
CARD_IN_S, CARD_OUT_S, CARD_FADE_S = 0.2, 3.6, 0.35

_SENTENCE_END = (".", "!", "?", "…", "。")


@dataclass(frozen=True, slots=True)
class _Layout:
    size: tuple[int, int]
    panel_top: int
    panel_height: int
    feather: int  # rows blended into the background at the panel's top and bottom
    caption_size: int
    caption_bottom: int
    caption_width: int
    card_size: int
    card_left: int
    card_bottom: int
    mark_size: int
    mark_right: int
    mark_top: int


LAYOUTS = {
    VideoShape.SQUARE: _Layout(
        size=(720, 720), panel_top=0, panel_height=720, feather=0,
        caption_size=40, caption_bottom=684, caption_width=640,
        card_size=30, card_left=32, card_bottom=556,
        mark_size=24, mark_right=24, mark_top=24,
    ),
    VideoShape.VERTICAL: _Layout(
        size=(720, 1280), panel_top=150, panel_height=900, feather=72,
        caption_size=46, caption_bottom=1130, caption_width=640,
        card_size=34, card_left=36, card_bottom=962,
        mark_size=28, mark_right=32, mark_top=48,
    ),
}  # fmt: skip


# --- The photo ----------------------------------------------------------------------------


def decode_photo(data: bytes) -> U8:
    """The photo as an upright RGB array, at most WORK_LONG_SIDE px long (`bad_photo` if not)."""
    image = open_photo(data, min_side=MIN_PHOTO_SIDE, long_side=WORK_LONG_SIDE)
    return np.asarray(flatten(image, TRANSPARENT_FILL), dtype=np.uint8)


def _scaled(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _resize(image: U8, size: tuple[int, int]) -> U8:
    shrinking = size[0] < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def locate_face(locator: FaceLocator, photo: U8) -> FaceLandmarks:
    """The largest face, in `photo`'s pixels (the locator sees at most DETECT_LONG_SIDE px)."""
    height, width = photo.shape[:2]
    size = _scaled((width, height), DETECT_LONG_SIDE)
    small = photo if size == (width, height) else _resize(photo, size)
    faces = locator.locate(small)
    if not faces:
        raise UserInputError("no_face")
    face = _transform(faces[0], width / size[0], (0.0, 0.0))
    if _distance(face.mouth_left, face.mouth_right) < 4:
        raise UserInputError("no_face", "the mouth is too small to animate")
    mouth_x = (face.mouth_left[0] + face.mouth_right[0]) / 2
    mouth_y = (face.mouth_left[1] + face.mouth_right[1]) / 2
    if not (0 <= mouth_x < width and 0 <= mouth_y < height):
        raise UserInputError("no_face", "the mouth is outside the photo")
    return face


def _transform(face: FaceLandmarks, scale: float, origin: Point) -> FaceLandmarks:
    """`face` in the coordinates of an image cropped at `origin`, then scaled by `scale`."""

    def at(point: Point) -> Point:
        return (point[0] - origin[0]) * scale, (point[1] - origin[1]) * scale

    left, top = at(face.box[:2])
    right, bottom = at(face.box[2:])
    points = None
    if face.points is not None:
        points = ((face.points - np.array(origin, np.float32)) * scale).astype(np.float32)
    return FaceLandmarks(
        box=(left, top, right, bottom),
        mouth_upper=at(face.mouth_upper),
        mouth_lower=at(face.mouth_lower),
        mouth_left=at(face.mouth_left),
        mouth_right=at(face.mouth_right),
        chin=at(face.chin),
        left_eye=at(face.left_eye),
        right_eye=at(face.right_eye),
        points=points,
    )


def _distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


# --- The voice ----------------------------------------------------------------------------


def check_speech(speech: Speech) -> F32:
    """The samples as finite mono float32 in [-1, 1]; too long a speech is the fan's text."""
    samples = np.asarray(speech.samples, dtype=np.float32)
    if samples.ndim != 1 or not 4000 <= speech.sample_rate <= 192_000:
        raise EngineError(f"bad speech: shape {samples.shape}, {speech.sample_rate} Hz")
    if speech.duration_s > MAX_SPEECH_S:
        raise UserInputError("text_too_long", f"{speech.duration_s:.0f} s of speech")
    return np.clip(np.nan_to_num(samples), -1.0, 1.0)


def frame_count(duration_s: float) -> int:
    return max(1, math.ceil((duration_s + TAIL_S) * FPS))


def loudness(samples: F32, sample_rate: int, frames: int) -> F32:
    """RMS of the samples shown during each frame (zero past the end)."""
    bounds = np.round(np.arange(frames + 1) * (sample_rate / FPS)).astype(np.int64)
    padded = np.zeros(int(bounds[-1]) + 1, np.float64)
    count = min(len(samples), len(padded))
    padded[:count] = np.square(samples[:count], dtype=np.float64)
    sums = np.add.reduceat(padded, bounds[:-1])
    return np.sqrt(sums / np.diff(bounds)).astype(np.float32)


def mouth_openness(
    samples: F32, sample_rate: int, frames: int, *, attack: float = 0.65, release: float = 0.4
) -> F32:
    """How open the mouth is in each frame, 0..1: the speech envelope, gated and smoothed.

    Loudness is normalised to the 90th percentile of the voiced frames, so quiet and loud voices
    open the mouth alike; fast attack and slower release keep syllables crisp without flicker.
    """
    rms = loudness(samples, sample_rate, frames)
    peak = float(rms.max(initial=0.0))
    voiced = rms[rms > 0.05 * peak]
    if peak < 1e-4 or voiced.size == 0:
        return np.zeros(frames, np.float32)
    level = np.clip(rms / float(np.percentile(voiced, 90)), 0.0, 1.0)
    level = np.clip((level - 0.15) / 0.85, 0.0, 1.0) ** 0.8
    smooth = np.zeros(frames, np.float32)
    current = 0.0
    for index, target in enumerate(level.tolist()):
        current += (target - current) * (attack if target > current else release)
        smooth[index] = current
    return smooth


def write_wav(path: Path, samples: F32, sample_rate: int, total_s: float) -> None:
    """16-bit mono WAV, padded with silence to `total_s` so audio and video end together."""
    length = max(len(samples), round(total_s * sample_rate))
    pcm = np.zeros(length, np.int16)
    pcm[: len(samples)] = np.round(samples * 32767.0).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())


# --- Camera -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Crop:
    cx: float
    cy: float
    width: float  # the height follows from the panel's aspect


def _crop(
    face: FaceLandmarks, image: tuple[int, int], aspect: float, width: float, y: float
) -> _Crop:
    """A crop `width` wide with the face centred horizontally and at `y` of its height."""
    image_w, image_h = image
    width = min(width, image_w, image_h * aspect)
    height = width / aspect
    face_cx = (face.box[0] + face.box[2]) / 2
    face_cy = (face.box[1] + face.box[3]) / 2
    cx = min(max(face_cx, width / 2), image_w - width / 2)
    cy = min(max(face_cy + (0.5 - y) * height, height / 2), image_h - height / 2)
    return _Crop(cx, cy, width)


def camera_path(face: FaceLandmarks, image: tuple[int, int], aspect: float) -> tuple[_Crop, _Crop]:
    """Start and end crops of the slow zoom towards the face."""
    face_w = face.box[2] - face.box[0]
    start = _crop(face, image, aspect, face_w / FACE_WIDTH_START, 0.40)
    end_width = min(start.width, max(start.width / ZOOM_IN, face_w / FACE_WIDTH_MAX))
    return start, _crop(face, image, aspect, end_width, 0.42)


def _sway_margin(aspect: float) -> float:
    """Extra zoom that keeps the swaying, drifting crop inside the photo."""
    return 1.0 + 1.3 * math.radians(SWAY_DEG) * max(aspect, 1 / aspect) + 2 * DRIFT


def camera_matrices(start: _Crop, end: _Crop, frames: int, panel: tuple[int, int]) -> F64:
    """One 2×3 affine matrix per frame, from photo pixels to panel pixels."""
    panel_w, panel_h = panel
    t = np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)
    ease = (1 - np.cos(np.pi * t)) / 2
    seconds = np.arange(frames) / FPS
    width = start.width + (end.width - start.width) * ease
    cx = start.cx + (end.cx - start.cx) * ease + DRIFT * width * np.sin(seconds * 1.1 + 1.0)
    cy = start.cy + (end.cy - start.cy) * ease + DRIFT * width * np.sin(seconds * 0.7)
    angle = np.radians(SWAY_DEG) * np.sin(2 * np.pi * seconds / SWAY_PERIOD_S)
    scale = panel_w * _sway_margin(panel_w / panel_h) / width
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    matrices = np.empty((frames, 2, 3))
    matrices[:, 0, 0], matrices[:, 0, 1] = cos, -sin
    matrices[:, 1, 0], matrices[:, 1, 1] = sin, cos
    matrices[:, 0, 2] = panel_w / 2 - (cos * cx - sin * cy)
    matrices[:, 1, 2] = panel_h / 2 - (sin * cx + cos * cy)
    return matrices


@dataclass(frozen=True, slots=True)
class _Work:
    """The part of the photo the camera ever sees, at the resolution the panel needs."""

    image: U8
    face: FaceLandmarks
    start: _Crop
    end: _Crop


def working_image(photo: U8, face: FaceLandmarks, panel: tuple[int, int]) -> _Work:
    height, width = photo.shape[:2]
    aspect = panel[0] / panel[1]
    start, end = camera_path(face, (width, height), aspect)
    margin = 0.06 * start.width
    left = max(0, math.floor(min(start.cx, end.cx) - start.width / 2 - margin))
    right = min(width, math.ceil(max(start.cx, end.cx) + start.width / 2 + margin))
    half_h = start.width / aspect / 2
    top = max(0, math.floor(min(start.cy, end.cy) - half_h - margin))
    bottom = min(height, math.ceil(max(start.cy, end.cy) + half_h + margin))
    scale = min(1.0, panel[0] * _sway_margin(aspect) / end.width)
    region = photo[top:bottom, left:right]
    if scale < 1.0:
        size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
        region = _resize(region, size)
        scale = size[0] / (right - left)
    else:
        region = np.ascontiguousarray(region)

    def moved(crop: _Crop) -> _Crop:
        return _Crop((crop.cx - left) * scale, (crop.cy - top) * scale, crop.width * scale)

    local = _transform(face, scale, (float(left), float(top)))
    return _Work(region, local, moved(start), moved(end))


# --- Mouth --------------------------------------------------------------------------------


class MouthRig:
    """Drops the jaw of the face in `image` by a given fraction, in place on a copy of its ROI.

    Face frame: `u` runs along the mouth (corner to corner), `v` down the face from the lip line
    (a parabola through the corners and the lower inner lip). Pixels below the lip line move down
    by up to D·w(u), w a raised cosine across the jaw, fading out below the chin; the gap that
    opens at the lip line is covered by a feathered dark cavity (and a hint of upper teeth when
    the photo's mouth is closed).
    """

    def __init__(self, image: U8, face: FaceLandmarks) -> None:
        left = np.array(face.mouth_left, np.float64)
        right = np.array(face.mouth_right, np.float64)
        mouth_w = float(np.linalg.norm(right - left))
        axis = (right - left) / mouth_w
        down = np.array([-axis[1], axis[0]])
        centre = (left + right) / 2
        chin = np.array(face.chin, np.float64)
        if float(np.dot(chin - centre, down)) < 0:
            down = -down
        lower = np.array(face.mouth_lower, np.float64)
        upper = np.array(face.mouth_upper, np.float64)
        self.axis, self.down, self.centre = axis, down, centre
        self.half_w = mouth_w / 2
        self.sag = float(np.dot(lower - centre, down))
        jaw = max(float(np.dot(chin - lower, down)), 0.35 * mouth_w)
        self.max_drop = min(JAW_DROP * jaw, 0.35 * mouth_w)
        self.reach = 1.6 * self.half_w
        self.closed = float(np.dot(lower - upper, down)) < 0.06 * mouth_w
        fade = max(0.8 * jaw, 1.5 * self.max_drop)
        self._place(image, jaw + fade)
        self._fields(jaw, fade)

    def _place(self, image: U8, depth: float) -> None:
        """The ROI (where pixels move) and the source patch around it, in image pixels."""
        corners = [
            self.centre + u * self.axis + v * self.down
            for u in (-self.reach, self.reach)
            for v in (min(self.sag, 0.0) - 2, depth)
        ]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        height, width = image.shape[:2]
        self.x0, self.y0 = max(0, math.floor(min(xs)) - 2), max(0, math.floor(min(ys)) - 2)
        self.x1 = min(width, math.ceil(max(xs)) + 2)
        self.y1 = min(height, math.ceil(max(ys)) + 2)
        pad = math.ceil(self.max_drop) + 2
        self.sx0, self.sy0 = max(0, self.x0 - pad), max(0, self.y0 - pad)
        self.sx1, self.sy1 = min(width, self.x1 + pad), min(height, self.y1 + pad)
        self.source = np.ascontiguousarray(image[self.sy0 : self.sy1, self.sx0 : self.sx1])
        self.original = np.ascontiguousarray(image[self.y0 : self.y1, self.x0 : self.x1])

    def _fields(self, jaw: float, fade: float) -> None:
        ys, xs = np.mgrid[self.y0 : self.y1, self.x0 : self.x1].astype(np.float64)
        rel_x, rel_y = xs - self.centre[0], ys - self.centre[1]
        u = rel_x * self.axis[0] + rel_y * self.axis[1]
        v = rel_x * self.down[0] + rel_y * self.down[1] - self._lip_line(u)
        self.v = np.maximum(v, 0.0).astype(np.float32)
        self.across = self._across(u).astype(np.float32)
        below_chin = np.clip((v - jaw) / fade, 0.0, 1.0)
        self.fade = (1.0 - below_chin * below_chin * (3 - 2 * below_chin)).astype(np.float32)
        self.base_x = (xs - self.sx0).astype(np.float32)
        self.base_y = (ys - self.sy0).astype(np.float32)

    def _lip_line(self, u: F64) -> F64:
        inside = np.clip(u / self.half_w, -1.0, 1.0)
        return self.sag * (1.0 - inside * inside)

    def _across(self, u: F64) -> F64:
        return 0.5 * (1.0 + np.cos(np.pi * np.clip(np.abs(u) / self.reach, 0.0, 1.0)))

    def render(self, openness: float) -> U8 | None:
        """The ROI with the jaw dropped, or None when the mouth is (as good as) closed."""
        drop = openness * self.max_drop
        if drop < 0.6 or self.original.size == 0:
            return None
        shift = np.minimum(self.v, np.float32(drop) * self.across)
        shift *= self.fade
        map_x = self.base_x - shift * np.float32(self.down[0])
        map_y = self.base_y - shift * np.float32(self.down[1])
        roi = np.asarray(
            cv2.remap(
                self.source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            dtype=np.uint8,
        )
        self._cavity(roi, drop)
        return roi

    def _cavity(self, roi: U8, drop: float) -> None:
        u, line, depth = self._opening(drop, 1.0)
        _paint(roi, self._band(u, line, line + depth), CAVITY_RGB)
        if drop < 2.5:
            return
        u, line, depth = self._opening(drop, 0.7)  # the tongue, low in the middle
        tongue = depth * (1 - 0.4 * _lens(u / self.half_w, 0.7))
        _paint(roi, self._band(u, line + tongue, line + depth), TONGUE_RGB, opacity=0.5)
        if self.closed:  # a hint of upper teeth, as the photo shows none
            u, line, depth = self._opening(drop, 0.65)
            teeth = np.minimum(0.2 * depth, 0.08 * self.half_w) * _lens(u / self.half_w, 0.65)
            _paint(roi, self._band(u, line, line + teeth), TEETH_RGB, opacity=0.6)

    def _opening(self, drop: float, span: float) -> tuple[F64, F64, F64]:
        """Samples u across ±span of the half mouth, the lip line and the opening's depth there.

        The mouth opens in the middle first and stays shut at the corners.
        """
        u = np.linspace(-span * self.half_w, span * self.half_w, 25)
        depth = drop * self._across(u) * _lens(u / self.half_w, 1.0) ** 1.2
        return u, self._lip_line(u), depth

    def _band(self, u: F64, upper: F64, lower: F64) -> F64:
        """The polygon between two curves (v at each u) across the mouth, in ROI pixels."""
        return np.vstack([self._curve(u, upper), self._curve(u, lower)[::-1]])

    def _curve(self, u: F64, v: F64) -> F64:
        """ROI pixel coordinates of face-frame points (u, v below the corner line)."""
        points = self.centre + u[:, None] * self.axis + v[:, None] * self.down
        return np.asarray(points - np.array([self.x0, self.y0]), np.float64)


def _lens(x: F64, half_width: float) -> F64:
    """1 at x = 0 falling to 0 at |x| = half_width, elliptically."""
    return np.sqrt(np.clip(1.0 - (x / half_width) ** 2, 0.0, 1.0))


def _paint(roi: U8, polygon: F64, rgb: tuple[int, int, int], opacity: float = 0.95) -> None:
    """Fill `polygon` (ROI pixels) with `rgb`, edges feathered."""
    height, width = roi.shape[:2]
    left = max(0, math.floor(polygon[:, 0].min()) - 3)
    top = max(0, math.floor(polygon[:, 1].min()) - 3)
    right = min(width, math.ceil(polygon[:, 0].max()) + 4)
    bottom = min(height, math.ceil(polygon[:, 1].max()) + 4)
    if right <= left or bottom <= top:
        return
    mask = np.zeros((bottom - top, right - left), np.uint8)
    fixed = np.round((polygon - [left, top]) * 4).astype(np.int32)  # 2 bits of sub-pixel
    cv2.fillPoly(mask, [fixed], (round(255 * opacity),), cv2.LINE_AA, 2)
    mask = np.asarray(cv2.GaussianBlur(mask, (3, 3), 0), np.uint8)
    alpha = mask.astype(np.uint16)[:, :, None]
    patch = roi[top:bottom, left:right]
    colour = np.array(rgb, np.uint16) * alpha
    patch[...] = ((patch * (255 - alpha) + colour + 127) // 255).astype(np.uint8)


# --- Overlays -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sprite:
    """An RGBA picture ready to be laid over frames: premultiplied colour and 8.8 alpha."""

    premultiplied: U16  # rgb·a, a in 0..256
    inverse: U16  # 256 − a
    alpha: U16  # a
    width: int
    height: int

    @classmethod
    def from_image(cls, image: Image.Image) -> Sprite:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint16)
        alpha = (rgba[:, :, 3:] * 256 + 127) // 255
        premultiplied = (rgba[:, :, :3] * alpha).astype(np.uint16)
        inverse = (256 - alpha).astype(np.uint16)
        return cls(premultiplied, inverse, alpha.astype(np.uint16), image.width, image.height)

    def draw(self, frame: U8, x: int, y: int, opacity: float = 1.0) -> None:
        """Blend onto `frame` with the top-left corner at (x, y), clipped to the frame."""
        height, width = frame.shape[:2]
        left, top = max(0, x), max(0, y)
        right, bottom = min(width, x + self.width), min(height, y + self.height)
        if right <= left or bottom <= top or opacity <= 0.0:
            return
        part = np.s_[top - y : bottom - y, left - x : right - x]
        roi = frame[top:bottom, left:right]
        if opacity >= 1.0:
            mixed = roi * self.inverse[part] + self.premultiplied[part]
        else:
            scale = round(opacity * 256)
            alpha = (self.alpha[part] * scale) >> 8
            colour = (self.premultiplied[part].astype(np.uint32) * scale) >> 8
            mixed = roi * (256 - alpha) + colour
        roi[...] = (mixed >> 8).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class _Fonts:
    directory: Path | None

    def get(self, bold: bool, size: int) -> ImageFont.FreeTypeFont:
        if self.directory is None:
            return _load_font(str(font_path(bold)), size)
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        return _load_font(str(self.directory / name), size)


@lru_cache(maxsize=64)
def _load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=8192)
def _has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    return char.isspace() or bytes(font.getmask(char)) != _notdef(font)


@lru_cache(maxsize=16)
def _notdef(font: ImageFont.FreeTypeFont) -> bytes:
    return bytes(font.getmask("\U0010fffd"))


def drawable(text: str, font: ImageFont.FreeTypeFont) -> str:
    """`text` in NFC, without control characters and those the font cannot draw (emoji)."""
    kept = (
        char
        for char in unicodedata.normalize("NFC", text)
        if unicodedata.category(char)[0] != "C" and _has_glyph(font, char)
    )
    return " ".join("".join(kept).split())


def _stroke(size: int) -> int:
    return max(2, round(size / 11))


def _fit(
    fonts: _Fonts, text: str, size: int, width: int, *, bold: bool = True
) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest font down to 60 % of `size` that fits `text` in `width`, else ellipsized."""
    for step in range(0, 9):
        font = fonts.get(bold, round(size * (1 - 0.05 * step)))
        if font.getlength(text) <= width:
            return font, text
    while len(text) > 1 and font.getlength(text + "…") > width:
        text = text[:-1]
    return font, text.rstrip() + "…"


def name_card(fonts: _Fonts, name: str, size: int, max_width: int) -> Sprite | None:
    """A lower third: the artist's name on a dark rounded plate with an accent bar."""
    name = drawable(name, fonts.get(True, size))
    if not name:
        return None
    pad_x, bar = round(size * 0.6), max(4, size // 6)
    font, name = _fit(fonts, name, size, max_width - 2 * pad_x - bar)
    ascent, descent = font.getmetrics()
    height = round((ascent + descent) * 1.5)
    width = round(font.getlength(name)) + 2 * pad_x + bar
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=size // 3, fill=(10, 10, 14, 178))
    draw.rectangle((0, size // 3, bar - 1, height - 1 - size // 3), fill=(255, 196, 40, 255))
    draw.text((bar + pad_x, (height - ascent - descent) // 2), name, font=font, fill="white")
    return Sprite.from_image(image)


def ai_mark(fonts: _Fonts, mark: str, size: int) -> Sprite:
    font = fonts.get(True, size)
    mark = drawable(mark, font)[:12] or "AI"
    ascent, descent = font.getmetrics()
    pad = round(size * 0.45)
    width, height = round(font.getlength(mark)) + 2 * pad, ascent + descent + pad
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=height // 2, fill=(0, 0, 0, 150),
        outline=(255, 255, 255, 200), width=2,
    )  # fmt: skip
    draw.text((pad, pad // 2), mark, font=font, fill="white")
    return Sprite.from_image(image)


# --- Captions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptionPage:
    words: tuple[WordTiming, ...]
    lines: tuple[tuple[int, int], ...]  # word index ranges [start, stop) per line
    font_size: int

    @property
    def start_s(self) -> float:
        return self.words[0].start_s

    @property
    def end_s(self) -> float:
        return self.words[-1].end_s


def caption_words(
    speech: Speech, text: str, openness: F32, font: ImageFont.FreeTypeFont
) -> list[WordTiming]:
    """The spoken words with drawable text; spread over the voiced part when none are timed."""
    timed = [
        WordTiming(clean, w.start_s, max(w.end_s, w.start_s))
        for w in speech.words
        if (clean := drawable(w.text, font))
    ]
    if timed or not text.strip():
        return timed
    words = [clean for word in text.split() if (clean := drawable(word, font))]
    voiced = np.flatnonzero(openness > 0.05)
    if not words or voiced.size == 0:
        return []
    start, end = voiced[0] / FPS, (voiced[-1] + 1) / FPS
    weights = np.array([len(word) + 1 for word in words], np.float64)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [
        WordTiming(w, float(a), float(b)) for w, a, b in zip(words, edges, edges[1:], strict=False)
    ]


def _split(
    texts: Sequence[str], font: ImageFont.FreeTypeFont, width: int
) -> tuple[tuple[int, int], ...] | None:
    """One line, or two lines as even as possible, each fitting `width`; None if impossible."""
    count = len(texts)

    def fits(a: int, b: int) -> float:
        return font.getlength(" ".join(texts[a:b]))

    if fits(0, count) <= width:
        return ((0, count),)
    best: tuple[float, int] | None = None
    for cut in range(1, count):
        widest = max(fits(0, cut), fits(cut, count))
        if widest <= width and (best is None or widest < best[0]):
            best = (widest, cut)
    return None if best is None else ((0, best[1]), (best[1], count))


def caption_pages(
    words: Sequence[WordTiming], fonts: _Fonts, size: int, width: int
) -> list[CaptionPage]:
    """Words grouped into pages of ≤ 7 words on ≤ 2 lines, broken at sentences and pauses."""
    pages: list[CaptionPage] = []
    current: list[WordTiming] = []
    font = fonts.get(True, size)
    for word in words:
        candidate = [*current, word]
        breaks = bool(current) and (
            len(candidate) > CAPTION_MAX_WORDS
            or current[-1].text.endswith(_SENTENCE_END)
            or word.start_s - current[-1].end_s > CAPTION_PAUSE_BREAK_S
            or _split([w.text for w in candidate], font, width) is None
        )
        if breaks:
            pages.append(_page(current, fonts, size, width))
            current = [word]
        else:
            current = candidate
    if current:
        pages.append(_page(current, fonts, size, width))
    return pages


def _page(words: list[WordTiming], fonts: _Fonts, size: int, width: int) -> CaptionPage:
    texts = [w.text for w in words]
    for step in range(0, 9):  # a single long word may need a smaller font
        font_size = round(size * (1 - 0.05 * step))
        lines = _split(texts, fonts.get(True, font_size), width)
        if lines is not None:
            return CaptionPage(tuple(words), lines, font_size)
    return CaptionPage(tuple(words), ((0, len(words)),), font_size)


def caption_sprite(page: CaptionPage, fonts: _Fonts, active: int | None) -> Sprite:
    """The page's lines centred, white with a dark stroke; the `active` word highlighted."""
    font = fonts.get(True, page.font_size)
    stroke = _stroke(page.font_size)
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * 1.08)
    texts = [w.text for w in page.words]
    line_texts = [" ".join(texts[a:b]) for a, b in page.lines]
    width = round(max(font.getlength(t) for t in line_texts)) + 2 * stroke + 4
    height = line_h * len(page.lines) + 2 * stroke + 4
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for row, ((first, stop), line) in enumerate(zip(page.lines, line_texts, strict=True)):
        x = (width - font.getlength(line)) / 2
        y = stroke + 2 + row * line_h
        draw.text(
            (x, y), line, font=font, fill="white", stroke_width=stroke, stroke_fill=(0, 0, 0)
        )
        if active is not None and first <= active < stop:
            before = " ".join(texts[first:active])
            offset = font.getlength(before + " ") if before else 0.0
            draw.text((x + offset, y), texts[active], font=font, fill=CAPTION_ACTIVE_RGB)
    return Sprite.from_image(image)


def caption_schedule(
    pages: Sequence[CaptionPage], frames: int
) -> list[tuple[int, int | None] | None]:
    """Per frame: (page, active word) to show, or None between pages."""
    schedule: list[tuple[int, int | None] | None] = [None] * frames
    for number, page in enumerate(pages):
        following = pages[number + 1].start_s if number + 1 < len(pages) else math.inf
        until = min(max(page.end_s, page.start_s + 0.6) + CAPTION_HOLD_S, following)
        first = max(0, math.floor(page.start_s * FPS))
        for index in range(first, min(frames, math.ceil(until * FPS))):
            t = index / FPS
            started = [i for i, w in enumerate(page.words) if w.start_s <= t]
            schedule[index] = (number, started[-1] if started else None)
    return schedule


# --- Background ---------------------------------------------------------------------------


def cover_background(photo: U8, face: FaceLandmarks, size: tuple[int, int]) -> U8:
    """The photo blurred and darkened, covering `size`, centred on the face horizontally."""
    width, height = size
    photo_h, photo_w = photo.shape[:2]
    crop_w = min(photo_w, photo_h * width / height)
    crop_h = crop_w * height / width
    cx = min(max((face.box[0] + face.box[2]) / 2, crop_w / 2), photo_w - crop_w / 2)
    left, top = round(cx - crop_w / 2), round((photo_h - crop_h) / 2)
    region = photo[top : top + round(crop_h), left : left + round(crop_w)]
    small = _resize(np.ascontiguousarray(region), (width // 8, height // 8))
    small = np.asarray(cv2.GaussianBlur(small, (0, 0), 2.5), np.uint8)
    large = np.asarray(cv2.resize(small, size, interpolation=cv2.INTER_CUBIC), np.float32)
    rows = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None, None]
    shade = 0.48 - 0.16 * rows * rows
    blurred = np.asarray(cv2.GaussianBlur(large * shade, (0, 0), 6), np.float32)
    return np.clip(blurred, 0, 255).astype(np.uint8)


# --- The engine ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    layout: _Layout
    frames: int
    openness: F32
    work: U8
    matrices: F64
    rig: MouthRig
    background: U8 | None
    pages: list[CaptionPage]
    schedule: list[tuple[int, int | None] | None]
    card: Sprite | None
    mark: Sprite
    thumb_frame: int


class PortraitVideoEngine:
    """`VideoEngine` on the CPU: see the module docstring."""

    name = "portrait"

    def __init__(
        self,
        face_locator: FaceLocator,
        *,
        fonts_dir: Path | None = None,
        ffmpeg_path: str | None = None,
        preset: str = "veryfast",
        crf: int = 23,
    ) -> None:
        self.face_locator = face_locator
        self.fonts = _Fonts(fonts_dir)
        self.preset = preset
        self.crf = crf
        if ffmpeg_path is None:
            import imageio_ffmpeg  # type: ignore[import-untyped]  # ships a static ffmpeg

            ffmpeg_path = imageio_ffmpeg.get_ffmpeg_exe()
        self.ffmpeg_path = ffmpeg_path

    def render(
        self, request: GreetingRequest, speech: Speech, progress: ProgressCallback
    ) -> RenderedVideo:
        try:
            return self._render(request, speech, progress)
        except MemoryError as error:
            raise CapacityError("out of memory while rendering the video") from error

    def _render(
        self, request: GreetingRequest, speech: Speech, progress: ProgressCallback
    ) -> RenderedVideo:
        clock = _Stopwatch()
        samples = check_speech(speech)
        photo = decode_photo(request.photo)
        clock.lap("decode")
        face = locate_face(self.face_locator, photo)
        clock.lap("face")
        plan = self._plan(request, speech, samples, photo, face)
        del photo
        clock.lap("prepare")
        width, height = plan.layout.size
        with tempfile.TemporaryDirectory(prefix="stario-video-") as folder:
            audio, output = Path(folder) / "voice.wav", Path(folder) / "greeting.mp4"
            write_wav(audio, samples, speech.sample_rate, plan.frames / FPS)
            progress("animating")
            with _Encoder(self._command(audio, output, (width, height)), Path(folder)) as encoder:
                thumb = self._frames(plan, encoder)
                clock.lap("render")
                progress("encoding")
                encoder.finish()
            mp4 = output.read_bytes()
        clock.lap("encode")
        if len(mp4) > MAX_OUTPUT_BYTES:
            raise EngineError(f"the video is {len(mp4)} bytes, over Telegram's limit")
        return RenderedVideo(
            mp4=mp4,
            width=width,
            height=height,
            duration_s=plan.frames / FPS,
            thumbnail_jpeg=thumbnail(thumb),
            stage_seconds=clock.finish(),
        )

    def _plan(
        self,
        request: GreetingRequest,
        speech: Speech,
        samples: F32,
        photo: U8,
        face: FaceLandmarks,
    ) -> _Plan:
        layout = LAYOUTS[request.shape]
        panel = (layout.size[0], layout.panel_height)
        frames = frame_count(speech.duration_s)
        openness = mouth_openness(samples, speech.sample_rate, frames)
        work = working_image(photo, face, panel)
        font = self.fonts.get(True, layout.caption_size)
        words = caption_words(speech, request.text, openness, font)
        pages = caption_pages(words, self.fonts, layout.caption_size, layout.caption_width)
        background = None
        if request.shape is VideoShape.VERTICAL:
            background = cover_background(photo, face, layout.size)
        return _Plan(
            layout=layout,
            frames=frames,
            openness=openness,
            work=work.image,
            matrices=camera_matrices(work.start, work.end, frames, panel),
            rig=MouthRig(work.image, work.face),
            background=background,
            pages=pages,
            schedule=caption_schedule(pages, frames),
            card=name_card(
                self.fonts,
                request.artist_name,
                layout.card_size,
                layout.size[0] - 2 * layout.card_left,
            ),
            mark=ai_mark(self.fonts, request.ai_mark, layout.mark_size),
            thumb_frame=thumbnail_frame(openness),
        )

    def _command(self, audio: Path, output: Path, size: tuple[int, int]) -> list[str]:
        return [
            self.ffmpeg_path, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}",
            "-r", str(FPS), "-i", "pipe:0", "-i", str(audio),
            "-map", "0:v:0", "-map", "1:a:0",
            "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf),
            "-pix_fmt", "yuv420p", "-profile:v", "high",
            "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
            "-movflags", "+faststart", str(output),
        ]  # fmt: skip

    def _frames(self, plan: _Plan, encoder: _Encoder) -> U8:
        """Render every frame into the encoder; returns a copy of the thumbnail frame."""
        layout = plan.layout
        width, height = layout.size
        top, bottom = layout.panel_top, layout.panel_top + layout.panel_height
        frame = np.zeros((height, width, 3), np.uint8)
        panel = frame[top:bottom]
        feather = _Feather(plan.background, top, bottom, layout.feather)
        canvas = plan.work.copy()
        rig = plan.rig
        sprites: dict[tuple[int, int | None], Sprite] = {}
        mark_x = width - layout.mark_right - plan.mark.width
        thumb = frame
        mouth_dirty = False
        for index in range(plan.frames):
            roi = rig.render(float(plan.openness[index]))
            if roi is not None or mouth_dirty:
                canvas[rig.y0 : rig.y1, rig.x0 : rig.x1] = rig.original if roi is None else roi
                mouth_dirty = roi is not None
            cv2.warpAffine(
                canvas, plan.matrices[index], (width, layout.panel_height), dst=panel,
                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT,
            )  # fmt: skip
            feather.apply(frame)
            self._overlays(frame, plan, index, sprites)
            plan.mark.draw(frame, mark_x, layout.mark_top)
            if index == plan.thumb_frame:
                thumb = frame.copy()
            encoder.write(frame)
        return thumb

    def _overlays(
        self, frame: U8, plan: _Plan, index: int, sprites: dict[tuple[int, int | None], Sprite]
    ) -> None:
        layout = plan.layout
        t = index / FPS
        if plan.card is not None:
            card_out = min(CARD_OUT_S, plan.frames / FPS - 0.5)
            shown = min((t - CARD_IN_S) / CARD_FADE_S, (card_out - t) / CARD_FADE_S, 1.0)
            if shown > 0:
                slide = round(24 * (1 - shown) ** 2)
                y = layout.card_bottom - plan.card.height
                plan.card.draw(frame, layout.card_left - slide, y, opacity=shown)
        key = plan.schedule[index]
        if key is not None:
            sprite = sprites.get(key)
            if sprite is None:
                sprite = sprites[key] = caption_sprite(plan.pages[key[0]], self.fonts, key[1])
            x = (layout.size[0] - sprite.width) // 2
            sprite.draw(frame, x, layout.caption_bottom - sprite.height)


def thumbnail_frame(openness: F32) -> int:
    """A frame near the start with the mouth closed, once the name card is on."""
    early = openness[: 2 * FPS]
    closed = np.flatnonzero(early < 0.05)
    if closed.size == 0:
        return int(np.argmin(early))
    return int(closed[np.argmin(np.abs(closed - round(0.8 * FPS)))])


def thumbnail(frame: U8) -> bytes:
    image = Image.fromarray(frame)
    image.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


class _Feather:
    """Blends the panel's top and bottom rows into the background (vertical shape only)."""

    def __init__(self, background: U8 | None, top: int, bottom: int, rows: int) -> None:
        self.background = background
        self.top, self.bottom, self.rows = top, bottom, rows
        if background is None or rows == 0:
            return
        ramp = np.linspace(0.0, 1.0, rows + 2)[1:-1]
        ramp = ramp * ramp * (3 - 2 * ramp)
        alpha = np.round(ramp * 256).astype(np.uint16)[:, None, None]
        self.alpha_top, self.alpha_bottom = alpha, alpha[::-1]
        self.bg_top = background[top : top + rows] * (256 - self.alpha_top)
        self.bg_bottom = background[bottom - rows : bottom] * (256 - self.alpha_bottom)

    def apply(self, frame: U8) -> None:
        background = self.background
        if background is None:
            return
        frame[: self.top] = background[: self.top]
        frame[self.bottom :] = background[self.bottom :]
        if self.rows == 0:
            return
        head = frame[self.top : self.top + self.rows]
        head[...] = ((head * self.alpha_top + self.bg_top) >> 8).astype(np.uint8)
        tail = frame[self.bottom - self.rows : self.bottom]
        tail[...] = ((tail * self.alpha_bottom + self.bg_bottom) >> 8).astype(np.uint8)


class _Encoder:
    """ffmpeg reading raw RGB frames from a pipe; its stderr goes to a file for error reports."""

    def __init__(self, command: list[str], folder: Path) -> None:
        self.command = command
        self.log_path = folder / "ffmpeg.log"
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Encoder:
        self._log = self.log_path.open("wb")
        try:
            self._process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
                self.command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log
            )
        except OSError as error:
            self._log.close()
            raise EngineError(f"cannot start ffmpeg: {error}") from error
        return self

    def write(self, frame: U8) -> None:
        process = self._running()
        assert process.stdin is not None
        try:
            process.stdin.write(frame.data.cast("B"))
        except (BrokenPipeError, OSError) as error:
            process.wait()
            raise TransientEngineError(f"ffmpeg stopped: {self._tail()}") from error

    def finish(self) -> None:
        process = self._running()
        assert process.stdin is not None
        with contextlib.suppress(OSError):  # the exit status below tells what happened
            process.stdin.close()
        try:
            code = process.wait(timeout=ENCODER_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            process.kill()
            raise CapacityError("ffmpeg timed out") from error
        if code != 0:
            raise TransientEngineError(f"ffmpeg exited with {code}: {self._tail()}")

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if process is not None and process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if self._log is not None:
            self._log.close()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the encoder is not started")
        return self._process

    def _tail(self, limit: int = 2000) -> str:
        if self._log is not None:
            self._log.flush()
        text = self.log_path.read_bytes()[-limit:].decode("utf-8", "replace").strip()
        return text or "(no output)"


class _Stopwatch:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 4)
        self.last = now

    def finish(self) -> dict[str, float]:
        self.stages["total"] = round(time.perf_counter() - self.start, 4)
        return dict(self.stages)
