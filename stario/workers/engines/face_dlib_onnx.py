"""dlib's face recognition ResNet as an ONNX graph, built from dlib's own model file.

`dlib_face_recognition_resnet_model_v1.dat` (public domain, from the PyPI package
`face-recognition-models`) is dlib's serialised `anet_type` of `dnn_face_recognition_ex.cpp`:
a 29-conv ResNet (150×150 RGB chip → 128-d vector). dlib-bin, the only prebuilt dlib wheel, has
no BLAS and spends ~90 ms per chip in it; onnxruntime runs the same weights in ~15 ms on one
core. This module reads the .dat stream, checks it against that architecture, and writes an
equivalent ONNX model, cached under a folder keyed by the .dat's sha256 so it is built once.

dlib's conventions that the graph reproduces:
- input: (pixel − per-channel mean stored in the file) / 256, channels R, G, B;
- conv / pooling: no padding when the stride is not 1 (the padding is read from the file);
- `add_prev` of tensors of different shapes zero-extends both to the larger shape (top-left
  aligned); this happens in the 256-channel down-sampling blocks (3×3 against 4×4);
- affine layers (frozen batch norm) are x·γ + β per channel; fc_no_bias is x·W, W stored
  inputs × outputs.

The stream format (dlib/serialize.h, dlib/dnn/*.h): integers are one byte (bit 7 = negative,
low bits = byte count) then that many little-endian bytes; floats are an integer mantissa and
exponent; strings are a length then the bytes; booleans are the characters '0'/'1'; tensors
(version 2) are version, n, k, nr, nc then raw little-endian float32. A network is written
top-down as nested version numbers, then each layer's details bottom-up.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stario.workers.engines.base import EngineError

CHIP_SIZE = 150
INPUT_NAME = "chip"  # N × 150 × 150 × 3 uint8-valued float32 RGB (NHWC, as images come)
OUTPUT_NAME = "descriptor"  # N × 128, not normalised (dlib's vectors are close to unit length)
_CONVERTER_VERSION = 1  # bump when the graph changes, so cached files are rebuilt


class DlibFormatError(EngineError):
    """The .dat file is not the network this converter knows."""


# --- Reading dlib's stream -----------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def integer(self) -> int:
        head = self.data[self.at]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if head & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(mantissa * 2.0**exponent)

    def text(self) -> str:
        size = self.integer()
        value = self.data[self.at : self.at + size]
        self.at += size
        return value.decode("latin-1")

    def boolean(self) -> bool:
        value = self.data[self.at : self.at + 1]
        self.at += 1
        if value not in (b"0", b"1"):
            raise DlibFormatError(f"expected a boolean at byte {self.at - 1}")
        return value == b"1"

    def tensor(self) -> npt.NDArray[np.float32]:
        version = self.integer()
        if version != 2:
            raise DlibFormatError(f"tensor version {version} (expected 2)")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.at)
        self.at += 4 * count
        return values.astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, ...]:
        self.expect_int(1, "alias_tensor version")
        return tuple(self.integer() for _ in range(4))

    def expect_int(self, expected: int, what: str) -> None:
        value = self.integer()
        if value != expected:
            raise DlibFormatError(f"{what}: {value} (expected {expected})")

    def expect_text(self, expected: str) -> None:
        value = self.text()
        if value != expected:
            raise DlibFormatError(f"layer {value!r} where {expected!r} was expected")


# --- The architecture of dnn_face_recognition_ex.cpp, bottom-up -----------------------------


@dataclass(frozen=True, slots=True)
class _Op:
    kind: str  # con, affine, relu, max_pool, avg_pool, add_prev, fc, tag, skip
    tag: int = 0  # for tag / skip / add_prev
    filters: int = 0
    stride: int = 1


def _residual(filters: int, down: bool) -> Iterator[_Op]:
    stride = 2 if down else 1
    yield _Op("tag", tag=1)
    yield from (_Op("con", filters=filters, stride=stride), _Op("affine"), _Op("relu"))
    yield from (_Op("con", filters=filters), _Op("affine"))
    if down:
        yield from (_Op("tag", tag=2), _Op("skip", tag=1), _Op("avg_pool", stride=2))
        yield _Op("add_prev", tag=2)
    else:
        yield _Op("add_prev", tag=1)
    yield _Op("relu")


def architecture() -> list[_Op]:
    ops = [_Op("con", filters=32, stride=2), _Op("affine"), _Op("relu"), _Op("max_pool")]
    for filters, count in ((32, 3), (64, 4), (128, 3), (256, 3), (256, 1)):
        down = filters != 32
        for index in range(count):
            ops += _residual(filters, down=down and index == 0)
    return [*ops, _Op("avg_pool"), _Op("fc", filters=128)]


# --- Parsing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Layer:
    op: _Op
    weights: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)
    kernel: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


@dataclass(slots=True)
class ParsedNet:
    mean_rgb: tuple[float, float, float]
    layers: list[_Layer]


def parse(data: bytes) -> ParsedNet:
    """The layers of dlib's face ResNet in `data`, checked against `architecture()`."""
    reader = _Reader(data)
    try:
        return _parse(reader)
    except (IndexError, ValueError) as error:
        raise DlibFormatError(f"truncated or malformed at byte {reader.at}: {error}") from error


def _parse(reader: _Reader) -> ParsedNet:
    ops = architecture()
    reader.expect_int(1, "add_loss_layer version")
    reader.expect_text("loss_metric_2")
    reader.real(), reader.real()  # margin and distance threshold (training only)
    computational = [op for op in ops if op.kind not in ("tag", "skip")]
    # top-down version numbers: 2 per add_layer (3 for the one on the input), 1 per tag/skip
    for op in reversed(ops[1:]):
        reader.expect_int(1 if op.kind in ("tag", "skip") else 2, f"{op.kind} version")
    reader.expect_int(3, "input add_layer version")
    reader.expect_text("input_rgb_image_sized")
    mean = (reader.real(), reader.real(), reader.real())
    reader.expect_int(CHIP_SIZE, "input rows")
    reader.expect_int(CHIP_SIZE, "input columns")
    layers = []
    for index, op in enumerate(computational):
        layers.append(_details(reader, op))
        _skip_layer_state(reader, first=index == 0)
    if reader.at != len(reader.data):
        raise DlibFormatError(f"{len(reader.data) - reader.at} bytes left after the network")
    by_position = iter(layers)
    ordered = [next(by_position) if op.kind not in ("tag", "skip") else _Layer(op) for op in ops]
    return ParsedNet(mean_rgb=mean, layers=ordered)


def _skip_layer_state(reader: _Reader, first: bool) -> None:
    """The training state add_layer writes after its details (flags and gradient tensors)."""
    for _ in range(3):
        reader.boolean()
    for _ in range(3):
        reader.tensor()
    if first:
        reader.integer()  # sample expansion factor


def _details(reader: _Reader, op: _Op) -> _Layer:
    layer = _Layer(op)
    if op.kind == "con":
        reader.expect_text("con_4")
        params = reader.tensor().reshape(-1)
        filters, rows, cols = reader.integer(), reader.integer(), reader.integer()
        layer.stride = (reader.integer(), reader.integer())
        layer.padding = (reader.integer(), reader.integer())
        shape, bias_shape = reader.alias(), reader.alias()
        for _ in range(4):
            reader.real()  # learning-rate and weight-decay multipliers
        if filters != op.filters or layer.stride != (op.stride, op.stride):
            raise DlibFormatError(f"con {filters}/{layer.stride}, expected {op}")
        size = int(np.prod(shape))
        layer.kernel = (rows, cols)
        layer.weights["w"] = params[:size].reshape(shape)
        layer.weights["b"] = params[size : size + int(np.prod(bias_shape))]
    elif op.kind == "affine":
        reader.expect_text("affine_")
        params = reader.tensor().reshape(-1)
        gamma, _beta = reader.alias(), reader.alias()
        reader.expect_int(0, "affine mode (0 = CONV_MODE, per channel)")
        channels = int(np.prod(gamma))
        layer.weights["gamma"], layer.weights["beta"] = params[:channels], params[channels:]
    elif op.kind in ("max_pool", "avg_pool"):
        reader.expect_text(f"{op.kind}_2")
        layer.kernel = (reader.integer(), reader.integer())
        layer.stride = (reader.integer(), reader.integer())
        layer.padding = (reader.integer(), reader.integer())
    elif op.kind == "relu":
        reader.expect_text("relu_")
    elif op.kind == "add_prev":
        reader.expect_text("add_prev_")
    elif op.kind == "fc":
        reader.expect_text("fc_2")
        outputs, inputs = reader.integer(), reader.integer()
        params = reader.tensor().reshape(-1)
        reader.alias(), reader.alias()
        reader.expect_int(1, "fc bias mode (1 = no bias)")
        for _ in range(4):
            reader.real()
        layer.weights["w"] = params[: inputs * outputs].reshape(inputs, outputs)
    return layer


# --- Building the ONNX graph -------------------------------------------------------------


def build_onnx(net: ParsedNet) -> bytes:
    """A serialised ONNX model: `chip` (N×150×150×3, 0…255) → `descriptor` (N×128)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    weights: list[Any] = []
    names = iter(f"t{index}" for index in range(10_000))

    def constant(array: npt.NDArray[Any]) -> str:
        name = next(names)
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op_type: str, inputs: list[str], **attributes: Any) -> str:
        out = next(names)
        nodes.append(helper.make_node(op_type, inputs, [out], **attributes))
        return out

    mean = np.array(net.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    nchw = node("Transpose", [INPUT_NAME], perm=[0, 3, 1, 2])
    scale = constant(np.array(1 / 256, dtype=np.float32))
    current = node("Mul", [node("Sub", [nchw, constant(mean)]), scale])
    tags: dict[int, str] = {}
    for layer in net.layers:
        current = _emit(layer, current, tags, node, constant)
    nodes.append(helper.make_node("Identity", [current], [OUTPUT_NAME]))
    graph = helper.make_graph(
        nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["n", 150, 150, 3])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n", 128])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    serialized: bytes = model.SerializeToString()
    return serialized


def _emit(layer: _Layer, x: str, tags: dict[int, str], node: Any, constant: Any) -> str:
    op = layer.op
    pads = [layer.padding[0], layer.padding[1], layer.padding[0], layer.padding[1]]
    if op.kind == "tag":
        tags[op.tag] = x
        return x
    if op.kind == "skip":
        return tags[op.tag]
    if op.kind == "con":
        w, b = layer.weights["w"], layer.weights["b"]
        return str(
            node(
                "Conv",
                [x, constant(w), constant(b)],
                kernel_shape=list(layer.kernel),
                strides=list(layer.stride),
                pads=pads,
            )
        )
    if op.kind == "affine":
        channels = layer.weights["gamma"].size
        gamma = layer.weights["gamma"].reshape(1, channels, 1, 1)
        beta = layer.weights["beta"].reshape(1, channels, 1, 1)
        return str(node("Add", [node("Mul", [x, constant(gamma)]), constant(beta)]))
    if op.kind == "relu":
        return str(node("Relu", [x]))
    if op.kind in ("max_pool", "avg_pool"):
        if layer.kernel == (0, 0):  # avg_pool_everything
            return str(node("GlobalAveragePool", [x]))
        onnx_op = "MaxPool" if op.kind == "max_pool" else "AveragePool"
        return str(
            node(
                onnx_op,
                [x],
                kernel_shape=list(layer.kernel),
                strides=list(layer.stride),
                pads=pads,
            )
        )
    if op.kind == "add_prev":
        return _zero_extended_sum(x, tags[op.tag], node, constant)
    if op.kind == "fc":
        flat = node("Flatten", [x], axis=1)
        return str(node("MatMul", [flat, constant(layer.weights["w"])]))
    raise DlibFormatError(f"no ONNX form for {op.kind}")


def _zero_extended_sum(a: str, b: str, node: Any, constant: Any) -> str:
    """a + b, each padded with zeros at the end of every axis to the larger shape (dlib's
    tt::add for tensors of different sizes)."""
    shape_a, shape_b = node("Shape", [a]), node("Shape", [b])
    target = node("Max", [shape_a, shape_b])
    zeros = constant(np.zeros(4, dtype=np.int64))

    def extended(x: str, shape: str) -> str:
        pads = node("Concat", [zeros, node("Sub", [target, shape])], axis=0)
        return str(node("Pad", [x, pads]))

    return str(node("Add", [extended(a, shape_a), extended(b, shape_b)]))


# --- The cached file -----------------------------------------------------------------------


def converted_model(dat_path: Path, cache_dir: Path) -> Path:
    """The ONNX file for `dat_path`, built on first use and kept under `cache_dir` by the
    .dat's sha256 (an atomic rename, so concurrent workers never read half a file)."""
    data = dat_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = cache_dir / f"dlib_face_resnet_{digest}_v{_CONVERTER_VERSION}.onnx"
    if target.is_file():
        return target
    model = build_onnx(parse(data))
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(model)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
