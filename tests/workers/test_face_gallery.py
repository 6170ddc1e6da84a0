"""The in-memory gallery index against a brute-force search."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from stario.workers.face_gallery import FaceGallery


def unit(rows: int, seed: int) -> npt.NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((rows, 128)).astype(np.float32)
    normalised: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


@pytest.fixture(scope="module")
def data() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    vectors = unit(5000, seed=1)
    artists = np.random.default_rng(2).integers(100, 1100, size=5000).astype(np.int64)
    return vectors, artists


def test_best_matches_a_full_sort(
    data: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
) -> None:
    vectors, artists = data
    gallery = FaceGallery(vectors, artists)
    for query in unit(20, seed=3):
        expected = np.argsort(np.linalg.norm(vectors - query, axis=1))[:7]
        found = gallery.best(query, 7)
        assert [match.row for match in found] == expected.tolist()
        assert [match.artist_id for match in found] == artists[expected].tolist()
        np.testing.assert_allclose(
            [m.distance for m in found],
            np.linalg.norm(vectors[expected] - query, axis=1),
            atol=1e-5,
        )


def test_best_per_artist_is_each_artists_nearest_photo(
    data: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
) -> None:
    vectors, artists = data
    gallery = FaceGallery(vectors, artists)
    for query in unit(20, seed=4):
        distances = np.linalg.norm(vectors - query, axis=1)
        nearest: dict[int, tuple[float, int]] = {}
        for row, (artist, d) in enumerate(zip(artists.tolist(), distances.tolist(), strict=True)):
            if artist not in nearest or d < nearest[artist][0]:
                nearest[artist] = (d, row)
        expected = sorted(nearest.items(), key=lambda item: item[1][0])[:5]
        found = gallery.best_per_artist(query, limit=5)
        assert [(m.artist_id, m.row) for m in found] == [(a, r) for a, (_, r) in expected]
        assert len({m.artist_id for m in found}) == 5


def test_best_per_artist_only_among_allowed_artists(
    data: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
) -> None:
    vectors, artists = data
    gallery = FaceGallery(vectors, artists)
    allowed = [int(artists[10]), int(artists[20]), 999_999]  # one that has no photo
    found = gallery.best_per_artist(vectors[10], allowed, limit=5)
    assert found[0].artist_id == artists[10]
    assert {m.artist_id for m in found} == {int(artists[10]), int(artists[20])}
    assert found[0].row == 10
    assert found[0].distance == pytest.approx(0.0, abs=1e-3)
    assert gallery.best_per_artist(vectors[10], [999_999]) == []


def test_an_empty_gallery_finds_nothing_and_bad_shapes_are_refused() -> None:
    empty = FaceGallery(np.zeros((0, 128), np.float32), np.zeros(0, np.int64))
    assert len(empty) == 0
    assert empty.best(unit(1, 5)[0]) == []
    assert empty.best_per_artist(unit(1, 5)[0]) == []
    with pytest.raises(ValueError, match="artist ids"):
        FaceGallery(unit(3, 6), [1, 2])
    with pytest.raises(ValueError, match="query"):
        FaceGallery(unit(3, 6), [1, 2, 3]).best(np.ones(512, np.float32))
