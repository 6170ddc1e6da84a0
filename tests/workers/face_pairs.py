"""The labelled face pairs of shared/testdata (internal test data, never shipped).

Three sets: deepface's `master.csv` (300 pairs) and `face-recognition-pivot.csv` (280), and
`faces-fr/identities.csv` (224 pairs of different source photos). See their README.md files.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"
DEEPFACE = TESTDATA / "faces-deepface"
FACES_FR = TESTDATA / "faces-fr"


@dataclass(frozen=True, slots=True)
class Pair:
    a: Path
    b: Path
    same: bool


def _deepface(name: str) -> list[Pair]:
    with (DEEPFACE / name).open(newline="") as file:
        rows = list(csv.reader(file))
    return [
        Pair(DEEPFACE / Path(row[0]).name, DEEPFACE / Path(row[1]).name, row[2] == "Yes")
        for row in rows[1:]
        if row
    ]


def _identities() -> list[Pair]:
    with (FACES_FR / "identities.csv").open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["identity"]]
    return [
        Pair(FACES_FR / x["file"], FACES_FR / y["file"], x["identity"] == y["identity"])
        for x, y in itertools.combinations(rows, 2)
        if x["source"] != y["source"]
    ]


def pair_sets() -> dict[str, list[Pair]]:
    return {
        "master": _deepface("master.csv"),
        "pivot": _deepface("face-recognition-pivot.csv"),
        "identities": _identities(),
    }


def all_photos() -> list[Path]:
    """Every test photo (labelled or not), sorted by name."""
    return sorted(
        path
        for folder in (DEEPFACE, FACES_FR)
        for path in folder.iterdir()
        if path.suffix.lower() in (".jpg", ".jpeg", ".png")
    )


def roc_auc(distances: npt.ArrayLike, same: npt.ArrayLike) -> float:
    """Probability that a same-person pair is closer than a different-person pair (ties
    count half): the ROC AUC of `-distance` as a score."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    positives, negatives = d[s], d[~s]
    closer = (positives[:, None] < negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    return float((closer + 0.5 * ties) / (positives.size * negatives.size))
