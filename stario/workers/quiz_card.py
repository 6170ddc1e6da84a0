"""The Face Quiz result card: the artist's photo, the score, the badge and the artist's name.

Only the artist's (public, consented) photo is drawn: the fan's selfie never reaches the card,
so the card can be stored with the job and shared freely. Texts come in already localised.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps
from PIL.ImageFont import FreeTypeFont

from stario.workers.engines.base import UserInputError
from stario.workers.engines.fonts import load_font
from stario.workers.engines.photos import RGB, flatten, open_photo

SIZE = 1080
PHOTO_HEIGHT = 640
FADE = 160
BACKGROUND = (22, 18, 40)
ACCENT: dict[str, RGB] = {
    "twin": (255, 196, 61),
    "lookalike": (122, 220, 170),
    "vibe": (120, 180, 255),
    "opposites": (255, 128, 160),
}
WHITE: RGB = (255, 255, 255)
MUTED: RGB = (210, 205, 230)


@dataclass(frozen=True, slots=True)
class CardText:
    headline: str  # e.g. "You and Sevara"
    badge: str  # e.g. "👯 Twin" (emoji are dropped: the font has none)
    artist_name: str
    footer: str  # e.g. "Stario · Face Quiz · AI"


def render_card(photo: bytes | None, score: int, badge: str, text: CardText) -> bytes:
    """A 1080×1080 JPEG. `photo` may be None (or unreadable): the card goes without it."""
    card = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    if photo is not None:
        _paste_photo(card, photo)
    _shade_bottom(card)
    draw = ImageDraw.Draw(card)
    accent = ACCENT.get(badge, WHITE)
    _centered(draw, _plain(text.headline), 600, load_font(False, 46), MUTED)
    _centered(draw, f"{score}%", 655, load_font(True, 180), accent)
    _centered(draw, _plain(text.badge), 865, load_font(True, 64), WHITE)
    _centered(draw, _plain(text.footer), 1000, load_font(False, 30), MUTED)
    out = io.BytesIO()
    card.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def _paste_photo(card: Image.Image, photo: bytes) -> None:
    try:
        image = flatten(open_photo(photo, min_side=32, long_side=2 * SIZE), BACKGROUND)
    except UserInputError:  # an unreadable artist photo: the card goes without it
        return
    card.paste(ImageOps.fit(image, (SIZE, PHOTO_HEIGHT), centering=(0.5, 0.35)), (0, 0))


def _shade_bottom(card: Image.Image) -> None:
    """Fade the photo's lower edge into the text panel."""
    top = PHOTO_HEIGHT - FADE
    ramp = Image.linear_gradient("L").resize((SIZE, FADE))
    shade = Image.new("RGB", (SIZE, FADE), BACKGROUND)
    lower = card.crop((0, top, SIZE, PHOTO_HEIGHT))
    card.paste(Image.composite(shade, lower, ramp), (0, top))


def _centered(
    draw: ImageDraw.ImageDraw, text: str, top: int, font: FreeTypeFont, fill: RGB
) -> None:
    while draw.textlength(text, font=font) > SIZE - 80 and len(text) > 4:
        text = text[:-2].rstrip() + "…"
    width = draw.textlength(text, font=font)
    draw.text(((SIZE - width) / 2, top), text, font=font, fill=fill)


def _plain(text: str) -> str:
    """Without emoji and other symbols DejaVu Sans cannot draw."""
    kept = "".join(char for char in text if ord(char) < 0x2190 or 0x2C00 <= ord(char) < 0xFE00)
    return " ".join(kept.split())
