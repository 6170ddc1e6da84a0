"""Where the engines find their fonts: DejaVu Sans, which covers Latin (Uzbek ʻ U+02BB included)
and Cyrillic (Ўў Ққ Ғғ Ҳҳ).

The copies vendored in `stario/assets/fonts/` win; Debian's `fonts-dejavu-core` is the fallback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

VENDORED_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
SYSTEM_DIR = Path("/usr/share/fonts/truetype/dejavu")

_REGULAR = "DejaVuSans.ttf"
_BOLD = "DejaVuSans-Bold.ttf"


def font_path(bold: bool) -> Path:
    """The DejaVu Sans (Bold) file: vendored first, else the system copy."""
    name = _BOLD if bold else _REGULAR
    for folder in (VENDORED_DIR, SYSTEM_DIR):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"font {name} not found in {VENDORED_DIR} or {SYSTEM_DIR} "
        "(vendor it, or install Debian's fonts-dejavu-core)"
    )


@lru_cache(maxsize=256)
def load_font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (Bold) at `size` px, loaded once per process and size."""
    return ImageFont.truetype(str(font_path(bold)), size)
