"""An in-memory index of the artists' gallery vectors for the Face Quiz.

A float32 matrix of unit vectors (one row per artist photo) and a parallel array of artist ids,
rows grouped by artist. A query is one matrix-vector product (`G @ q`, cosine similarities), then
`argpartition` for the top k; the distance reported is euclidean between unit vectors,
√(2 − 2·cos), as the face engines define it. 100,000 × 128 vectors take 49 MiB and one search
takes a few milliseconds on one core (`scripts/bench_face.py`); the quiz's galleries are far
smaller.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Match(NamedTuple):
    artist_id: int
    distance: float
    row: int  # the photo's row in the vectors the gallery was built from


class FaceGallery:
    def __init__(self, vectors: npt.ArrayLike, artist_ids: npt.ArrayLike) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        ids = np.asarray(artist_ids, dtype=np.int64)
        if matrix.ndim != 2 or ids.shape != (matrix.shape[0],):
            raise ValueError(f"{matrix.shape} vectors for {ids.shape} artist ids")
        order = np.argsort(ids, kind="stable")
        self.dimension = matrix.shape[1]
        self.vectors = np.ascontiguousarray(matrix[order])
        self.artist_ids = ids[order]
        self.rows = order
        self._artists, self._starts = np.unique(self.artist_ids, return_index=True)

    def __len__(self) -> int:
        return len(self.artist_ids)

    def best(self, query: npt.ArrayLike, k: int = 5) -> list[Match]:
        """The k photos nearest to `query` (a unit vector), nearest first."""
        if not len(self) or k <= 0:
            return []
        cosine = self._cosines(query)
        top = _top(cosine, k)
        return [
            Match(int(self.artist_ids[i]), _distance(cosine[i]), int(self.rows[i])) for i in top
        ]

    def best_per_artist(
        self, query: npt.ArrayLike, allowed: Collection[int] | None = None, limit: int = 5
    ) -> list[Match]:
        """For the `limit` nearest artists (among `allowed`, or all), their nearest photo."""
        if not len(self) or limit <= 0:
            return []
        cosine = self._cosines(query)
        per_artist = np.maximum.reduceat(cosine, self._starts)
        if allowed is not None:
            permitted = np.isin(self._artists, np.fromiter(allowed, dtype=np.int64))
            per_artist = np.where(permitted, per_artist, -np.inf)
        matches = []
        for group in _top(per_artist, limit):
            if per_artist[group] == -np.inf:
                break
            start = self._starts[group]
            end = self._starts[group + 1] if group + 1 < len(self._starts) else len(self)
            row = start + int(np.argmax(cosine[start:end]))
            matches.append(
                Match(int(self._artists[group]), _distance(cosine[row]), int(self.rows[row]))
            )
        return matches

    def _cosines(self, query: npt.ArrayLike) -> npt.NDArray[np.float32]:
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        if vector.shape != (self.dimension,):
            raise ValueError(f"a {vector.shape} query for {self.dimension}-d vectors")
        cosines: npt.NDArray[np.float32] = self.vectors @ vector
        return cosines


def _top(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """Indices of the k largest scores, largest first."""
    if k < len(scores):
        candidates = np.argpartition(scores, len(scores) - k)[len(scores) - k :]
    else:
        candidates = np.arange(len(scores))
    ordered: npt.NDArray[np.intp] = candidates[np.argsort(-scores[candidates], kind="stable")]
    return ordered


def _distance(cosine: np.float32) -> float:
    return float(np.sqrt(max(0.0, 2.0 - 2.0 * float(cosine))))
