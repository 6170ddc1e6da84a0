"""The GPU talking-head adapter, run end to end against a stand-in program that follows the same
contract as the production one (`stand_in_talking_head.py`), configured through engine.json."""

from __future__ import annotations

import io
import json
import logging
import shutil
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from stario.workers.engines.base import (
    CapacityError,
    FaceLandmarks,
    GreetingRequest,
    RenderedVideo,
    Speech,
    TransientEngineError,
    UserInputError,
    VideoShape,
    WordTiming,
)
from stario.workers.engines.talking_head import (
    THUMB_LONG_SIDE,
    Layout,
    TalkingHeadEngine,
    captions_ass,
    classify_exit,
    resolve_command,
)

PHOTO_PATH = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "faces-fr" / "obama.jpg"
STAND_IN = Path(__file__).with_name("stand_in_talking_head.py")
FACE_BOX = (300.0, 200.0, 600.0, 560.0)
SAMPLE_RATE = 22050
DURATION_S = 3.0
WORDS = (
    WordTiming("Salom,", 0.3, 0.8),
    WordTiming("Oʻzbekiston!", 0.9, 1.4),
    WordTiming("Привет", 1.5, 1.9),
)
DURING_WORD_S = 0.6
AFTER_WORDS_S = 2.6  # past the last word and its hold


class FakeLocator:
    """One fixed face box, or none."""

    def __init__(self, box: tuple[float, float, float, float] | None = FACE_BOX) -> None:
        self.box = box
        self.calls = 0

    def locate(self, rgb: npt.NDArray[np.uint8]) -> list[FaceLandmarks]:
        self.calls += 1
        if self.box is None:
            return []
        centre = ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)
        return [FaceLandmarks(self.box, centre, centre, centre, centre, centre, centre, centre)]


@dataclass
class Progress:
    stages: list[str] = field(default_factory=list)

    def __call__(self, stage: str) -> None:
        self.stages.append(stage)


class GlyphWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def make_speech(words: tuple[WordTiming, ...] = WORDS) -> Speech:
    t = np.arange(int(SAMPLE_RATE * DURATION_S)) / SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return Speech(tone.astype(np.float32), SAMPLE_RATE, words)


def greeting(shape: VideoShape = VideoShape.SQUARE, photo: bytes | None = None) -> GreetingRequest:
    return GreetingRequest(
        photo=PHOTO_PATH.read_bytes() if photo is None else photo,
        text="Salom, Oʻzbekiston! Привет",
        language="uz",
        artist_name="Yulduz Usmonova",
        shape=shape,
    )


def write_engine_json(
    models_dir: Path, mode: str = "ok", timeout_s: float = 60, **env: str
) -> Path:
    folder = models_dir / "talking_head"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STAND_IN, folder / "stand_in.py")
    config = {
        "command": [sys.executable, "./stand_in.py"],
        "timeout_s": timeout_s,
        "env": {"STAND_IN_MODE": mode, **env},
    }
    path = folder / "engine.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def make_engine(
    root: Path, mode: str = "ok", timeout_s: float = 60, locator: FakeLocator | None = None,
    **env: str,
) -> TalkingHeadEngine:  # fmt: skip
    write_engine_json(root / "models", mode, timeout_s, **env)
    return TalkingHeadEngine.from_models_dir(
        root / "models", locator or FakeLocator(), workdir_root=root / "work"
    )


# --- Probing the MP4 -----------------------------------------------------------------------


def top_level_boxes(mp4: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(mp4):
        size, kind = struct.unpack(">I4s", mp4[offset : offset + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", mp4[offset + 8 : offset + 16])
        elif size == 0:
            size = len(mp4) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


@dataclass
class Probe:
    video_codec: str
    profile: str | None
    pix_fmt: str | None
    width: int
    height: int
    audio_codec: str
    audio_rate: int
    duration_s: float
    audio_rms: float
    frames: list[tuple[float, npt.NDArray[np.uint8]]]


def probe(mp4: bytes) -> Probe:
    with av.open(io.BytesIO(mp4), mode="r") as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert container.duration is not None
        facts: dict[str, Any] = {
            "video_codec": video.codec_context.name,
            "profile": video.codec_context.profile,
            "pix_fmt": video.codec_context.pix_fmt,
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "audio_codec": audio.codec_context.name,
            "audio_rate": audio.codec_context.sample_rate,
            "duration_s": container.duration / 1_000_000,
        }
        frames = [
            (float(frame.time or 0.0), np.asarray(frame.to_ndarray(format="rgb24"), np.uint8))
            for frame in container.decode(video=0)
        ]
    with av.open(io.BytesIO(mp4), mode="r") as container:
        samples = np.concatenate(
            [frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]
        )
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return Probe(**facts, audio_rms=rms, frames=frames)


def frame_at(result: Probe, seconds: float) -> npt.NDArray[np.int16]:
    _, frame = min(result.frames, key=lambda item: abs(item[0] - seconds))
    return frame.astype(np.int16)


def caption_band(frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    return frame[int(frame.shape[0] * 0.65) :]


def changed_pixels(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16]) -> int:
    return int((np.abs(a - b).max(axis=2) > 64).sum())


# --- Renders shared by the checks (three renders, about 2 s each) --------------------------


@dataclass
class Renders:
    results: dict[str, RenderedVideo]
    probes: dict[str, Probe]
    progress: dict[str, list[str]]
    request: dict[str, Any]
    glyph_warnings: list[str]
    work: Path


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    root = tmp_path_factory.mktemp("talking-head")
    saved = root / "request.json"
    engine = make_engine(root, STAND_IN_SAVE_REQUEST=str(saved))
    handler = GlyphWarnings()
    logging.getLogger("stario.workers.engines.talking_head").addHandler(handler)
    try:
        cases = {
            "square": (VideoShape.SQUARE, make_speech()),
            "vertical": (VideoShape.VERTICAL, make_speech()),
            "square-no-words": (VideoShape.SQUARE, make_speech(())),
        }
        results, progress = {}, {}
        for name, (shape, speech) in cases.items():
            calls = Progress()
            results[name] = engine.render(greeting(shape), speech, calls)
            progress[name] = calls.stages
    finally:
        logging.getLogger("stario.workers.engines.talking_head").removeHandler(handler)
    return Renders(
        results=results,
        probes={name: probe(result.mp4) for name, result in results.items()},
        progress=progress,
        request=json.loads(saved.read_text(encoding="utf-8")),
        glyph_warnings=handler.messages,
        work=root / "work",
    )


@pytest.mark.parametrize(("name", "size"), [("square", (720, 720)), ("vertical", (720, 1280))])
def test_output_is_telegram_ready_h264_aac(
    renders: Renders, name: str, size: tuple[int, int]
) -> None:
    result, facts = renders.results[name], renders.probes[name]
    assert (result.width, result.height) == size == (facts.width, facts.height)
    assert facts.video_codec == "h264"
    assert facts.profile == "High"
    assert facts.pix_fmt == "yuv420p"
    assert facts.audio_codec == "aac"
    assert facts.audio_rate == 44100
    assert abs(facts.duration_s - DURATION_S) <= 0.1 * DURATION_S
    assert result.duration_s == pytest.approx(DURATION_S)
    assert len(result.mp4) <= 50_000_000


@pytest.mark.parametrize("name", ["square", "vertical"])
def test_speech_replaces_the_programs_silent_audio(renders: Renders, name: str) -> None:
    assert renders.probes[name].audio_rms > 0.05


@pytest.mark.parametrize("name", ["square", "vertical"])
def test_moov_comes_before_mdat(renders: Renders, name: str) -> None:
    boxes = top_level_boxes(renders.results[name].mp4)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize("name", ["square", "vertical"])
def test_thumbnail_is_a_small_jpeg(renders: Renders, name: str) -> None:
    thumbnail = Image.open(io.BytesIO(renders.results[name].thumbnail_jpeg))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == THUMB_LONG_SIDE
    expected_ratio = renders.results[name].width / renders.results[name].height
    assert thumbnail.size[0] / thumbnail.size[1] == pytest.approx(expected_ratio, rel=0.02)


def test_captions_are_burnt_in_while_words_are_spoken(renders: Renders) -> None:
    with_words, without = renders.probes["square"], renders.probes["square-no-words"]
    during = changed_pixels(
        caption_band(frame_at(with_words, DURING_WORD_S)),
        caption_band(frame_at(without, DURING_WORD_S)),
    )
    after = changed_pixels(
        caption_band(frame_at(with_words, AFTER_WORDS_S)),
        caption_band(frame_at(without, AFTER_WORDS_S)),
    )
    assert during > 1000, "no caption drawn during a word"
    assert after < 100, "a caption is still drawn after the last word"
    assert renders.glyph_warnings == [], "the caption font lacks Uzbek or Cyrillic glyphs"


def test_request_json_follows_the_contract(renders: Renders) -> None:
    request = renders.request
    assert request["fps"] == 25
    assert (request["width"], request["height"]) == (720, 720)  # the last render: square
    assert request["language"] == "uz"
    assert request["text"] == "Salom, Oʻzbekiston! Привет"
    assert request["face_box"] == list(FACE_BOX)
    for key in ("source", "audio", "output"):
        assert Path(request[key]).is_absolute()
        assert Path(request[key]).parent == Path(request["source"]).parent


def test_progress_stages_and_timings(renders: Renders) -> None:
    for name, result in renders.results.items():
        assert renders.progress[name] == ["animating", "encoding"]
        assert set(result.stage_seconds) == {"prepare", "animating", "encoding"}
        assert all(seconds >= 0 for seconds in result.stage_seconds.values())


def test_temp_dirs_are_removed_after_renders(renders: Renders) -> None:
    assert list(renders.work.iterdir()) == []


# --- Failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error", "text"),
    [
        ("fail", TransientEngineError, "renderer broke"),
        ("oom", CapacityError, "CUDA out of memory"),
        ("empty", TransientEngineError, "no video"),
        ("missing", TransientEngineError, "no video"),
    ],
)
def test_program_failures_are_classified(
    tmp_path: Path, mode: str, error: type[Exception], text: str
) -> None:
    engine = make_engine(tmp_path, mode)
    progress = Progress()
    with pytest.raises(error, match=text):
        engine.render(greeting(), make_speech(), progress)
    assert progress.stages == ["animating"]
    assert list((tmp_path / "work").iterdir()) == []


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie is dead, only not yet reaped by init


def test_a_hung_program_is_killed_with_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    engine = make_engine(tmp_path, "hang", timeout_s=2, STAND_IN_PIDFILE=str(pidfile))
    started = time.monotonic()
    with pytest.raises(CapacityError, match="ran past 2 s"):
        engine.render(greeting(), make_speech(), Progress())
    assert time.monotonic() - started < 10
    pids = [int(pid) for pid in pidfile.read_text(encoding="utf-8").split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids), f"processes left behind: {pids}"
    assert list((tmp_path / "work").iterdir()) == []


def test_no_face_is_refused_before_the_program_runs(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, locator=FakeLocator(None))
    progress = Progress()
    with pytest.raises(UserInputError) as caught:
        engine.render(greeting(), make_speech(), progress)
    assert caught.value.reason == "no_face"
    assert progress.stages == []
    assert list((tmp_path / "work").iterdir()) == []


def _png_header_claiming(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


@pytest.mark.parametrize("photo", [b"", b"not an image at all", _png_header_claiming(8000, 6000)])
def test_bad_photos_are_refused(tmp_path: Path, photo: bytes) -> None:
    locator = FakeLocator()
    engine = make_engine(tmp_path, locator=locator)
    with pytest.raises(UserInputError) as caught:
        engine.render(greeting(photo=photo), make_speech(), Progress())
    assert caught.value.reason == "bad_photo"
    assert locator.calls == 0


# --- engine.json ---------------------------------------------------------------------------


def test_missing_engine_json_names_the_path_and_format(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        TalkingHeadEngine.from_models_dir(tmp_path, FakeLocator())
    message = str(caught.value)
    assert str(tmp_path / "talking_head" / "engine.json") in message
    assert '"command"' in message


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"command": "python run.py"}',
        '{"command": []}',
        '{"command": ["python"], "timeout_s": 0}',
        '{"command": ["python"], "env": {"A": 1}}',
    ],
)
def test_invalid_engine_json_is_a_value_error(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "talking_head"
    folder.mkdir()
    (folder / "engine.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"engine\.json") as caught:
        TalkingHeadEngine.from_models_dir(tmp_path, FakeLocator())
    assert "expected" in str(caught.value)


def test_unknown_program_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "talking_head"
    folder.mkdir()
    (folder / "engine.json").write_text('{"command": ["./no-such-program"]}', encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="no-such-program"):
        TalkingHeadEngine.from_models_dir(tmp_path, FakeLocator())


def test_relative_paths_in_the_command_resolve_against_the_engine_folder(tmp_path: Path) -> None:
    command = ["python", "-m", "liveportrait_cli", "--weights", "./weights", "cfg/a.yaml", "-x"]
    resolved = resolve_command(command, tmp_path)
    base = tmp_path.resolve()
    assert resolved == [
        "python", "-m", "liveportrait_cli", "--weights",
        str(base / "weights"), str(base / "cfg" / "a.yaml"), "-x",
    ]  # fmt: skip


# --- Pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "stderr", "error"),
    [
        (1, "RuntimeError: boom", TransientEngineError),
        (1, "RuntimeError: CUDA out of memory. Tried to allocate", CapacityError),
        (75, "", CapacityError),
        (-9, "", CapacityError),
        (65, "no face detected", UserInputError),
    ],
)
def test_exit_statuses_map_to_engine_errors(
    code: int, stderr: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        classify_exit(code, stderr)
    classify_exit(0, stderr)  # exit 0 is never an error by itself


def test_captions_highlight_each_word_and_keep_unicode() -> None:
    layout = Layout.for_shape(VideoShape.VERTICAL)
    words = (*WORDS, WordTiming("{\\b1}hack", 2.0, 2.4))
    script = captions_ass(words, layout, DURATION_S)
    dialogues = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogues) == 4  # one per word
    assert "PlayResY: 1280" in script
    assert "DejaVu Sans" in script
    assert "Oʻzbekiston!" in script
    assert "Привет" in script
    assert dialogues[0].endswith("{\\c&H0000D7FF&}Salom,{\\c&H00FFFFFF&} Oʻzbekiston!")
    assert "(/b1)hack" in dialogues[3]  # braces and backslashes in words are neutralised
    assert "Salom" not in dialogues[2]  # a new caption after the sentence end
