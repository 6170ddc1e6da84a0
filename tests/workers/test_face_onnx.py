"""dlib's face ResNet converted to ONNX reproduces dlib's own descriptors (dlib-bin)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stario.workers.engines import face_dlib_onnx
from stario.workers.engines.face_align import RESNET_MODEL, SHAPE_MODEL, face_models_dir
from stario.workers.engines.face_dlib_onnx import DlibFormatError, converted_model, parse
from stario.workers.engines.face_local import LocalFaceEngine
from tests.workers.face_pairs import DEEPFACE, FACES_FR

PHOTOS = [
    FACES_FR / "obama.jpg",
    FACES_FR / "biden.jpg",
    DEEPFACE / "img3.jpg",
    DEEPFACE / "img22.jpg",
]
DAT = face_models_dir() / RESNET_MODEL


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalFaceEngine:
    engine = LocalFaceEngine(cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    engine.load()
    return engine


def test_onnx_reproduces_dlib_descriptors_on_real_face_chips(engine: LocalFaceEngine) -> None:
    dlib: Any = importlib.import_module("dlib")
    reference = dlib.face_recognition_model_v1(str(DAT))
    chips = []
    for path in PHOTOS:
        rgb, faces = engine.find_faces(path.read_bytes())
        chips.append(engine.chip(rgb, faces[0]))
    batch = np.stack(chips)
    session = engine._models()[0]
    ours = session.run(None, {face_dlib_onnx.INPUT_NAME: batch.astype(np.float32)})[0]
    theirs = np.array([reference.compute_face_descriptor(chip) for chip in chips])
    assert ours.shape == (len(PHOTOS), 128)
    assert np.abs(ours - theirs).max() < 1e-4
    # and the descriptors are not all alike: different people are far apart
    assert np.linalg.norm(theirs[0] - theirs[1]) > 0.6


def test_engine_vectors_are_dlibs_descriptors_normalised(engine: LocalFaceEngine) -> None:
    dlib: Any = importlib.import_module("dlib")
    reference = dlib.face_recognition_model_v1(str(DAT))
    rgb, faces = engine.find_faces(PHOTOS[0].read_bytes())
    chip = engine.chip(rgb, faces[0])
    expected = np.array(reference.compute_face_descriptor(chip))
    vector = engine.embed_photo(PHOTOS[0].read_bytes()).vector
    assert vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert np.abs(vector - expected / np.linalg.norm(expected)).max() < 1e-4


def test_the_onnx_file_is_built_once_per_model_file(tmp_path: Path) -> None:
    first = converted_model(DAT, tmp_path)
    stamp = first.stat().st_mtime_ns
    os.utime(first, ns=(stamp - 10**9, stamp - 10**9))
    second = converted_model(DAT, tmp_path)
    assert second == first
    assert second.stat().st_mtime_ns == stamp - 10**9  # reused, not rewritten
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary left


def test_a_file_that_is_not_the_face_resnet_is_refused() -> None:
    data = DAT.read_bytes()
    with pytest.raises(DlibFormatError):
        parse(data[: len(data) // 2])
    with pytest.raises(DlibFormatError):
        parse((face_models_dir() / SHAPE_MODEL).read_bytes())
    with pytest.raises(DlibFormatError):
        parse(data + b"\x00")
