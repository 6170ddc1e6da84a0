"""The GPU talking-head adapter: an external inference program animates the artist photo, Stario
finishes the video itself (DESIGN §6, VIDEO_ENGINE=gpu).

Production runs a LivePortrait / SadTalker / MuseTalk-style program that is installed in the GPU
image, with its weights in ``MODELS_DIR`` (never downloaded). It is configured by
``MODELS_DIR/talking_head/engine.json``::

    {"command": ["python", "-m", "liveportrait_cli", "--weights", "./weights"],
     "timeout_s": 600,
     "env": {"CUDA_VISIBLE_DEVICES": "0"}}

``command`` is a non-empty list of strings; arguments that are relative paths (they start with
``./`` or ``../``, or contain a ``/`` and are not options) are resolved against the
``talking_head`` folder. ``timeout_s`` (optional, seconds) and ``env`` (optional, string values,
added to the worker's environment) may be left out. ``STARIO_ENGINE_DIR`` is set to the folder.

The contract, per job
---------------------
Stario makes a fresh temporary folder (removed afterwards, whatever happens) holding:

* ``source.png``: the artist photo, upright (EXIF orientation applied), RGB, at most
  `SOURCE_LONG_SIDE` px on its long side. Unreadable photos and photos over `MAX_PHOTO_PIXELS`
  are refused before the program runs (``UserInputError("bad_photo")``), and so are photos in
  which the `FaceLocator` finds no face (``UserInputError("no_face")``);
* ``speech.wav``: the voice, 16-bit PCM mono, at the TTS sample rate;
* ``request.json``: ``{"version": 1, "source": ..., "audio": ..., "output": ..., "width": ...,
  "height": ..., "fps": 25, "duration_s": ..., "language": ..., "text": ..., "face_box": [left,
  top, right, bottom]}``. Paths are absolute; ``face_box`` is the largest face, in pixels of
  ``source.png``; ``width``/``height`` are the size Stario delivers (720×720 or 720×1280).

It runs ``command + [<path of request.json>]`` (no shell), in that folder as working directory,
in a new process group, with ``STARIO_REQUEST=<path of request.json>`` in the environment. The
program must write ``output``: an MP4 (any codec ffmpeg reads, any size and frame rate, any audio
or none) of the animated portrait lasting the speech, and exit 0. Then:

* exit status 0 but ``output`` missing or empty → `TransientEngineError`;
* exit status `EXIT_NO_FACE` (65, EX_DATAERR: the program's own detector found no face) →
  ``UserInputError("no_face")``;
* exit status `EXIT_CAPACITY` (75, EX_TEMPFAIL), death by SIGKILL (the kernel's OOM killer), or
  stderr mentioning running out of memory ("out of memory", "CUDA out of memory",
  ``OutOfMemoryError``, ...) → `CapacityError`;
* any other non-zero status → `TransientEngineError`, with the tail of stderr;
* still running after ``timeout_s`` → its whole process group is killed, `CapacityError`.

Stario then finishes the video with ffmpeg (from ``imageio_ffmpeg``): the portrait is fitted into
the requested frame over a blurred, darkened copy of itself (so any aspect ratio works), held on
its last frame if it is shorter than the speech; captions are burnt in from the word timings
(an ASS file drawn by libass with DejaVu Sans: Latin with the Uzbek ʻ, and Cyrillic), the current
word highlighted; the artist's name card shows for the first seconds and a visible AI mark for
the whole video. The speech replaces any audio from the program. Output: H.264 High yuv420p at
25 fps, AAC-LC 128 kb/s 44.1 kHz, ``+faststart``, as long as the speech, at most
`MAX_VIDEO_BYTES`; the thumbnail is one JPEG frame at most 320 px on its long side.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg  # type: ignore[import-untyped]  # ships a static ffmpeg
import numpy as np
from PIL import Image

from stario.workers.engines.base import (
    CapacityError,
    EngineError,
    FaceLocator,
    GreetingRequest,
    ProgressCallback,
    RenderedVideo,
    Speech,
    TransientEngineError,
    UserInputError,
    VideoShape,
    WordTiming,
)
from stario.workers.engines.fonts import font_path, load_font
from stario.workers.engines.photos import flatten, open_photo

logger = logging.getLogger(__name__)

ENGINE_SUBDIR = "talking_head"
CONFIG_NAME = "engine.json"
CONFIG_FORMAT = (
    '{"command": ["python", "-m", "liveportrait_cli", ...], "timeout_s": 600, '
    '"env": {"NAME": "value"}} (command: non-empty list of strings; timeout_s and env optional)'
)

FPS = 25
DEFAULT_TIMEOUT_S = 600.0
MIN_PHOTO_SIDE = 64
SOURCE_LONG_SIDE = 2048

EXIT_NO_FACE = 65  # EX_DATAERR
EXIT_CAPACITY = 75  # EX_TEMPFAIL
OOM_PATTERN = re.compile(
    r"out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED"
    r"|std::bad_alloc|MemoryError",
    re.IGNORECASE,
)
STDERR_TAIL_CHARS = 2000
KILL_GRACE_S = 2.0

MAX_VIDEO_BYTES = 50_000_000  # Telegram's upload limit for bots
VIDEO_BUDGET_BYTES = 46_000_000  # what the bitrate cap aims for, leaving room for the container
MAX_VIDEO_KBPS = 4000
AUDIO_KBPS = 128
AUDIO_RATE = 44100
CRF = 23
THUMB_LONG_SIDE = 320

NAME_CARD_S = 3.0  # shown, then faded out over NAME_CARD_FADE_S
NAME_CARD_FADE_S = 0.5
CAPTION_HOLD_S = 0.4  # a caption stays this long after its last word
CAPTION_GAP_S = 0.6  # a longer pause between words starts a new caption
CAPTION_COLOUR = "&H00FFFFFF"
HIGHLIGHT_COLOUR = "&H0000D7FF"  # ASS is &HAABBGGRR: gold (#FFD700)
SENTENCE_END = (".", "!", "?", "…", "。")

FONTS_DIR = "fonts"
FFMPEG_TIMEOUT_FLOOR_S = 120.0
MISSING_GLYPH = "failed to find any fallback with glyph"


@dataclass(frozen=True, slots=True)
class Layout:
    """Sizes for one output shape, in pixels of the output frame."""

    width: int
    height: int
    caption_size: int
    caption_margin_v: int
    caption_chars: int  # most characters in one caption
    name_size: int
    name_top: int
    mark_size: int

    @classmethod
    def for_shape(cls, shape: VideoShape) -> Layout:
        width, height = shape.size
        if shape is VideoShape.VERTICAL:
            return cls(
                width, height, caption_size=52, caption_margin_v=160, caption_chars=30,
                name_size=56, name_top=110, mark_size=30,
            )  # fmt: skip
        return cls(
            width, height, caption_size=44, caption_margin_v=56, caption_chars=34,
            name_size=48, name_top=84, mark_size=28,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Photo:
    png: bytes
    size: tuple[int, int]
    face_box: tuple[float, float, float, float]


class TalkingHeadEngine:
    """`VideoEngine` that runs an external talking-head program (see the module docstring)."""

    name = "talking-head"

    def __init__(
        self,
        command: Sequence[str],
        face_locator: FaceLocator,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        env: Mapping[str, str] | None = None,
        workdir_root: Path | None = None,
    ) -> None:
        if not command or not all(isinstance(part, str) and part for part in command):
            raise ValueError("command must be a non-empty list of non-empty strings")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.command = tuple(command)
        self.face_locator = face_locator
        self.timeout_s = float(timeout_s)
        self.env = dict(env or {})
        self.workdir_root = workdir_root
        self.ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()

    @classmethod
    def from_models_dir(
        cls, models_dir: Path, face_locator: FaceLocator, *, workdir_root: Path | None = None
    ) -> TalkingHeadEngine:
        """The engine configured by ``models_dir/talking_head/engine.json``."""
        folder = Path(models_dir) / ENGINE_SUBDIR
        config = load_config(folder / CONFIG_NAME)
        command = resolve_command(config["command"], folder)
        if shutil.which(command[0]) is None:
            raise FileNotFoundError(
                f"{folder / CONFIG_NAME}: the program {command[0]!r} is not an executable "
                "(nor found on PATH)"
            )
        env = {"STARIO_ENGINE_DIR": str(folder.resolve()), **config["env"]}
        return cls(
            command,
            face_locator,
            timeout_s=config["timeout_s"],
            env=env,
            workdir_root=workdir_root,
        )

    # --- The job -------------------------------------------------------------------------

    def render(
        self, request: GreetingRequest, speech: Speech, progress: ProgressCallback
    ) -> RenderedVideo:
        if len(speech.samples) == 0 or speech.sample_rate <= 0:
            raise ValueError("speech is empty")
        layout = Layout.for_shape(request.shape)
        stages: dict[str, float] = {}
        with _workdir(self.workdir_root) as work:
            started = time.monotonic()
            photo = prepare_photo(request.photo, self.face_locator)
            request_path = write_inputs(work, photo, speech, request, layout)
            stages["prepare"] = time.monotonic() - started

            progress("animating")
            started = time.monotonic()
            animated = self._animate(work, request_path)
            stages["animating"] = time.monotonic() - started

            progress("encoding")
            started = time.monotonic()
            mp4 = self._finish(work, animated, request, speech, layout)
            thumbnail = self._thumbnail(work, speech.duration_s)
            stages["encoding"] = time.monotonic() - started
        return RenderedVideo(
            mp4=mp4,
            width=layout.width,
            height=layout.height,
            duration_s=speech.duration_s,
            thumbnail_jpeg=thumbnail,
            stage_seconds=stages,
        )

    def _animate(self, work: Path, request_path: Path) -> Path:
        """Run the program; the path of its (non-empty) output video."""
        env = {**os.environ, **self.env, "STARIO_REQUEST": str(request_path)}
        stderr_path = work / "program.stderr"
        returncode = run_program(
            [*self.command, str(request_path)], work, env, stderr_path, self.timeout_s
        )
        stderr_tail = _tail(stderr_path)
        classify_exit(returncode, stderr_tail)
        output = work / "output.mp4"
        if not output.is_file() or output.stat().st_size == 0:
            raise TransientEngineError(
                f"talking-head program exited 0 but wrote no video at {output.name}; "
                f"stderr: {stderr_tail[-500:]}"
            )
        return output

    def _finish(
        self,
        work: Path,
        animated: Path,
        request: GreetingRequest,
        speech: Speech,
        layout: Layout,
    ) -> bytes:
        """Fit, caption, brand and encode the program's video with the speech; the MP4 bytes."""
        link_fonts(work / FONTS_DIR)
        (work / "captions.ass").write_text(
            captions_ass(speech.words, layout, speech.duration_s), encoding="utf-8"
        )
        name = " ".join(request.artist_name.split()) or " "
        mark = " ".join(request.ai_mark.split()) or "AI"
        (work / "name.txt").write_text(name, encoding="utf-8")
        (work / "mark.txt").write_text(mark, encoding="utf-8")
        graph = filter_graph(layout, speech.duration_s, name_font_size(name, layout))
        output = work / "final.mp4"
        kbps = video_kbps(speech.duration_s)
        for attempt in range(2):
            args = encode_args(animated, work / "speech.wav", graph, speech.duration_s, kbps)
            self._ffmpeg([*args, str(output)], work, speech.duration_s)
            size = output.stat().st_size
            if size <= MAX_VIDEO_BYTES:
                return output.read_bytes()
            logger.warning("greeting is %d bytes (attempt %d), re-encoding smaller", size, attempt)
            kbps //= 2
        raise EngineError(f"greeting video stays over {MAX_VIDEO_BYTES} bytes")

    def _thumbnail(self, work: Path, duration_s: float) -> bytes:
        thumb = work / "thumb.jpg"
        at = min(1.0, duration_s / 2)
        scale = (
            f"scale={THUMB_LONG_SIDE}:{THUMB_LONG_SIDE}:force_original_aspect_ratio=decrease,"
            "format=yuvj420p"
        )
        args = ["-ss", f"{at:.3f}", "-i", "final.mp4", "-frames:v", "1", "-vf", scale]
        self._ffmpeg([*args, "-q:v", "4", "-update", "1", str(thumb)], work, duration_s)
        return thumb.read_bytes()

    def _ffmpeg(self, args: list[str], work: Path, duration_s: float) -> None:
        command = [self.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "warning", "-y", *args]
        timeout = max(FFMPEG_TIMEOUT_FLOOR_S, 10 * duration_s)
        try:
            result = subprocess.run(  # noqa: S603 (an argument list, no shell)
                command, cwd=work, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise CapacityError(f"ffmpeg ran past {timeout:.0f} s") from error
        log = result.stderr.decode("utf-8", "replace")
        for line in log.splitlines():
            if MISSING_GLYPH in line:
                logger.warning("caption font lacks a glyph: %s", line.strip())
        if result.returncode != 0:
            raise TransientEngineError(
                f"ffmpeg exited {result.returncode}: {log[-STDERR_TAIL_CHARS:]}"
            )


# --- engine.json ---------------------------------------------------------------------------


def load_config(path: Path) -> dict[str, Any]:
    """engine.json, checked: ``command`` (list of str), ``timeout_s`` (float), ``env``."""
    if not path.is_file():
        raise FileNotFoundError(
            f"talking-head engine config {path} is missing; expected a JSON file {CONFIG_FORMAT}"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path} is not readable JSON ({error}); expected {CONFIG_FORMAT}"
        ) from error

    def invalid(what: str) -> ValueError:
        return ValueError(f"{path}: {what}; expected {CONFIG_FORMAT}")

    if not isinstance(raw, dict):
        raise invalid("the top level is not an object")
    command = raw.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part for part in command)
    ):
        raise invalid('"command" is not a non-empty list of non-empty strings')
    timeout = raw.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise invalid('"timeout_s" is not a positive number')
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in env.items()
    ):
        raise invalid('"env" is not an object of strings')
    return {"command": command, "timeout_s": float(timeout), "env": env}


def _is_relative_path(argument: str) -> bool:
    if argument.startswith(("./", "../")):
        return True
    return (
        "/" in argument
        and not argument.startswith(("/", "-"))
        and "://" not in argument
        and "=" not in argument
    )


def resolve_command(command: Sequence[str], folder: Path) -> list[str]:
    """The command with its relative-path arguments made absolute against `folder`."""
    base = folder.resolve()
    return [str(base / part) if _is_relative_path(part) else part for part in command]


# --- Inputs --------------------------------------------------------------------------------


@contextmanager
def _workdir(root: Path | None) -> Iterator[Path]:
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="stario-talking-head-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def decode_photo(data: bytes) -> Image.Image:
    """The photo, upright, RGB, at most `SOURCE_LONG_SIDE` long; `bad_photo` when unusable."""
    image = open_photo(data, min_side=MIN_PHOTO_SIDE, long_side=SOURCE_LONG_SIDE)
    return flatten(image, (255, 255, 255))


def prepare_photo(data: bytes, face_locator: FaceLocator) -> Photo:
    """The source image as PNG with the largest face's box; `no_face` when there is none."""
    image = decode_photo(data)
    faces = face_locator.locate(np.asarray(image, dtype=np.uint8))
    if not faces:
        raise UserInputError("no_face", "the face locator found no face in the artist photo")
    left, top, right, bottom = (float(value) for value in faces[0].box)
    width, height = image.size
    box = (max(0.0, left), max(0.0, top), min(float(width), right), min(float(height), bottom))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise UserInputError("no_face", f"degenerate face box {faces[0].box}")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return Photo(png=buffer.getvalue(), size=image.size, face_box=box)


def write_wav(path: Path, speech: Speech) -> None:
    """The speech as 16-bit PCM mono WAV."""
    samples = np.clip(np.nan_to_num(speech.samples.astype(np.float32)), -1.0, 1.0)
    pcm = np.round(samples * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(speech.sample_rate))
        wav.writeframes(pcm.tobytes())


def write_inputs(
    work: Path, photo: Photo, speech: Speech, request: GreetingRequest, layout: Layout
) -> Path:
    """source.png, speech.wav and request.json in `work`; the path of request.json."""
    source, audio = work / "source.png", work / "speech.wav"
    source.write_bytes(photo.png)
    write_wav(audio, speech)
    document = {
        "version": 1,
        "source": str(source),
        "audio": str(audio),
        "output": str(work / "output.mp4"),
        "width": layout.width,
        "height": layout.height,
        "fps": FPS,
        "duration_s": round(speech.duration_s, 3),
        "language": request.language,
        "text": request.text,
        "face_box": [round(value, 1) for value in photo.face_box],
    }
    path = work / "request.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


# --- The program ---------------------------------------------------------------------------


def run_program(
    argv: list[str], cwd: Path, env: Mapping[str, str], stderr_path: Path, timeout_s: float
) -> int:
    """Run `argv` in its own process group; its exit status. Past `timeout_s`, or if this
    thread is interrupted, the whole group is killed; nothing it started outlives it."""
    with (cwd / "program.stdout").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 (an argument list from engine.json, no shell)
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise CapacityError(
                f"talking-head program ran past {timeout_s:g} s and was killed"
            ) from None
        except BaseException:
            _kill_group(process)
            raise
        _signal_group(process.pid, signal.SIGKILL)  # stray children of a finished program
        return returncode


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group, SIGKILL it after `KILL_GRACE_S`, and reap the leader."""
    _signal_group(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_GRACE_S)
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path, limit: int = 64_000) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def classify_exit(returncode: int, stderr_tail: str) -> None:
    """Raise the engine error a non-zero exit status (or an OOM message) stands for."""
    brief = stderr_tail.strip()[-STDERR_TAIL_CHARS:]
    if returncode == 0:
        return
    if returncode == EXIT_NO_FACE:
        raise UserInputError("no_face", f"the talking-head program found no face: {brief}")
    killed = returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)  # likely the OOM killer
    if returncode == EXIT_CAPACITY or killed or OOM_PATTERN.search(stderr_tail):
        raise CapacityError(f"talking-head program out of memory (exit {returncode}): {brief}")
    raise TransientEngineError(f"talking-head program exited {returncode}: {brief}")


# --- Captions ------------------------------------------------------------------------------


def _ass_time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, cs = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{cs:02d}"


def _ass_text(text: str) -> str:
    """Plain text safe inside an ASS event: no override blocks, no escapes, one line."""
    cleaned = text.replace("\\", "/").replace("{", "(").replace("}", ")")
    return " ".join(cleaned.split())


def group_words(words: Iterable[WordTiming], max_chars: int) -> list[list[WordTiming]]:
    """Words in captions: a new one after `max_chars`, a sentence end or a long pause."""
    groups: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    length = 0
    for word in words:
        text = _ass_text(word.text)
        if not text or word.end_s <= word.start_s:
            continue
        word = WordTiming(text, word.start_s, word.end_s)
        if current and (
            length + 1 + len(text) > max_chars
            or word.start_s - current[-1].end_s > CAPTION_GAP_S
            or current[-1].text.endswith(SENTENCE_END)
        ):
            groups.append(current)
            current, length = [], 0
        current.append(word)
        length += len(text) + (1 if length else 0)
    if current:
        groups.append(current)
    return groups


def caption_events(
    words: Iterable[WordTiming], layout: Layout, duration_s: float
) -> list[tuple[float, float, str]]:
    """(start, end, ASS text) events: each caption shown word by word, the current one lit."""
    groups = group_words(words, layout.caption_chars)
    events: list[tuple[float, float, str]] = []
    for index, group in enumerate(groups):
        end = group[-1].end_s + CAPTION_HOLD_S
        if index + 1 < len(groups):
            end = min(end, groups[index + 1][0].start_s)
        end = min(end, duration_s)
        for position, word in enumerate(group):
            start = word.start_s
            stop = group[position + 1].start_s if position + 1 < len(group) else end
            if stop <= start:
                continue
            parts = [
                f"{{\\c{HIGHLIGHT_COLOUR}&}}{w.text}{{\\c{CAPTION_COLOUR}&}}"
                if i == position
                else w.text
                for i, w in enumerate(group)
            ]
            events.append((start, stop, " ".join(parts)))
    return events


def captions_ass(words: Iterable[WordTiming], layout: Layout, duration_s: float) -> str:
    """An ASS subtitle script for the output frame (DejaVu Sans Bold, bottom centre)."""
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {layout.width}",
        f"PlayResY: {layout.height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,DejaVu Sans,{layout.caption_size},{CAPTION_COLOUR},{CAPTION_COLOUR},"
        f"&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,3,1,2,48,48,"
        f"{layout.caption_margin_v},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    lines = [
        f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Caption,,0,0,0,,{text}"
        for start, end, text in caption_events(words, layout, duration_s)
    ]
    return "\n".join([*header, *lines, ""])


# --- The finishing pass --------------------------------------------------------------------


def link_fonts(folder: Path) -> None:
    """DejaVu Sans (regular and bold) in `folder`, for libass and drawtext."""
    folder.mkdir(exist_ok=True)
    for bold in (False, True):
        source = font_path(bold)
        target = folder / source.name
        if not target.exists():
            try:
                target.symlink_to(source.resolve())
            except OSError:
                shutil.copyfile(source, target)


def name_font_size(name: str, layout: Layout) -> int:
    """The name card's font size: `layout.name_size`, smaller when the name would not fit."""
    max_width = layout.width * 0.86
    size = layout.name_size
    while size > 20 and load_font(True, size).getlength(name) > max_width:
        size -= 2
    return size


def _bold_font() -> str:
    return f"{FONTS_DIR}/{font_path(True).name}"


def filter_graph(layout: Layout, duration_s: float, name_size: int) -> str:
    """The ffmpeg filter graph: fit over a blurred backdrop, hold, captions, name card, AI mark.

    Paths in it are relative to the work folder (ffmpeg runs there), so nothing needs escaping.
    """
    width, height = layout.width, layout.height
    small_w, small_h = max(2, width // 8), max(2, height // 8)
    fade_end = NAME_CARD_S + NAME_CARD_FADE_S
    name_alpha = f"'if(lt(t,{NAME_CARD_S}),1,max(0,({fade_end}-t)/{NAME_CARD_FADE_S}))'"
    font = _bold_font()
    name_card = (
        f"drawtext=fontfile={font}:textfile=name.txt:expansion=none:fontsize={name_size}"
        f":fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=18"
        f":x=(w-text_w)/2:y={layout.name_top}:alpha={name_alpha}:enable='lt(t,{fade_end})'"
    )
    ai_mark = (
        f"drawtext=fontfile={font}:textfile=mark.txt:expansion=none:fontsize={layout.mark_size}"
        ":fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=10:x=w-text_w-28:y=28"
    )
    return ";".join(
        [
            f"[0:v]fps={FPS},setsar=1,split=2[bgsrc][fgsrc]",
            f"[bgsrc]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
            f"crop={small_w}:{small_h},boxblur=6:2,eq=brightness=-0.12,"
            f"scale={width}:{height}[bg]",
            f"[fgsrc]scale={width}:{height}:force_original_aspect_ratio=decrease"
            ":force_divisible_by=2[fg]",
            f"[bg][fg]overlay=(W-w)/2:(H-h)/2:shortest=1,"
            f"tpad=stop_mode=clone:stop_duration={duration_s:.3f},"
            f"subtitles=captions.ass:fontsdir={FONTS_DIR},{name_card},{ai_mark},"
            "format=yuv420p[v]",
        ]
    )


def video_kbps(duration_s: float) -> int:
    """The video bitrate cap that keeps the file under `VIDEO_BUDGET_BYTES`."""
    budget = VIDEO_BUDGET_BYTES * 8 / 1000 / max(duration_s, 1.0) - AUDIO_KBPS
    return max(200, min(MAX_VIDEO_KBPS, math.floor(budget)))


def encode_args(video: Path, audio: Path, graph: str, duration_s: float, kbps: int) -> list[str]:
    """ffmpeg arguments (before the output path) for the final H.264/AAC MP4."""
    return [
        "-i", str(video),
        "-i", str(audio),
        "-filter_complex", graph,
        "-map", "[v]",
        "-map", "1:a:0",
        "-t", f"{duration_s:.3f}",
        "-r", str(FPS),
        "-c:v", "libx264",
        "-profile:v", "high",
        "-preset", "veryfast",
        "-crf", str(CRF),
        "-maxrate", f"{kbps}k",
        "-bufsize", f"{2 * kbps}k",
        "-pix_fmt", "yuv420p",
        "-c:a", "aac",
        "-b:a", f"{AUDIO_KBPS}k",
        "-ar", str(AUDIO_RATE),
        "-ac", "1",
        "-map_metadata", "-1",
        "-movflags", "+faststart",
    ]  # fmt: skip
