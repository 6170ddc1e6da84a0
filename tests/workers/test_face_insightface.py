"""The InsightFace/ONNX face engine, run by onnxruntime on tiny ONNX models built here with the
same signatures as SCRFD and ArcFace.

The test detector opens its gate only for reddish photos (mean R > mean B of its input), so a red
photo shows the planted faces and a blue one none: feeding BGR instead of RGB would flip that.
Its scores, box distances and keypoint distances are constant tensors that place faces at known
anchors. The test recognizer is a fixed linear projection of its input, so every chip gives its
own, predictable vector.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from stario.workers.engines.base import CapacityError, UserInputError
from stario.workers.engines.face_insightface import (
    ARCFACE_TEMPLATE,
    CHIP_SIZE,
    ArcFaceRecognizer,
    FaceModelError,
    InsightFaceEngine,
    ScrfdDetector,
    align,
    decode,
    decode_photo,
    nms,
    run_model,
    session_providers,
    sharpness,
    similarity_transform,
)
from stario.workers.engines.landmarks import MediaPipeFaceLocator

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"
SIZE = 640
EMBEDDING_DIM = 24
BIAS = np.linspace(-40, 40, EMBEDDING_DIM, dtype=np.float32)
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PlantedFace:
    """A face the test detector reports: its anchor, score, box and keypoints in input px."""

    stride: int
    cell: tuple[int, int]  # column, row
    anchor: int
    score: float
    box: tuple[float, float, float, float]
    keypoints: FloatArray

    @property
    def centre(self) -> FloatArray:
        column, row = self.cell
        return np.array([column * self.stride, row * self.stride], np.float32)


def template_keypoints(left: float, top: float, side: float, angle_deg: float = 0.0) -> FloatArray:
    """The ArcFace template scaled to a `side`-px square at (left, top), then turned."""
    points = ARCFACE_TEMPLATE * (side / CHIP_SIZE)
    middle = np.array([side / 2, side / 2], np.float32)
    turn = math.radians(angle_deg)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    turned = (points - middle) @ rotation.T.astype(np.float32) + middle
    return (turned + np.array([left, top], np.float32)).astype(np.float32)


def planted(
    stride: int, cell: tuple[int, int], side: float, score: float = 0.9, anchor: int = 1
) -> PlantedFace:
    column, row = cell
    centre_x, centre_y = column * stride, row * stride
    left, top = centre_x - 0.4 * side, centre_y - 0.55 * side  # off-centre, like real boxes
    return PlantedFace(
        stride,
        cell,
        anchor,
        score,
        (left, top, left + side, top + side),
        template_keypoints(left, top, side, angle_deg=10),
    )


MAIN_FACE = planted(16, (20, 15), 160)  # anchor at (320, 240)
MAIN_BOX = (256, 152, 416, 312)


def build_detector(
    path: Path,
    faces: list[PlantedFace],
    *,
    anchors: int = 2,
    strides: tuple[int, ...] = (8, 16, 32),
    batched: bool = False,
    per_stride_order: bool = False,
    with_keypoints: bool = True,
) -> Path:
    """An SCRFD-shaped ONNX model reporting `faces` (when its input is reddish)."""
    graph_input = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, SIZE, SIZE])
    nodes = [
        helper.make_node("ReduceMean", ["input.1"], ["means"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["means", "red_minus_blue"], ["difference"]),
        helper.make_node("Mul", ["difference", "steep"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["gate_flat"]),
        helper.make_node("Reshape", ["gate_flat", "gate_shape"], ["gate"]),
    ]
    gate_shape = [1, 1, 1] if batched else [1, 1]
    initialisers = [
        numpy_helper.from_array(np.array([[1], [0], [-1]], np.float32), "red_minus_blue"),
        numpy_helper.from_array(np.array([1000], np.float32), "steep"),
        numpy_helper.from_array(np.array(gate_shape, np.int64), "gate_shape"),
    ]
    outputs: dict[tuple[str, int], onnx.ValueInfoProto] = {}
    for stride in strides:
        rows = (SIZE // stride) ** 2 * anchors
        tensors = {
            "score": np.zeros((rows, 1), np.float32),
            "bbox": np.zeros((rows, 4), np.float32),
            "kps": np.zeros((rows, 10), np.float32),
        }
        for face in (f for f in faces if f.stride == stride):
            column, row = face.cell
            index = (row * (SIZE // stride) + column) * anchors + face.anchor % anchors
            left, top, right, bottom = face.box
            centre_x, centre_y = face.centre
            tensors["score"][index] = face.score
            distances = [centre_x - left, centre_y - top, right - centre_x, bottom - centre_y]
            tensors["bbox"][index] = np.array(distances) / stride
            tensors["kps"][index] = ((face.keypoints - face.centre) / stride).ravel()
        for kind, tensor in tensors.items():
            if kind == "kps" and not with_keypoints:
                continue
            name = f"{kind}_{stride}"
            value = tensor[np.newaxis] if batched else tensor
            initialisers.append(numpy_helper.from_array(value, f"{name}_value"))
            if kind == "score":
                nodes.append(helper.make_node("Mul", [f"{name}_value", "gate"], [name]))
            else:
                nodes.append(helper.make_node("Identity", [f"{name}_value"], [name]))
            info = helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape))
            outputs[(kind, stride)] = info
    kinds = ("score", "bbox", "kps")
    if per_stride_order:
        order = [(kind, stride) for stride in strides for kind in kinds]
    else:
        order = [(kind, stride) for kind in kinds for stride in strides]
    graph = helper.make_graph(
        nodes,
        "scrfd_stand_in",
        [graph_input],
        [outputs[key] for key in order if key in outputs],
        initialisers,
    )
    save(graph, path)
    return path


def projection(dimension: int = EMBEDDING_DIM) -> FloatArray:
    rng = np.random.default_rng(7)
    return rng.standard_normal((3 * CHIP_SIZE * CHIP_SIZE, dimension)).astype(np.float32)


def build_recognizer(path: Path, *, dynamic: bool = False, chip: int = CHIP_SIZE) -> Path:
    """An ArcFace-shaped ONNX model: data (1×3×112×112) → flatten → fixed affine projection (the
    bias makes the vector's direction depend on the input's scale)."""
    graph_input = helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, chip, chip])
    shape: list[int | str] = ["batch", "features"] if dynamic else [1, EMBEDDING_DIM]
    output = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, shape)
    nodes = [
        helper.make_node("Flatten", ["data"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "weights"], ["projected"]),
        helper.make_node("Add", ["projected", "bias"], ["fc1"]),
    ]
    weights = numpy_helper.from_array(projection()[: 3 * chip * chip], "weights")
    bias = numpy_helper.from_array(BIAS, "bias")
    graph = helper.make_graph(nodes, "arcface_stand_in", [graph_input], [output], [weights, bias])
    save(graph, path)
    return path


def save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def models_dir(root: Path, faces: list[PlantedFace] | None = None) -> Path:
    folder = root / "models"
    build_detector(folder / "face" / "detector.onnx", [MAIN_FACE] if faces is None else faces)
    build_recognizer(folder / "face" / "recognizer.onnx")
    return folder


def make_engine(root: Path, faces: list[PlantedFace] | None = None) -> InsightFaceEngine:
    return InsightFaceEngine.from_models_dir(models_dir(root, faces))


def photo(
    width: int = SIZE, height: int = SIZE, *, red: bool = True, seed: int = 1, blur: float = 0
) -> npt.NDArray[np.uint8]:
    """Textured noise, reddish (the test detector sees faces) or bluish (it sees none)."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 90, (height, width, 3), dtype=np.uint8)
    rgb[..., 0 if red else 2] += np.uint8(150)
    if blur:
        return np.asarray(cv2.GaussianBlur(rgb, (0, 0), blur), np.uint8)
    return rgb


def png(rgb: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> InsightFaceEngine:
    return make_engine(tmp_path_factory.mktemp("face"))


@pytest.fixture(scope="module")
def locator() -> MediaPipeFaceLocator:
    return MediaPipeFaceLocator()


# --- Loading ---------------------------------------------------------------------------------


def test_loads_both_models_from_the_models_dir(engine: InsightFaceEngine) -> None:
    assert engine.dimension == EMBEDDING_DIM
    assert engine.name.startswith("insightface-recognizer-")
    assert len(engine.name) == len("insightface-recognizer-") + 8
    assert engine.threshold == pytest.approx(math.sqrt(2 - 2 * 0.35))
    expected = session_providers(ort.get_available_providers())
    assert engine.detector.session.get_providers() == expected
    assert engine.recognizer.session.get_providers() == expected


def test_cuda_is_preferred_when_onnxruntime_offers_it() -> None:
    assert session_providers(["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert session_providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == [
        "CPUExecutionProvider"
    ]


def test_engine_json_names_the_files_and_sets_the_threshold(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "face"
    build_detector(folder / "det_10g.onnx", [MAIN_FACE])
    build_recognizer(folder / "w600k_r50.onnx")
    settings = {
        "detector": "det_10g.onnx",
        "recognizer": "w600k_r50.onnx",
        "threshold_cosine": 0.4,
        "min_face_px": 100,
        "min_sharpness": 10,
    }
    (folder / "engine.json").write_text(json.dumps(settings), encoding="utf-8")

    engine = InsightFaceEngine.from_models_dir(tmp_path / "models")

    assert engine.name.startswith("insightface-w600k_r50-")
    assert engine.threshold == pytest.approx(math.sqrt(1.2))
    assert (engine.min_face_px, engine.min_sharpness) == (100, 10)


def test_other_weights_give_another_engine_name(tmp_path: Path) -> None:
    first = make_engine(tmp_path / "a")
    folder = models_dir(tmp_path / "b")
    recognizer = onnx.load(str(folder / "face" / "recognizer.onnx"))
    recognizer.graph.initializer[0].CopyFrom(numpy_helper.from_array(-projection(), "weights"))
    onnx.save(recognizer, str(folder / "face" / "recognizer.onnx"))

    assert InsightFaceEngine.from_models_dir(folder).name != first.name


@pytest.mark.parametrize(("missing", "layout"), [("detector", "SCRFD"), ("recognizer", "ArcFace")])
def test_a_missing_model_names_its_path_and_layout(
    tmp_path: Path, missing: str, layout: str
) -> None:
    folder = models_dir(tmp_path)
    (folder / "face" / f"{missing}.onnx").unlink()

    with pytest.raises(FileNotFoundError) as error:
        InsightFaceEngine.from_models_dir(folder)

    assert str(folder / "face" / f"{missing}.onnx") in str(error.value)
    assert layout in str(error.value)


@pytest.mark.parametrize(
    "config",
    [
        "{not json",
        '["detector.onnx"]',
        '{"detector": 3}',
        '{"threshold": 1.1}',
        '{"min_face_px": true}',
    ],
)
def test_a_bad_engine_json_is_refused(tmp_path: Path, config: str) -> None:
    folder = models_dir(tmp_path)
    (folder / "face" / "engine.json").write_text(config, encoding="utf-8")

    with pytest.raises(ValueError, match=r"engine\.json"):
        InsightFaceEngine.from_models_dir(folder)


def test_models_of_another_layout_are_refused(tmp_path: Path) -> None:
    no_keypoints = build_detector(tmp_path / "d.onnx", [MAIN_FACE], with_keypoints=False)
    small_chips = build_recognizer(tmp_path / "r.onnx", chip=64)

    with pytest.raises(FaceModelError, match="SCRFD"):
        ScrfdDetector(ort.InferenceSession(str(no_keypoints)))
    with pytest.raises(FaceModelError, match="112"):
        ArcFaceRecognizer(ort.InferenceSession(str(small_chips)))


def test_an_unreadable_model_file_is_named(tmp_path: Path) -> None:
    folder = models_dir(tmp_path)
    (folder / "face" / "detector.onnx").write_bytes(b"not a protobuf")

    with pytest.raises(FaceModelError, match=r"detector\.onnx"):
        InsightFaceEngine.from_models_dir(folder)


class FailingSession:
    def __init__(self, message: str) -> None:
        self.message = message

    def run(self, names: object, feed: object) -> list[FloatArray]:
        raise RuntimeError(self.message)


def test_running_out_of_gpu_memory_is_a_capacity_error(engine: InsightFaceEngine) -> None:
    blob = np.zeros((1, 3, CHIP_SIZE, CHIP_SIZE), np.float32)
    cuda_oom = "CUDA failure 2: out of memory ; GPU=0 ; expr=cudaMalloc(&p, size);"

    with pytest.raises(CapacityError):
        run_model(FailingSession(cuda_oom), "data", blob)
    with pytest.raises(RuntimeError, match="Non-zero status"):
        run_model(FailingSession("Non-zero status code returned while running Conv"), "x", blob)


# --- Detection -------------------------------------------------------------------------------


def test_detector_input_is_rgb_nchw_scaled_and_padded(engine: InsightFaceEngine) -> None:
    rgb = np.zeros((480, 1280, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 255, 128, 0

    blob, scale = engine.detector.blob(rgb)

    assert blob.shape == (1, 3, SIZE, SIZE)
    assert blob.dtype == np.float32
    assert scale == 0.5
    assert blob[0, :, 100, 300].tolist() == pytest.approx([127.5 / 128, 0.5 / 128, -127.5 / 128])
    assert blob[0, :, 240:, :].tolist() == pytest.approx(np.full((3, 400, SIZE), -127.5 / 128))


@pytest.mark.parametrize(
    ("anchors", "batched", "per_stride_order"), [(2, False, False), (1, True, True)]
)
def test_boxes_and_keypoints_are_decoded_at_their_anchor(
    tmp_path: Path, anchors: int, batched: bool, per_stride_order: bool
) -> None:
    corner = planted(8, (10, 70), 40, score=0.7, anchor=0)
    faint = planted(32, (15, 15), 200, score=0.45, anchor=0)
    path = build_detector(
        tmp_path / "d.onnx",
        [MAIN_FACE, corner, faint],
        anchors=anchors,
        batched=batched,
        per_stride_order=per_stride_order,
    )
    detector = ScrfdDetector(ort.InferenceSession(str(path)))

    faces = detector.detect(photo(1280, 1280))  # the detector sees it at half size

    assert [face.score for face in faces] == pytest.approx([0.9, 0.7])
    for face, expected in zip(faces, [MAIN_FACE, corner], strict=True):
        assert face.box.tolist() == pytest.approx([2 * v for v in expected.box], abs=1e-3)
        assert face.keypoints == pytest.approx(2 * expected.keypoints, abs=1e-3)


def test_decode_refuses_outputs_that_do_not_fit_the_input(engine: InsightFaceEngine) -> None:
    outputs = [np.zeros((rows, dim), np.float32) for dim in (1, 4, 10) for rows in (99, 50, 25)]

    with pytest.raises(FaceModelError, match="cells"):
        decode(outputs, SIZE, SIZE)


def test_overlapping_detections_keep_only_the_best(tmp_path: Path) -> None:
    shifted = planted(8, (41, 31), 160, score=0.8)  # same face, 8 px off: IoU ≈ 0.82
    beside = planted(8, (56, 30), 120, score=0.6)  # overlaps the main face by IoU ≈ 0.04
    path = build_detector(tmp_path / "d.onnx", [MAIN_FACE, shifted, beside])
    detector = ScrfdDetector(ort.InferenceSession(str(path)))

    faces = detector.detect(photo())

    assert [face.score for face in faces] == pytest.approx([0.9, 0.6])


def test_nms_suppresses_by_intersection_over_union() -> None:
    boxes = np.array(
        [[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 20], [20, 20, 30, 30]], np.float32
    )
    scores = np.array([0.6, 0.9, 0.8, 0.5], np.float32)

    # box 1 beats box 0 (IoU 0.82); box 2 overlaps box 1 by 90/210 ≈ 0.43 > 0.4.
    assert nms(boxes, scores, 0.4) == [1, 3]
    assert nms(boxes, scores, 0.5) == [1, 2, 3]
    assert nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.4) == []


# --- Alignment -------------------------------------------------------------------------------


def test_similarity_transform_recovers_an_exact_similarity() -> None:
    points = template_keypoints(300, 120, 210, angle_deg=-25)

    matrix = similarity_transform(points, ARCFACE_TEMPLATE)

    moved = points @ matrix[:, :2].T + matrix[:, 2]
    assert moved == pytest.approx(ARCFACE_TEMPLATE, abs=1e-3)
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    assert scale == pytest.approx(112 / 210, rel=1e-4)


@pytest.mark.parametrize("mirrored", [False, True])
def test_similarity_transform_is_the_least_squares_fit(mirrored: bool) -> None:
    rng = np.random.default_rng(3)
    points = template_keypoints(50, 80, 150, angle_deg=12) + rng.normal(0, 4, (5, 2))
    if mirrored:  # the best fit may not flip the face: it stays a rotation
        points[:, 0] *= -1

    matrix = similarity_transform(points.astype(np.float32), ARCFACE_TEMPLATE)

    # The same fit solved as a linear least-squares problem in (a, b, tx, ty).
    x, y = points[:, 0], points[:, 1]
    ones, zeros = np.ones(5), np.zeros(5)
    design = np.vstack([np.stack([x, -y, ones, zeros], 1), np.stack([y, x, zeros, ones], 1)])
    target = np.concatenate([ARCFACE_TEMPLATE[:, 0], ARCFACE_TEMPLATE[:, 1]])
    a, b, tx, ty = np.linalg.lstsq(design, target, rcond=None)[0]
    assert matrix == pytest.approx(np.array([[a, -b, tx], [b, a, ty]]), abs=1e-4)


def test_the_chip_puts_the_detected_keypoints_on_the_template(engine: InsightFaceEngine) -> None:
    rgb = photo()
    colours = [(255, 255, 255), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]
    for (x, y), colour in zip(MAIN_FACE.keypoints, colours, strict=True):
        cv2.circle(rgb, (round(float(x)), round(float(y))), 5, colour, -1)
    (face,) = engine.detector.detect(rgb)

    chip = align(rgb, face.keypoints)

    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    for (x, y), colour in zip(ARCFACE_TEMPLATE, colours, strict=True):
        assert chip[round(float(y)), round(float(x))].tolist() == list(colour)


# --- Embeddings ------------------------------------------------------------------------------


def test_the_embedding_is_the_normalised_projection_of_the_rgb_chip(
    engine: InsightFaceEngine,
) -> None:
    rgb = photo()

    result = engine.embed_selfie(png(rgb))

    chip = align(rgb, MAIN_FACE.keypoints)
    chw = (chip.astype(np.float64).transpose(2, 0, 1) - 127.5) / 127.5
    expected = chw.ravel() @ projection().astype(np.float64) + BIAS
    assert result.vector.dtype == np.float32
    assert result.vector.shape == (EMBEDDING_DIM,)
    assert np.linalg.norm(result.vector) == pytest.approx(1.0, abs=1e-6)
    assert result.vector == pytest.approx(expected / np.linalg.norm(expected), abs=1e-4)
    assert result.box == MAIN_BOX
    assert result.milliseconds > 0


def test_embeddings_are_deterministic_and_differ_between_faces(engine: InsightFaceEngine) -> None:
    one, again = (engine.embed_selfie(png(photo(seed=1))) for _ in range(2))
    other = engine.embed_selfie(png(photo(seed=2)))

    assert np.array_equal(one.vector, again.vector)
    assert float(np.linalg.norm(one.vector - other.vector)) > 0.1


def test_the_dimension_is_probed_when_the_model_leaves_it_open(tmp_path: Path) -> None:
    path = build_recognizer(tmp_path / "r.onnx", dynamic=True)

    assert ArcFaceRecognizer(ort.InferenceSession(str(path))).dimension == EMBEDDING_DIM


def test_transparent_photos_are_laid_over_white(engine: InsightFaceEngine) -> None:
    rgb = photo()
    alpha = np.full((SIZE, SIZE), 255, np.uint8)
    alpha[200:260, 250:400] = 0  # across the eyes
    rgba = np.dstack([rgb, alpha])
    flattened = rgb.copy()
    flattened[200:260, 250:400] = 255

    assert np.array_equal(
        engine.embed_selfie(png(rgba)).vector, engine.embed_selfie(png(flattened)).vector
    )


def test_a_photo_embeds_its_largest_face(tmp_path: Path) -> None:
    small = planted(8, (10, 60), 60, score=0.95)
    engine = make_engine(tmp_path, [small, MAIN_FACE])

    assert engine.embed_photo(png(photo())).box == MAIN_BOX


# --- Refusals --------------------------------------------------------------------------------


def reason(call: Callable[[], object]) -> str:
    with pytest.raises(UserInputError) as error:
        call()
    return error.value.reason


def test_a_photo_without_a_face_is_refused(engine: InsightFaceEngine) -> None:
    blue = png(photo(red=False))

    assert reason(lambda: engine.embed_selfie(blue)) == "no_face"
    assert reason(lambda: engine.embed_photo(blue)) == "no_face"


def test_unreadable_bytes_are_a_bad_photo(engine: InsightFaceEngine) -> None:
    assert reason(lambda: engine.embed_selfie(b"not an image")) == "bad_photo"
    assert reason(lambda: engine.embed_photo(png(photo())[:200])) == "bad_photo"


def test_a_selfie_with_two_faces_is_refused(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, [MAIN_FACE, planted(8, (60, 30), 100)])

    assert reason(lambda: engine.embed_selfie(png(photo()))) == "many_faces"


def test_a_small_face_in_the_background_is_ignored(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, [MAIN_FACE, planted(8, (60, 30), 70)])

    assert engine.embed_selfie(png(photo())).box == MAIN_BOX


def test_a_face_too_small_is_refused_in_a_selfie_only(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, [planted(8, (40, 30), 56)])

    assert reason(lambda: engine.embed_selfie(png(photo()))) == "face_too_small"
    assert engine.embed_photo(png(photo())).box == (298, 209, 354, 265)


def test_a_blurred_selfie_is_refused(engine: InsightFaceEngine) -> None:
    blurred = png(photo(blur=3))

    assert reason(lambda: engine.embed_selfie(blurred)) == "face_blurry"
    assert engine.embed_photo(blurred).vector.shape == (EMBEDDING_DIM,)


@pytest.mark.parametrize(
    "name",
    [
        "faces-fr/obama.jpg",
        "faces-fr/alex-lacamoire.png",
        "faces-deepface/img12.jpg",
        "faces-fr/biden.jpg",
    ],
)
def test_real_faces_pass_the_sharpness_check_and_blurred_ones_fail(
    engine: InsightFaceEngine, locator: MediaPipeFaceLocator, name: str
) -> None:
    rgb = decode_photo((TESTDATA / name).read_bytes())
    face = locator.locate(rgb)[0]
    assert face.points is not None
    eyes, mouth = (
        sorted([face.left_eye, face.right_eye]),
        sorted([face.mouth_left, face.mouth_right]),
    )
    keypoints = np.array([*eyes, face.points[1], *mouth], np.float32)  # mesh point 1: nose tip
    side = min(face.box[2] - face.box[0], face.box[3] - face.box[1])
    blurred = np.asarray(
        cv2.GaussianBlur(rgb, (0, 0), 2 * side / CHIP_SIZE), np.uint8
    )  # σ = 2 px of the chip

    assert sharpness(align(rgb, keypoints)) >= engine.min_sharpness
    assert sharpness(align(blurred, keypoints)) < engine.min_sharpness


# --- Similarity ------------------------------------------------------------------------------


def test_similarity_percent_falls_as_the_distance_grows(engine: InsightFaceEngine) -> None:
    distances = np.linspace(-0.5, 2.5, 301)
    percents = [engine.similarity_percent(float(d)) for d in distances]

    assert all(0 <= p <= 100 for p in percents)
    assert all(a >= b for a, b in itertools.pairwise(percents))
    assert percents[0] > 99 > 1 > percents[-1]
    assert engine.similarity_percent(engine.threshold) == pytest.approx(50)
    assert engine.similarity_percent(math.sqrt(2 - 2 * 0.1)) < 1  # strangers' cosine
    assert engine.similarity_percent(math.sqrt(2 - 2 * 0.6)) > 99  # one person's cosine
