"""Accuracy of the local face engine on the labelled pairs of shared/testdata.

804 pairs of 84 photos (see tests/workers/face_pairs.py). These are small celebrity sets: a
regression gate, not a benchmark (dlib's published LFW accuracy is 99.13 % without jitter).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from stario.workers.engines.face_local import LocalFaceEngine
from tests.workers.face_pairs import pair_sets, roc_auc


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, npt.NDArray[np.float32]]:
    engine = LocalFaceEngine(cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    photos = {
        path for pairs in pair_sets().values() for pair in pairs for path in (pair.a, pair.b)
    }
    return {path: engine.embed_photo(path.read_bytes()).vector for path in sorted(photos)}


def scored(
    vectors: dict[Path, npt.NDArray[np.float32]], name: str | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    pairs = [pair for key, listed in pair_sets().items() if name in (None, key) for pair in listed]
    distances = np.array([np.linalg.norm(vectors[p.a] - vectors[p.b]) for p in pairs])
    return distances, np.array([p.same for p in pairs])


def test_every_labelled_photo_has_a_face(vectors: dict[Path, npt.NDArray[np.float32]]) -> None:
    assert len(vectors) == 84  # the 91 test photos less the group and unlabelled ones


@pytest.mark.parametrize(("name", "count"), [("master", 300), ("pivot", 280), ("identities", 224)])
def test_each_set_is_ranked_almost_perfectly(
    vectors: dict[Path, npt.NDArray[np.float32]], name: str, count: int
) -> None:
    distances, same = scored(vectors, name)
    assert len(distances) == count
    assert roc_auc(distances, same) >= 0.999


def test_all_pairs_at_the_engines_threshold(
    vectors: dict[Path, npt.NDArray[np.float32]],
) -> None:
    distances, same = scored(vectors)
    assert len(distances) == 804
    assert roc_auc(distances, same) >= 0.999
    accuracy = float(((distances <= LocalFaceEngine.threshold) == same).mean())
    assert accuracy >= 0.995


def test_the_auc_measure_can_fail() -> None:
    assert roc_auc([0.1, 0.9], [False, True]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
