"""Face Quiz engine benchmark: per-stage latency on one core, gallery search, and accuracy.

    .venv/bin/python scripts/bench_face.py [--rounds 3]

Single core: BLAS/OpenMP threads 1, onnxruntime intra-op 1, the process pinned to one CPU.
Every test photo of shared/testdata (the original files, up to 4600 px) goes through decode,
orientation, detection, landmarks + alignment, embedding, and a search of a gallery of
1,000 artists × 5 photos (random unit vectors); median and p95 per stage and in total
(targets: total p95 ≤ 100 ms; search over 100,000 vectors p95 ≤ 5 ms). Then accuracy on the
labelled pairs: ROC AUC per set and over all, and accuracy at the engine's threshold.
"""

# ruff: noqa: E402 - the thread limits must be set before numpy and onnxruntime load
from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse
import io
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stario.workers.engines.face_local import LONG_SIDE, LocalFaceEngine
from stario.workers.engines.landmarks import detect_faces
from stario.workers.face_gallery import FaceGallery
from tests.workers.face_pairs import all_photos, pair_sets, roc_auc


class Laps:
    """Records the milliseconds since the previous lap under each stage's name."""

    def __init__(self, into: dict[str, list[float]]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage].append((now - self.last) * 1000)
        self.last = now


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG" and max(image.size) > LONG_SIDE:
        scale = LONG_SIDE / max(image.size)
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    return image


def orient(image: Image.Image) -> npt.NDArray[np.uint8]:
    upright = ImageOps.exif_transpose(image).convert("RGB")
    if max(upright.size) > LONG_SIDE:
        upright.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.BICUBIC)
    return np.asarray(upright)


def unit_vectors(count: int, seed: int) -> npt.NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((count, 128)).astype(np.float32)
    normalised: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


def summary(times: list[float]) -> str:
    return f"{np.median(times):7.2f} / {np.percentile(times, 95):7.2f} ms  (n={len(times)})"


def latency(engine: LocalFaceEngine, rounds: int) -> None:
    gallery = FaceGallery(unit_vectors(5000, seed=1), np.repeat(np.arange(1000), 5))
    photos = [path.read_bytes() for path in all_photos()]
    stages: dict[str, list[float]] = defaultdict(list)
    for round_number in range(rounds + 1):  # the first round only warms up
        current: dict[str, list[float]] = defaultdict(list)
        for data in photos:
            lap = Laps(current)
            image = decode(data)
            lap("decode")
            rgb = orient(image)
            lap("orientation")
            faces = detect_faces(Image.fromarray(rgb))
            lap("detection")
            largest = max(faces, key=lambda face: float(face.box[2] - face.box[0]))
            chip = engine.chip(rgb, largest)
            lap("landmarks+alignment")
            vector = engine.embed_chips(chip[None])[0]
            lap("embedding")
            gallery.best_per_artist(vector, None, 5)
            lap("search 5,000")
            gallery.best_per_artist(engine.embed_photo(data).vector, None, 5)
            lap("TOTAL (bytes → top 5)")
        if round_number:
            for stage, values in current.items():
                stages[stage] += values
    print(f"Per photo, {len(photos)} photos × {rounds} rounds, median / p95:")
    for stage, values in stages.items():
        print(f"  {stage:24} {summary(values)}")


def big_gallery() -> None:
    gallery = FaceGallery(unit_vectors(100_000, seed=2), np.arange(100_000) // 5)
    queries = unit_vectors(503, seed=3)
    best: list[float] = []
    per_artist: list[float] = []
    for index, query in enumerate(queries):
        started = time.perf_counter()
        gallery.best(query, 5)
        middle = time.perf_counter()
        gallery.best_per_artist(query, None, 5)
        if index >= 3:  # after 3 warm-up queries
            best.append((middle - started) * 1000)
            per_artist.append((time.perf_counter() - middle) * 1000)
    print("Gallery of 100,000 vectors (20,000 artists × 5), median / p95:")
    print(f"  {'best(q, 5)':24} {summary(best)}")
    print(f"  {'best_per_artist(q, 5)':24} {summary(per_artist)}")


def accuracy(engine: LocalFaceEngine) -> None:
    sets = pair_sets()
    paths = sorted({p for pairs in sets.values() for pair in pairs for p in (pair.a, pair.b)})
    vectors = {path: engine.embed_photo(path.read_bytes()).vector for path in paths}
    print(f"Accuracy at threshold {engine.threshold} ({len(paths)} labelled photos):")
    union_d: list[float] = []
    union_s: list[bool] = []
    everything = [pair for listed in sets.values() for pair in listed]
    for name, pairs in [*sets.items(), ("ALL", everything)]:
        d = np.array([np.linalg.norm(vectors[p.a] - vectors[p.b]) for p in pairs])
        s = np.array([p.same for p in pairs])
        if name != "ALL":
            union_d += d.tolist()
            union_s += s.tolist()
        correct = int(((d <= engine.threshold) == s).sum())
        print(
            f"  {name:11} {len(pairs):4} pairs ({s.sum():3} same)  AUC {roc_auc(d, s):.4f}  "
            f"correct {correct}/{len(pairs)} = {correct / len(pairs):.2%}  "
            f"same max {d[s].max():.3f}  different min {d[~s].min():.3f}"
        )
    d, s = np.array(union_d), np.array(union_s)
    print(
        f"  same-person distances: median {np.median(d[s]):.3f}, p95 {np.percentile(d[s], 95):.3f}"
    )
    print(
        f"  different people: p1 {np.percentile(d[~s], 1):.3f}, median {np.median(d[~s]):.3f}, "
        f"p99 {np.percentile(d[~s], 99):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        engine = LocalFaceEngine(cache_dir=Path(cache), threads=1)
        engine.load()
        loaded = time.perf_counter() - started
        print(f"Engine {engine.name}: loaded (ONNX converted) in {loaded:.2f} s")
        print(f"Pinned to CPU {cpu}; {os.cpu_count()} CPUs on the machine")
        latency(engine, args.rounds)
        big_gallery()
        accuracy(engine)


if __name__ == "__main__":
    main()
