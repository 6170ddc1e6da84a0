"""`stario face-compare`: face similarity of image pairs as JSON lines, without the bot.

One line per pair, in input order: `a`, `b`, `engine`, `similarity_percent`, `distance`,
`same_person` (distance ≤ the engine's threshold), `boxes` ({"a": [l, t, r, b], "b": ...} in
the pixels of each upright photo as the engine decoded it) and `milliseconds` (this pair's
time; an image already embedded earlier in the run is reused). A pair that cannot be compared
gets `error` (the engine's reason code, or `not_found` / `unreadable` for the file) and
`detail` instead, and the run goes on. Both images are embedded with `embed_photo` (the
largest face).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stario.workers.engines.base import FaceEmbedding, FaceEngine, UserInputError
from stario.workers.engines.photos import MAX_PHOTO_BYTES


class PairsFileError(ValueError):
    """The --pairs file is not a CSV with columns a and b."""


def read_pairs(path: Path) -> list[tuple[Path, Path]]:
    """(a, b) from a CSV with a header naming columns `a` and `b`; relative paths are taken
    from the CSV's folder."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise PairsFileError(f"{path}: {error}") from error
    if rows and not {"a", "b"} <= set(rows[0]):
        raise PairsFileError(f"{path}: the header must name columns a and b")
    pairs = []
    for number, row in enumerate(rows, start=2):
        if not row.get("a") or not row.get("b"):
            raise PairsFileError(f"{path}, line {number}: a and b are required")
        pairs.append((path.parent / row["a"], path.parent / row["b"]))
    return pairs


@dataclass(frozen=True, slots=True)
class _Refused:
    reason: str
    detail: str


class PairComparer:
    """Compares pairs with one engine, embedding each distinct file once."""

    def __init__(self, engine: FaceEngine) -> None:
        self.engine = engine
        self._seen: dict[Path, FaceEmbedding | _Refused] = {}

    def compare_all(self, pairs: list[tuple[Path, Path]]) -> Iterator[dict[str, Any]]:
        for a, b in pairs:
            yield self.compare(a, b)

    def compare(self, a: Path, b: Path) -> dict[str, Any]:
        started = time.perf_counter()
        result: dict[str, Any] = {"a": str(a), "b": str(b), "engine": self.engine.name}
        first, second = self._embed(a), self._embed(b)
        for refused in (first, second):
            if isinstance(refused, _Refused):
                side = "a" if refused is first else "b"
                return result | {"error": refused.reason, "detail": f"{side}: {refused.detail}"}
        assert isinstance(first, FaceEmbedding)
        assert isinstance(second, FaceEmbedding)
        distance = float(np.linalg.norm(first.vector - second.vector))
        return result | {
            "similarity_percent": self.engine.similarity_percent(distance),
            "distance": round(distance, 4),
            "same_person": distance <= self.engine.threshold,
            "boxes": {"a": list(first.box), "b": list(second.box)},
            "milliseconds": round((time.perf_counter() - started) * 1000, 1),
        }

    def _embed(self, path: Path) -> FaceEmbedding | _Refused:
        if path not in self._seen:
            self._seen[path] = self._embed_file(path)
        return self._seen[path]

    def _embed_file(self, path: Path) -> FaceEmbedding | _Refused:
        try:
            if not path.is_file():
                return _Refused("not_found", f"{path} is not a file")
            if path.stat().st_size > MAX_PHOTO_BYTES:
                return _Refused("photo_too_large", f"{path.stat().st_size} bytes")
            data = path.read_bytes()
        except OSError as error:
            return _Refused("unreadable", f"{path}: {error.strerror or error}")
        try:
            return self.engine.embed_photo(data)
        except UserInputError as error:
            return _Refused(error.reason, str(error))
