"""The diffusers poster engine, run for real on a tiny random Stable Diffusion pipeline that the
test builds and saves itself (no download, CPU, a few seconds)."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import torch
from PIL import Image
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from stario.workers.engines.base import (
    CapacityError,
    FaceLandmarks,
    PosterRequest,
    UserInputError,
)
from stario.workers.engines.poster_diffusers import (
    STYLE_PROMPTS,
    DiffusersPosterEngine,
    PosterModelError,
    _dtype_argument,
    build_prompt,
)
from stario.workers.engines.poster_local import POSTER_SIZE, TEMPLATES

PHOTO_PATH = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "faces-fr" / "obama.jpg"
# diffusers ships no type information: use it through an `Any`.
diffusers: Any = importlib.import_module("diffusers")

SIZE = (64, 80)  # generated background, width × height

# diffusers' Euler scheduler trips numpy 2's copy-keyword deprecation; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


class NoFaceLocator:
    def locate(self, rgb: npt.NDArray[np.uint8]) -> list[FaceLandmarks]:
        return []


def byte_alphabet() -> list[str]:
    """The 256 printable stand-ins CLIP's byte-level BPE uses for bytes."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    extra = [byte for byte in range(256) if byte not in printable]
    return [chr(code) for code in printable] + [chr(256 + n) for n in range(len(extra))]


def tiny_tokenizer(folder: Path) -> Any:
    """A CLIP tokenizer from a hand-written vocab (every byte, alone and word-final)."""
    alphabet = byte_alphabet()
    tokens = [*alphabet, *(f"{char}</w>" for char in alphabet)]
    tokens += ["er</w>", "<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True)
    vocab = {token: index for index, token in enumerate(tokens)}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\ne r</w>\n", encoding="utf-8")
    return CLIPTokenizer.from_pretrained(folder, model_max_length=77, local_files_only=True)


def tiny_pipeline(folder: Path) -> Any:
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer(folder / "tokenizer-source")
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=77,
            projection_dim=16,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = diffusers.UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=2,
        norm_num_groups=4,
    )
    vae = diffusers.AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 8),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    )
    return diffusers.StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=diffusers.EulerDiscreteScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-sd")
    tiny_pipeline(folder).save_pretrained(folder / "pipeline")
    return folder / "pipeline"


@pytest.fixture(scope="module")
def engine(model_dir: Path) -> DiffusersPosterEngine:
    return DiffusersPosterEngine(
        model_dir, NoFaceLocator(), steps=2, width=SIZE[0], height=SIZE[1]
    )


def poster_request(template: str = "neon") -> PosterRequest:
    return PosterRequest(
        photo=PHOTO_PATH.read_bytes(),
        template=template,
        lines=("Tugʻilgan kuning bilan!", "С днём рождения"),
        artist_name="Yulduz Usmonova",
        language="uz",
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_renders_a_poster_on_a_generated_background(
    engine: DiffusersPosterEngine, template: str
) -> None:
    stages: list[str] = []
    poster = engine.render(poster_request(template), stages.append)

    image = Image.open(io.BytesIO(poster.jpeg))
    assert image.format == "JPEG"
    assert image.size == POSTER_SIZE
    assert (poster.width, poster.height) == POSTER_SIZE
    assert max(Image.open(io.BytesIO(poster.preview_jpeg)).size) <= 1280
    assert stages == ["generating", "composing", "encoding"]
    assert poster.stage_seconds["generate"] > 0


def test_generated_background_is_used(engine: DiffusersPosterEngine) -> None:
    prompt = build_prompt("neon", ("hello",))
    first = engine.generate_background(prompt)
    again = engine.generate_background(prompt)
    assert first is not None
    assert again is not None
    assert first.size == SIZE
    assert np.array_equal(np.asarray(first), np.asarray(again))  # seeded by the prompt


def test_the_prompt_has_the_style_and_theme_but_not_the_artist() -> None:
    prompt = build_prompt("classic", ("Happy   birthday", "Aziza"))
    assert prompt.startswith(STYLE_PROMPTS["classic"])
    assert prompt.endswith("theme: Happy birthday Aziza")
    assert "Yulduz" not in build_prompt("neon", poster_request().lines)


def test_bad_input_is_refused_before_generating(engine: DiffusersPosterEngine) -> None:
    calls: list[str] = []
    request = PosterRequest(
        photo=b"garbage", template="neon", lines=("hi",), artist_name="A", language="en"
    )
    with pytest.raises(UserInputError):
        engine.render(request, calls.append)
    assert calls == []


def test_out_of_memory_is_a_capacity_error(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = DiffusersPosterEngine(model_dir, NoFaceLocator(), steps=1, width=64, height=64)

    def exhausted(*args: object, **kwargs: object) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(engine, "_pipe", exhausted)
    with pytest.raises(CapacityError):
        engine.render(poster_request(), lambda stage: None)


def test_blank_background_falls_back_to_the_painted_one(
    engine: DiffusersPosterEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Output:
        def __init__(self) -> None:
            self.images = [Image.new("RGB", SIZE, (0, 0, 0))]
            self.nsfw_content_detected = [True]

    monkeypatch.setattr(engine, "_pipe", lambda **kwargs: Output())
    assert engine.generate_background("anything") is None
    poster = engine.render(poster_request(), lambda stage: None)
    assert Image.open(io.BytesIO(poster.jpeg)).size == POSTER_SIZE


def test_missing_model_dir_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "sd-turbo"
    with pytest.raises(PosterModelError, match=str(missing)):
        DiffusersPosterEngine(missing, NoFaceLocator())


def test_a_dir_without_a_pipeline_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"\x00" * 16)
    with pytest.raises(PosterModelError, match=r"model_index\.json"):
        DiffusersPosterEngine(tmp_path, NoFaceLocator())


def test_a_broken_pipeline_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    with pytest.raises(PosterModelError, match=str(tmp_path)):
        DiffusersPosterEngine(tmp_path, NoFaceLocator())


def test_the_model_loads_in_float32_on_the_cpu(engine: DiffusersPosterEngine) -> None:
    assert engine._pipe.unet.dtype == torch.float32
    assert engine._pipe.device.type == "cpu"


@pytest.mark.parametrize(
    ("version", "keyword"),
    [
        ("0.35.2", "torch_dtype"),
        ("0.41.0", "torch_dtype"),
        ("0.42.1", "dtype"),
        ("1.0.0", "dtype"),
    ],
)
def test_the_dtype_keyword_follows_the_diffusers_version(version: str, keyword: str) -> None:
    class FakeDiffusers:
        __version__ = version

    assert _dtype_argument(FakeDiffusers, torch.float16) == {keyword: torch.float16}
