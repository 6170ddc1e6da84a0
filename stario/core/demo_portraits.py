"""Stylised portraits for the demo artists, drawn with Pillow: illustrations of no real person.

`render_portrait(seed)` is deterministic: the same seed (an artist's slug) and hair style give the
same picture, byte for byte with the same Pillow build. The seed picks colours (backdrop, skin,
hair, eyes, outfit) from curated palettes and small variations (neckline, earrings, stage lights);
the hair style may be given so that a handful of demo artists are sure to look different.

The figure is a flat, front-facing head-and-shoulders illustration with a clear face (two eyes,
brows, nose, mouth) in the upper middle of a 3:4 portrait, which is what the poster, video and
face engines expect from an artist photo. Everything is drawn at twice the size and downsampled,
which is cheap anti-aliasing.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 768, 1024
LABEL = "Stario demo · illustration"
_SCALE = 2
_CX = WIDTH / 2  # the figure stands in the middle
_HEAD_CY = 400  # centre of the head; it spans y 210..625 and x ±148 around _CX

RGB = tuple[int, int, int]
Point = tuple[float, float]


class HairStyle(StrEnum):
    SHORT = "short"
    LONG = "long"
    CURLY = "curly"
    BUN = "bun"
    BUZZ = "buzz"  # close crop with a trimmed beard


@dataclass(frozen=True, slots=True)
class Portrait:
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Look:
    hair_style: HairStyle
    backdrop_top: RGB
    backdrop_bottom: RGB
    skin: RGB
    hair: RGB
    eyes: RGB
    lips: RGB
    outfit: RGB
    shirt: RGB
    jacket: bool
    earrings: bool
    lights: tuple[tuple[float, float, float, int], ...]  # x, y, radius, alpha of stage lights


_BACKDROPS: tuple[tuple[RGB, RGB], ...] = (
    ((30, 27, 75), (190, 80, 120)),  # indigo → rose
    ((12, 52, 61), (64, 160, 150)),  # deep teal → jade
    ((60, 20, 70), (236, 140, 84)),  # plum → amber
    ((20, 30, 48), (72, 110, 170)),  # navy → steel blue
    ((95, 30, 40), (238, 178, 110)),  # wine → apricot
    ((24, 44, 36), (160, 186, 92)),  # forest → lime
)
_SKINS: tuple[RGB, ...] = (
    (241, 204, 178),
    (229, 186, 152),
    (210, 162, 122),
    (188, 136, 98),
    (152, 102, 70),
    (114, 76, 54),
)
_NATURAL_HAIRS: tuple[RGB, ...] = ((28, 24, 26), (52, 36, 30), (92, 58, 38), (128, 72, 42))
_DARK_HAIRS = _NATURAL_HAIRS[:3]  # a beard must stand out against any skin
_HAIRS: tuple[RGB, ...] = (*_NATURAL_HAIRS, (110, 34, 48))  # and a dyed burgundy
_EYES: tuple[RGB, ...] = ((82, 52, 32), (58, 40, 28), (112, 86, 50), (70, 108, 78), (78, 108, 140))
_OUTFITS: tuple[RGB, ...] = (
    (36, 52, 90),
    (176, 48, 60),
    (28, 108, 100),
    (226, 176, 58),
    (90, 60, 140),
    (44, 44, 50),
)
_SHIRTS: tuple[RGB, ...] = ((245, 243, 236), (30, 30, 34), (214, 226, 238))


def render_portrait(seed: str, *, hair_style: HairStyle | None = None) -> Portrait:
    """A 768×1024 JPEG portrait of an invented person, the same every time for `seed`."""
    look = look_for(seed, hair_style)
    image = _backdrop(look)
    figure = _figure(look)
    image.alpha_composite(_drop_shadow(figure))
    image.alpha_composite(figure)
    _label(image)
    final = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS).convert("RGB")
    buffer = io.BytesIO()
    final.save(buffer, format="JPEG", quality=90, optimize=True)
    return Portrait(jpeg=buffer.getvalue(), width=WIDTH, height=HEIGHT)


def look_for(seed: str, hair_style: HairStyle | None = None) -> Look:
    """The colours and variations a seed stands for."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - art, not security
    style = hair_style or rng.choice(list(HairStyle))
    top, bottom = rng.choice(_BACKDROPS)
    skin = rng.choice(_SKINS)
    lipstick = style in {HairStyle.LONG, HairStyle.BUN} and rng.random() < 0.6
    lips = _mix(skin, (176, 52, 74) if lipstick else (168, 78, 78), 0.6 if lipstick else 0.45)
    lights = tuple(
        (
            rng.uniform(0, WIDTH),
            rng.uniform(0, HEIGHT * 0.7),
            rng.uniform(18, 70),
            rng.randint(30, 90),
        )
        for _ in range(14)
    )
    return Look(
        hair_style=style,
        backdrop_top=top,
        backdrop_bottom=bottom,
        skin=skin,
        hair=rng.choice(_HAIRS if style is not HairStyle.BUZZ else _DARK_HAIRS),
        eyes=rng.choice(_EYES),
        lips=lips,
        outfit=rng.choice(_OUTFITS),
        shirt=rng.choice(_SHIRTS),
        jacket=rng.random() < 0.5,
        earrings=style is HairStyle.BUN or (style is HairStyle.SHORT and rng.random() < 0.3),
        lights=lights,
    )


# --- layers ---------------------------------------------------------------------------------


def _backdrop(look: Look) -> Image.Image:
    size = (WIDTH * _SCALE, HEIGHT * _SCALE)
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    image = Image.composite(
        Image.new("RGBA", size, (*look.backdrop_bottom, 255)),
        Image.new("RGBA", size, (*look.backdrop_top, 255)),
        mask,
    )
    glow_mask = Image.radial_gradient("L").resize(
        (1000 * _SCALE, 1000 * _SCALE), Image.Resampling.BILINEAR
    )
    glow_alpha = glow_mask.point(lambda value: max(0, 150 - value) * 140 // 150)
    glow = Image.new(
        "RGBA", glow_alpha.size, (*_mix(look.backdrop_bottom, (255, 255, 255), 0.5), 0)
    )
    glow.putalpha(glow_alpha)
    image.alpha_composite(glow, (round((_CX - 500) * _SCALE), round((_HEAD_CY - 520) * _SCALE)))

    lights = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(lights)
    light_colour = _mix(look.backdrop_bottom, (255, 240, 220), 0.6)
    for x, y, radius, alpha in look.lights:
        draw.ellipse(_box(x - radius, y - radius, x + radius, y + radius), (*light_colour, alpha))
    image.alpha_composite(_soft(lights, 6))
    return image


def _figure(look: Look) -> Image.Image:
    figure = Image.new("RGBA", (WIDTH * _SCALE, HEIGHT * _SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(figure)
    _hair_back(draw, look)
    _neck(draw, look)
    _body(draw, look)
    _ears(draw, look)
    draw.polygon(_scaled(_head_outline()), _rgba(look.skin))
    _blush(figure)
    draw = ImageDraw.Draw(figure)
    if look.hair_style is HairStyle.BUZZ:
        _beard(draw, look)
    _eyes(figure, look)
    _brows(draw, look)
    _nose(draw, look)
    _mouth(draw, look)
    _hair_front(draw, look)
    if look.earrings:
        _earrings(draw)
    return figure


def _drop_shadow(figure: Image.Image) -> Image.Image:
    alpha = figure.getchannel("A").point(lambda value: value * 90 // 255)
    shadow = Image.new("RGBA", figure.size, (10, 8, 20, 0))
    shadow.putalpha(_soft(alpha, 18))
    offset = Image.new("RGBA", figure.size, (0, 0, 0, 0))
    offset.alpha_composite(shadow, (12 * _SCALE, 16 * _SCALE))
    return offset


def _label(image: Image.Image) -> None:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=17 * _SCALE)
    right, bottom = (WIDTH - 20) * _SCALE, (HEIGHT - 18) * _SCALE
    draw.text((right, bottom), LABEL, font=font, fill=(255, 255, 255, 170), anchor="rd")
    image.alpha_composite(overlay)


# --- the figure, back to front --------------------------------------------------------------


def _hair_back(draw: ImageDraw.ImageDraw, look: Look) -> None:
    colour = _rgba(look.hair)
    cx, cy = _CX, _HEAD_CY
    if look.hair_style is HairStyle.LONG:
        outline = _arc(cx, cy, 176, 218, 180, 360)
        outline += _bezier((cx + 176, cy), (cx + 214, cy + 230), (cx + 200, cy + 390))
        outline += _bezier((cx + 200, cy + 390), (cx, cy + 430), (cx - 200, cy + 390))
        outline += _bezier((cx - 200, cy + 390), (cx - 214, cy + 230), (cx - 176, cy))
        draw.polygon(_scaled(outline), colour)
    elif look.hair_style is HairStyle.CURLY:
        draw.polygon(_scaled(_arc(cx, cy + 20, 168, 222, 180, 360)), colour)
        for step in range(15):
            angle = 160 + step * 16
            x, y = _on_ellipse(cx, cy + 10, 170, 208, angle)
            radius = 46 + (step % 3) * 6
            draw.ellipse(_box(x - radius, y - radius, x + radius, y + radius), colour)
    elif look.hair_style is HairStyle.BUN:
        draw.ellipse(_box(cx - 72, 118, cx + 72, 262), colour)


def _body(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx = _CX
    right = [
        *_bezier((cx + 72, 738), (cx + 250, 736), (cx + 318, 840)),
        *_bezier((cx + 318, 840), (cx + 352, 900), (cx + 362, HEIGHT + 10)),
    ]
    left = [(2 * cx - x, y) for x, y in reversed(right)]
    shoulders = [*left, *right]
    draw.polygon(_scaled(shoulders), _rgba(look.outfit))
    shade = _rgba(_shade(look.outfit, 0.82))
    for sign in (-1, 1):
        fold = _bezier((cx + sign * 250, 800), (cx + sign * 290, 900), (cx + sign * 300, HEIGHT))
        draw.line(_scaled(fold), shade, width=5 * _SCALE)
    if look.jacket:
        draw.polygon(_scaled([(cx - 70, 736), (cx + 70, 736), (cx, 930)]), _rgba(look.shirt))
        lapel = _rgba(_shade(look.outfit, 0.72))
        for sign in (-1, 1):
            points = [(cx + sign * 62, 738), (cx + sign * 118, 760), (cx + sign * 40, 960)]
            draw.polygon(_scaled(points), lapel)
        draw.polygon(_scaled([(cx - 56, 736), (cx + 56, 736), (cx, 820)]), _rgba(look.skin))
    else:
        draw.polygon(_scaled([(cx - 66, 734), (cx + 66, 734), (cx, 852)]), _rgba(look.skin))
        trim = _rgba(_shade(look.outfit, 0.7))
        draw.line(_scaled([(cx - 70, 736), (cx, 858), (cx + 70, 736)]), trim, width=6 * _SCALE)


def _neck(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx = _CX
    draw.polygon(
        _scaled([(cx - 62, 540), (cx + 62, 540), (cx + 72, 770), (cx - 72, 770)]), _rgba(look.skin)
    )
    under_chin = _bezier((cx - 63, 600), (cx, 690), (cx + 63, 600))
    draw.polygon(_scaled(under_chin), _rgba(_shade(look.skin, 0.86)))


def _ears(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx, cy = _CX, _HEAD_CY
    skin, shadow = _rgba(look.skin), _rgba(_shade(look.skin, 0.86))
    for sign in (-1, 1):
        ex = cx + sign * 146
        draw.ellipse(_box(ex - 22, cy - 10, ex + 22, cy + 74), skin)
        draw.ellipse(_box(ex - 10, cy + 8, ex + 10, cy + 56), shadow)


def _head_outline() -> list[Point]:
    """An egg-shaped head: a round crown and a slightly squarer, longer jaw."""
    cx, cy, half_width = _CX, _HEAD_CY, 148
    jaw = []
    for step in range(49):
        angle = math.radians(step * 180 / 48)
        cos, sin = math.cos(angle), math.sin(angle)
        x = math.copysign(abs(cos) ** (2 / 2.3), cos) * half_width
        jaw.append((cx + x, cy + abs(sin) ** (2 / 2.3) * 225))
    return jaw + _arc(cx, cy, half_width, 190, 180, 360)


def _blush(figure: Image.Image) -> None:
    layer = Image.new("RGBA", figure.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for sign in (-1, 1):
        x = _CX + sign * 84
        draw.ellipse(_box(x - 38, 478, x + 38, 516), (232, 112, 112, 56))
    figure.alpha_composite(_soft(layer, 14))


def _eyes(figure: Image.Image, look: Look) -> None:
    y = 418
    for sign in (-1, 1):
        x = _CX + sign * 60
        upper = _arc(x, y, 30, 17, 180, 360)
        lower = _arc(x, y, 30, 11, 0, 180)
        almond = upper + lower
        layer = Image.new("RGBA", figure.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        draw.polygon(_scaled(almond), (250, 248, 244, 255))
        iris_x = x + sign * -2  # a gaze very slightly towards the nose
        draw.ellipse(_box(iris_x - 15, y - 15, iris_x + 15, y + 15), _rgba(look.eyes))
        draw.ellipse(_box(iris_x - 7, y - 7, iris_x + 7, y + 7), (18, 14, 16, 255))
        draw.ellipse(_box(iris_x + 3, y - 9, iris_x + 9, y - 3), (255, 255, 255, 235))
        mask = Image.new("L", figure.size, 0)
        ImageDraw.Draw(mask).polygon(_scaled(almond), 255)
        clipped = Image.new("RGBA", figure.size, (0, 0, 0, 0))
        clipped.paste(layer, (0, 0), mask)
        figure.alpha_composite(clipped)
        draw = ImageDraw.Draw(figure)
        lid = _rgba(_shade(look.hair, 0.6))
        draw.line(_scaled(upper), lid, width=5 * _SCALE, joint="curve")
        flick = (x + sign * 30, y), (x + sign * 40, y - 8)
        draw.line(_scaled(list(flick)), lid, width=4 * _SCALE)
        crease = _arc(x, y - 2, 28, 26, 200, 340)
        draw.line(_scaled(crease), _rgba(_shade(look.skin, 0.84)), width=2 * _SCALE)


def _brows(draw: ImageDraw.ImageDraw, look: Look) -> None:
    colour = _rgba(_shade(look.hair, 0.85))
    for sign in (-1, 1):
        top = _bezier((26, 378), (62, 350), (102, 366))
        bottom = _bezier((102, 371), (64, 362), (28, 392))
        draw.polygon(_scaled([(_CX + sign * x, y) for x, y in top + bottom]), colour)


def _nose(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx = _CX
    shadow = _rgba(_shade(look.skin, 0.8))
    bridge = _bezier((cx - 8, 428), (cx - 16, 480), (cx - 6, 500))
    draw.line(_scaled(bridge), _rgba(_shade(look.skin, 0.9)), width=4 * _SCALE)
    tip = _bezier((cx - 24, 502), (cx, 524), (cx + 24, 502))
    draw.line(_scaled(tip), shadow, width=4 * _SCALE, joint="curve")
    for sign in (-1, 1):
        x = cx + sign * 12
        draw.ellipse(_box(x - 6, 506, x + 6, 513), shadow)


def _mouth(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx = _CX
    # The corners sit higher than the middle of the lips: a gentle smile.
    upper = [
        *_bezier((cx - 46, 560), (cx - 22, 546), (cx, 555)),
        *_bezier((cx, 555), (cx + 22, 546), (cx + 46, 560)),
    ]
    lower = _bezier((cx + 46, 560), (cx, 612), (cx - 46, 560))
    draw.polygon(_scaled(upper + lower), _rgba(look.lips))
    line = _bezier((cx - 48, 558), (cx, 582), (cx + 48, 558))
    draw.line(_scaled(line), _rgba(_shade(look.lips, 0.62)), width=3 * _SCALE, joint="curve")
    shine = _rgba(_mix(look.lips, (255, 255, 255), 0.3))
    draw.ellipse(_box(cx - 13, 575, cx + 13, 581), shine)


def _beard(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx, cy = _CX, _HEAD_CY
    colour = (*_shade(look.hair, 1.05), 235)
    outer = [(x, y) for x, y in _head_outline()[:49] if y >= cy + 40]
    outer = [(cx + (x - cx) * 1.03, y + 4) for x, y in outer]
    inner = [
        *_bezier((cx - 130, 480), (cx - 100, 596), (cx - 56, 596)),
        *_bezier((cx - 56, 596), (cx, 626), (cx + 56, 596)),
        *_bezier((cx + 56, 596), (cx + 100, 596), (cx + 130, 480)),
    ]
    draw.polygon(_scaled(outer + inner), colour)
    moustache = [
        *_bezier((cx - 56, 562), (cx - 30, 530), (cx, 540)),
        *_bezier((cx, 540), (cx + 30, 530), (cx + 56, 562)),
        *_bezier((cx + 56, 562), (cx + 30, 540), (cx, 548)),
        *_bezier((cx, 548), (cx - 30, 540), (cx - 56, 562)),
    ]
    draw.polygon(_scaled(moustache), colour)


def _hair_front(draw: ImageDraw.ImageDraw, look: Look) -> None:
    cx, cy = _CX, _HEAD_CY
    colour = _rgba(look.hair)
    highlight = _rgba(_mix(look.hair, (255, 255, 255), 0.22))
    style = look.hair_style
    if style is HairStyle.SHORT:
        hairline = [
            *_bezier((cx + 150, cy + 50), (cx + 142, cy - 40), (cx + 110, cy - 96)),
            *_bezier((cx + 110, cy - 96), (cx + 10, cy - 150), (cx - 70, cy - 100)),
            *_bezier((cx - 70, cy - 100), (cx - 130, cy - 70), (cx - 150, cy + 50)),
        ]
        draw.polygon(_scaled(_arc(cx, cy + 6, 162, 222, 180, 360) + hairline), colour)
        for offset in (0, 26, 52):
            strand = _bezier(
                (cx - 40 + offset, cy - 192), (cx + 60 + offset, cy - 170), (cx + 100, cy - 110)
            )
            draw.line(_scaled(strand), highlight, width=3 * _SCALE)
    elif style is HairStyle.BUZZ:
        hairline = [
            *_bezier((cx + 146, cy + 20), (cx + 140, cy - 100), (cx + 60, cy - 112)),
            *_bezier((cx + 60, cy - 112), (cx, cy - 100), (cx - 60, cy - 112)),
            *_bezier((cx - 60, cy - 112), (cx - 140, cy - 100), (cx - 146, cy + 20)),
        ]
        draw.polygon(_scaled(_arc(cx, cy, 152, 198, 180, 360) + hairline), colour)
    elif style is HairStyle.LONG:
        right = [
            *_bezier((cx + 12, cy - 176), (cx + 128, cy - 150), (cx + 146, cy + 20)),
            *_bezier((cx + 146, cy + 20), (cx + 150, cy + 200), (cx + 184, cy + 330)),
            (cx + 204, cy + 330),
        ]
        outer = _arc(cx, cy, 176, 218, 0, -180)
        left = [(2 * cx - x, y) for x, y in reversed(right)]
        draw.polygon(_scaled([*right, *outer, *left, (cx, cy - 168)]), colour)
        for sign in (-1, 1):
            strand = _bezier(
                (cx + sign * 40, cy - 200), (cx + sign * 150, cy - 150), (cx + sign * 172, cy + 60)
            )
            draw.line(_scaled(strand), highlight, width=3 * _SCALE)
    elif style is HairStyle.CURLY:
        hairline = _bezier((cx + 150, cy - 10), (cx, cy - 170), (cx - 150, cy - 10))
        draw.polygon(_scaled(_arc(cx, cy + 10, 164, 214, 180, 360) + hairline), colour)
        for step in range(9):
            x = cx - 128 + step * 32
            y = cy - 100 - math.sin(math.pi * step / 8) * 30
            radius = 22 + (step * 5) % 9
            draw.ellipse(_box(x - radius, y - radius, x + radius, y + radius), colour)
        for step in range(6):
            x, y = _on_ellipse(cx, cy + 10, 150, 190, 205 + step * 26)
            draw.arc(_box(x - 16, y - 16, x + 16, y + 16), 200, 300, highlight, width=3 * _SCALE)
    elif style is HairStyle.BUN:
        hairline = [
            *_bezier((cx + 144, cy + 10), (cx + 130, cy - 120), (cx + 6, cy - 132)),
            (cx, cy - 122),
            *_bezier((cx - 6, cy - 132), (cx - 130, cy - 120), (cx - 144, cy + 10)),
        ]
        draw.polygon(_scaled(_arc(cx, cy, 156, 204, 180, 360) + hairline), colour)
        for sign in (-1, 1):
            strand = _bezier(
                (cx + sign * 10, cy - 196), (cx + sign * 110, cy - 180), (cx + sign * 140, cy - 40)
            )
            draw.line(_scaled(strand), highlight, width=3 * _SCALE)


def _earrings(draw: ImageDraw.ImageDraw) -> None:
    gold, light = (222, 178, 82, 255), (250, 226, 150, 255)
    for sign in (-1, 1):
        x, y = _CX + sign * 148, _HEAD_CY + 82
        draw.ellipse(_box(x - 8, y - 8, x + 8, y + 8), gold)
        draw.ellipse(_box(x - 11, y + 12, x + 11, y + 34), gold)
        draw.ellipse(_box(x - 4, y + 16, x + 3, y + 23), light)


# --- geometry and colour helpers (coordinates are in output pixels, before _SCALE) ----------


def _soft(layer: Image.Image, radius: float) -> Image.Image:
    """`layer` blurred by `radius` output pixels; blurred small and scaled back, which is fast."""
    small = layer.resize((WIDTH // 2, HEIGHT // 2), Image.Resampling.BOX)
    blurred = small.filter(ImageFilter.GaussianBlur(radius / 2))
    return blurred.resize(layer.size, Image.Resampling.BILINEAR)


def _scaled(points: Sequence[Point]) -> list[Point]:
    return [(x * _SCALE, y * _SCALE) for x, y in points]


def _box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    return (x0 * _SCALE, y0 * _SCALE, x1 * _SCALE, y1 * _SCALE)


def _on_ellipse(cx: float, cy: float, a: float, b: float, degrees: float) -> Point:
    angle = math.radians(degrees)
    return (cx + a * math.cos(angle), cy + b * math.sin(angle))


def _arc(cx: float, cy: float, a: float, b: float, start: float, end: float) -> list[Point]:
    """Points along an ellipse from `start` to `end` degrees (0 = right, 90 = down)."""
    steps = 48
    return [
        _on_ellipse(cx, cy, a, b, start + (end - start) * step / steps)
        for step in range(steps + 1)
    ]


def _bezier(p0: Point, p1: Point, p2: Point, steps: int = 24) -> list[Point]:
    """A quadratic Bézier curve from p0 to p2, pulled towards p1."""

    def at(t: float) -> Point:
        u = 1 - t
        return (
            u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
            u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
        )

    return [at(step / steps) for step in range(steps + 1)]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return _rgb(lambda i: a[i] + (b[i] - a[i]) * t)


def _shade(colour: RGB, factor: float) -> RGB:
    return _rgb(lambda i: colour[i] * factor)


def _rgb(channel: Callable[[int], float]) -> RGB:
    red, green, blue = (max(0, min(255, round(channel(i)))) for i in range(3))
    return (red, green, blue)


def _rgba(colour: RGB) -> tuple[int, int, int, int]:
    return (*colour, 255)
