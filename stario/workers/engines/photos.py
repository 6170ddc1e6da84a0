"""Decoding an artist photo or a selfie (untrusted bytes) for any engine.

One set of rules: JPEG (incl. MPO), PNG or WebP; at most MAX_PHOTO_PIXELS (or Pillow's
decompression-bomb limit, if lower) checked from the header before decoding; at least
`min_side` px on the short side; upright per EXIF; at most `long_side` px on the long side
(large JPEGs are decoded at 1/2, 1/4 or 1/8 scale directly). Anything else is
`UserInputError("bad_photo")`.

With `specific_reasons=True` (the Face Quiz, which tells the fan what to fix) the reasons are:
`photo_too_large` (more than MAX_PHOTO_BYTES, refused before parsing; more than the pixel limit;
a decompression bomb), `animated` (an animated GIF, PNG or WebP) and `bad_photo` for everything
else (empty, not an image, truncated, short side under `min_side`, another format such as a
still GIF).
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageOps

from stario.workers.engines.base import UserInputError

MAX_PHOTO_PIXELS = 40_000_000
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's own limit for photos
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")  # Pillow's JPEG plugin also opens MPO (phone photos)
_RECOGNISED_FORMATS = (*PHOTO_FORMATS, "GIF")  # GIF only to tell an animation apart
RGB = tuple[int, int, int]


def open_photo(
    data: bytes, *, min_side: int, long_side: int, specific_reasons: bool = False
) -> Image.Image:
    """The photo, upright, in RGB, or RGBA when it has transparency."""

    def refuse(reason: str, detail: str) -> UserInputError:
        return UserInputError(reason if specific_reasons else "bad_photo", detail)

    if not data:
        raise UserInputError("bad_photo", "empty file")
    if specific_reasons and len(data) > MAX_PHOTO_BYTES:
        raise refuse("photo_too_large", f"{len(data)} bytes")
    try:
        with Image.open(io.BytesIO(data), formats=_RECOGNISED_FORMATS) as source:
            width, height = source.size
            if specific_reasons and getattr(source, "is_animated", False):
                frames = getattr(source, "n_frames", "several")
                raise refuse("animated", f"{source.format} with {frames} frames")
            if source.format not in PHOTO_FORMATS and source.format != "MPO":
                raise UserInputError("bad_photo", f"{source.format} is not a photo format")
            if min(width, height) < min_side:
                raise UserInputError("bad_photo", f"{width}×{height} is too small")
            if width * height > _pixel_limit():
                raise refuse("photo_too_large", f"{width}×{height} is too large")
            if source.format in ("JPEG", "MPO") and max(width, height) > long_side:
                scale = long_side / max(width, height)
                source.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
            source.load()
            image = _rgb_or_rgba(ImageOps.exif_transpose(source))
    except (UserInputError, MemoryError):
        raise
    except Image.DecompressionBombError as error:
        raise refuse("photo_too_large", str(error)) from error
    except Exception as error:  # any decoder failure on untrusted bytes is a bad photo
        raise UserInputError("bad_photo", f"{type(error).__name__}: {error}") from error
    if max(image.size) > long_side:
        image.thumbnail((long_side, long_side), Image.Resampling.BICUBIC)
    return image


def flatten(image: Image.Image, fill: RGB) -> Image.Image:
    """An RGB image: transparent parts laid over `fill`."""
    if image.mode != "RGBA":
        return image
    backdrop = Image.new("RGB", image.size, fill)
    backdrop.paste(image, (0, 0), image)
    return backdrop


def _pixel_limit() -> int:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return MAX_PHOTO_PIXELS if pillow_limit is None else min(MAX_PHOTO_PIXELS, pillow_limit)


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    has_alpha = (
        image.mode in ("RGBA", "LA", "PA")
        or (image.mode == "P" and "transparency" in image.info)
        or "transparency" in image.info
    )
    if has_alpha:
        return image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")
