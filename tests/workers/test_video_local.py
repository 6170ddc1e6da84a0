"""The CPU portrait engine: real clips from a real photo, checked by decoding the media."""

from __future__ import annotations

import io
import itertools
import struct
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from stario.workers.engines import video_local
from stario.workers.engines.base import (
    CapacityError,
    EngineError,
    FaceLandmarks,
    GreetingRequest,
    RenderedVideo,
    Speech,
    TransientEngineError,
    UserInputError,
    VideoShape,
    WordTiming,
)
from stario.workers.engines.video_local import (
    CAPTION_ACTIVE_RGB,
    FPS,
    LAYOUTS,
    TAIL_S,
    PortraitVideoEngine,
    camera_matrices,
    caption_pages,
    caption_words,
    decode_photo,
    frame_count,
    locate_face,
    mouth_openness,
    thumbnail_frame,
    working_image,
)

PHOTO_PATH = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "faces-fr" / "obama.jpg"
PHOTO_WIDTH = 910  # obama.jpg is 910×1137
SAMPLE_RATE = 22050
WORDS = ("Tugʻilgan", "Ўзбекистон", "қутлуғ")
RGB = npt.NDArray[np.uint8]


class ObamaLocator:
    """Landmarks of obama.jpg measured by hand, scaled to the image the engine passes."""

    def __init__(self) -> None:
        self.calls = 0

    def locate(self, rgb: RGB) -> list[FaceLandmarks]:
        self.calls += 1
        s = rgb.shape[1] / PHOTO_WIDTH

        def at(x: float, y: float) -> tuple[float, float]:
            return x * s, y * s

        return [
            FaceLandmarks(
                box=(365 * s, 140 * s, 620 * s, 425 * s),
                mouth_upper=at(495, 319),
                mouth_lower=at(495, 340),
                mouth_left=at(435, 321),
                mouth_right=at(560, 318),
                chin=at(492, 418),
                left_eye=at(445, 213),
                right_eye=at(547, 212),
            )
        ]


class NoFaceLocator:
    def locate(self, rgb: RGB) -> list[FaceLandmarks]:
        return []


def synthetic_speech(lead_s: float = 0.5, word_s: float = 0.5, gap_s: float = 0.15) -> Speech:
    """A voiced buzz: silence, then one word per entry of WORDS, two syllables each."""
    words = []
    start = lead_s
    for text in WORDS:
        words.append(WordTiming(text, start, start + word_s))
        start += word_s + gap_s
    t = np.arange(round((start + 0.2) * SAMPLE_RATE)) / SAMPLE_RATE
    buzz = 0.5 * np.sin(2 * np.pi * 140 * t) + 0.3 * np.sin(2 * np.pi * 420 * t)
    envelope = np.zeros_like(t)
    for word in words:
        inside = (t >= word.start_s) & (t < word.end_s)
        phase = (t[inside] - word.start_s) / word_s
        envelope[inside] = np.abs(np.sin(2 * np.pi * phase))
    return Speech((0.7 * buzz * envelope).astype(np.float32), SAMPLE_RATE, tuple(words))


def request(shape: VideoShape = VideoShape.SQUARE, photo: bytes | None = None) -> GreetingRequest:
    return GreetingRequest(
        photo=PHOTO_PATH.read_bytes() if photo is None else photo,
        text=" ".join(WORDS),
        language="uz",
        artist_name="Yulduz Usmonova",
        shape=shape,
    )


@dataclass
class Clip:
    video: RenderedVideo
    speech: Speech
    stages: list[str]
    path: Path

    def frames(self, *indices: int) -> dict[int, RGB]:
        wanted = set(indices)
        found: dict[int, RGB] = {}
        with av.open(str(self.path), mode="r") as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in wanted:
                    found[index] = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                if len(found) == len(wanted):
                    break
        return found


def render(
    tmp: Path, shape: VideoShape, speech: Speech, engine: PortraitVideoEngine | None = None
) -> Clip:
    stages: list[str] = []
    engine = engine or PortraitVideoEngine(ObamaLocator())
    video = engine.render(request(shape), speech, stages.append)
    path = tmp / f"{shape.value}.mp4"
    path.write_bytes(video.mp4)
    return Clip(video, speech, stages, path)


@pytest.fixture(scope="module")
def square(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return render(tmp_path_factory.mktemp("square"), VideoShape.SQUARE, synthetic_speech())


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp root of our own, to see what the engine leaves behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


# --- The media --------------------------------------------------------------------------


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        assert size >= 8, f"broken box at {offset}"
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def test_square_clip_is_h264_aac_720(square: Clip) -> None:
    with av.open(io.BytesIO(square.video.mp4), mode="r") as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.profile == "High"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (720, 720)
        assert video.average_rate == FPS
        assert audio.codec_context.name == "aac"
        assert audio.codec_context.sample_rate == 44100
    assert (square.video.width, square.video.height) == (720, 720)


def test_duration_follows_the_speech(square: Clip) -> None:
    expected = square.speech.duration_s + TAIL_S
    with av.open(io.BytesIO(square.video.mp4), mode="r") as container:
        assert container.duration is not None
        duration = container.duration / av.time_base
        frames = sum(1 for _ in container.decode(video=0))
    assert duration >= square.speech.duration_s
    assert abs(duration - expected) <= 0.1 * expected
    assert abs(square.video.duration_s - expected) <= 0.1 * expected
    assert frames == frame_count(square.speech.duration_s)


def test_audio_is_the_voice(square: Clip) -> None:
    with av.open(io.BytesIO(square.video.mp4), mode="r") as container:
        chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]
    samples = np.concatenate(chunks).astype(np.float32)
    lead = samples[: int(0.4 * 44100)]
    voiced = samples[int(0.6 * 44100) : int(0.9 * 44100)]
    assert np.sqrt(np.mean(voiced**2)) > 0.05
    assert np.sqrt(np.mean(lead**2)) < 0.01  # the silence before the first word stays silent


def test_moov_precedes_mdat(square: Clip) -> None:
    boxes = top_level_boxes(square.video.mp4)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


def test_size_and_stages_are_reported(square: Clip) -> None:
    assert 10_000 < len(square.video.mp4) < video_local.MAX_OUTPUT_BYTES
    assert square.stages == ["animating", "encoding"]
    assert {"decode", "face", "prepare", "render", "encode", "total"} <= set(
        square.video.stage_seconds
    )


def test_thumbnail_is_a_small_jpeg_with_the_mouth_closed(square: Clip) -> None:
    thumb = Image.open(io.BytesIO(square.video.thumbnail_jpeg))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 320
    assert thumb.size == (320, 320)
    speech = square.speech
    openness = mouth_openness(speech.samples, speech.sample_rate, frame_count(speech.duration_s))
    chosen = thumbnail_frame(openness)
    assert chosen < 2 * FPS
    assert openness[chosen] < 0.05


# --- What is drawn ----------------------------------------------------------------------


def panel_point(clip: Clip, frame: int, point: tuple[float, float]) -> tuple[int, int]:
    """Where a point of the photo lands in a frame of the square clip."""
    photo = decode_photo(PHOTO_PATH.read_bytes())
    face = locate_face(ObamaLocator(), photo)
    work = working_image(photo, face, (720, 720))
    matrices = camera_matrices(
        work.start, work.end, frame_count(clip.speech.duration_s), (720, 720)
    )
    scale = (work.face.box[2] - work.face.box[0]) / (face.box[2] - face.box[0])
    local_x = (point[0] - face.box[0]) * scale + work.face.box[0]
    local_y = (point[1] - face.box[1]) * scale + work.face.box[1]
    x, y = matrices[frame] @ np.array([local_x, local_y, 1.0])
    return round(x), round(y)


def box_difference(a: RGB, b: RGB, centre: tuple[int, int], half: int) -> float:
    x, y = centre
    patch = np.s_[y - half : y + half, x - half : x + half]
    return float(np.mean(np.abs(a[patch].astype(np.int16) - b[patch].astype(np.int16))))


def test_mouth_moves_with_the_voice(square: Clip) -> None:
    speech = square.speech
    openness = mouth_openness(speech.samples, speech.sample_rate, frame_count(speech.duration_s))
    quiet = 5  # 0.2 s: before the first word
    loud = int(np.argmax(openness[: round(1.0 * FPS)]))
    assert openness[quiet] == 0.0
    assert openness[loud] > 0.8
    frames = square.frames(quiet, loud)
    mouth = panel_point(square, loud, (495, 335))
    eyes = panel_point(square, loud, (496, 212))
    mouth_change = box_difference(frames[quiet], frames[loud], mouth, 24)
    eyes_change = box_difference(frames[quiet], frames[loud], eyes, 24)
    assert mouth_change > 12
    assert mouth_change > 3 * eyes_change  # the camera moved a little; the jaw a lot
    # the open mouth is dark where the closed one showed teeth and lips
    x, y = mouth
    assert (
        frames[loud][y : y + 10, x - 10 : x + 10].mean()
        < frames[quiet][y : y + 10, x - 10 : x + 10].mean()
    )


def caption_box(frame: RGB) -> RGB:
    layout = LAYOUTS[VideoShape.SQUARE]
    return frame[layout.caption_bottom - 130 : layout.caption_bottom, 40:680]


def test_captions_follow_the_words(square: Clip) -> None:
    words = square.speech.words
    before = 5  # no word yet
    during = round((words[1].start_s + 0.2) * FPS)
    frames = square.frames(before, during)
    quiet_box, word_box = caption_box(frames[before]), caption_box(frames[during])

    def yellow(box: RGB) -> int:
        r, g, b = (box[:, :, i].astype(np.int16) for i in range(3))
        target = CAPTION_ACTIVE_RGB
        return int(
            np.count_nonzero(
                (abs(r - target[0]) < 40) & (abs(g - target[1]) < 40) & (abs(b - target[2]) < 60)
            )
        )

    assert yellow(word_box) > 200  # the spoken word is highlighted
    assert yellow(quiet_box) < 20

    def white(box: RGB) -> int:
        return int(np.all(box > 235, axis=2).sum())

    assert white(word_box) > 1000  # the other words, white
    assert white(word_box) > 5 * white(quiet_box)


def test_ai_mark_in_the_corner_throughout(square: Clip) -> None:
    last = frame_count(square.speech.duration_s) - 1
    frames = square.frames(0, last)
    for frame in frames.values():
        corner = frame[20:70, 620:700]
        assert np.all(corner > 235, axis=2).sum() > 60  # white letters and outline


def test_vertical_clip(tmp_path: Path) -> None:
    speech = replace(synthetic_speech(), words=())  # captions then come from the text
    clip = render(tmp_path, VideoShape.VERTICAL, speech)
    with av.open(io.BytesIO(clip.video.mp4), mode="r") as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (720, 1280)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert (clip.video.width, clip.video.height) == (720, 1280)
    assert top_level_boxes(clip.video.mp4).index("moov") < top_level_boxes(clip.video.mp4).index(
        "mdat"
    )
    frame = clip.frames(round(1.5 * FPS))[round(1.5 * FPS)]
    layout = LAYOUTS[VideoShape.VERTICAL]
    top_band = frame[: layout.panel_top - 10]
    assert top_band.mean() < 110  # the darkened, blurred cover fill
    assert (
        np.all(frame[layout.caption_bottom - 120 : layout.caption_bottom] > 235, axis=2).sum()
        > 800
    )


# --- Refusals and failures --------------------------------------------------------------


def test_no_face(private_tmp: Path) -> None:
    engine = PortraitVideoEngine(NoFaceLocator())
    with pytest.raises(UserInputError) as caught:
        engine.render(request(), synthetic_speech(), lambda stage: None)
    assert caught.value.reason == "no_face"


def test_mouth_outside_the_photo_is_no_face() -> None:
    class Outside(ObamaLocator):
        def locate(self, rgb: RGB) -> list[FaceLandmarks]:
            face = super().locate(rgb)[0]
            return [replace(face, mouth_left=(-90.0, 2000.0), mouth_right=(-30.0, 2000.0))]

    with pytest.raises(UserInputError) as caught:
        PortraitVideoEngine(Outside()).render(request(), synthetic_speech(), lambda stage: None)
    assert caught.value.reason == "no_face"


def test_large_photos_are_shrunk_and_landmarks_scaled_back() -> None:
    out = io.BytesIO()
    Image.open(PHOTO_PATH).resize((2400, 3000)).save(out, "JPEG", quality=85)
    photo = decode_photo(out.getvalue())
    assert photo.shape[:2] == (2560, 2048)  # long side capped at WORK_LONG_SIDE

    seen: list[tuple[int, ...]] = []

    class Recording(ObamaLocator):
        def locate(self, rgb: RGB) -> list[FaceLandmarks]:
            seen.append(rgb.shape)
            return super().locate(rgb)

    face = locate_face(Recording(), photo)
    assert seen == [(1280, 1024, 3)]
    scale = 2048 / PHOTO_WIDTH
    assert face.mouth_lower == pytest.approx((495 * scale, 340 * scale), abs=1.0)


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("photo", "detail"),
    [
        (b"", "empty file"),
        (b"definitely not a picture", "cannot identify"),
        (PHOTO_PATH.read_bytes()[:2000], "(?i)truncated"),
        (png((1, 1)), "too small"),
        (png((7000, 6000), mode="1"), "too large"),  # 42 MP
    ],
    ids=["empty", "garbage", "truncated", "1x1", "42MP"],
)
def test_bad_photo(photo: bytes, detail: str, private_tmp: Path) -> None:
    locator = ObamaLocator()
    engine = PortraitVideoEngine(locator)
    with pytest.raises(UserInputError, match=detail) as caught:
        engine.render(request(photo=photo), synthetic_speech(), lambda stage: None)
    assert caught.value.reason == "bad_photo"
    assert locator.calls == 0
    assert list(private_tmp.iterdir()) == []


def test_transparent_png_is_flattened() -> None:
    image = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    image.paste((0, 255, 0, 255), (0, 0, 150, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    photo = decode_photo(out.getvalue())
    assert photo.shape == (200, 300, 3)
    assert tuple(photo[10, 10]) == (0, 255, 0)
    assert tuple(photo[10, 290]) == video_local.TRANSPARENT_FILL


def test_exif_orientation_is_applied() -> None:
    upright = Image.open(PHOTO_PATH)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; display rotated 90° clockwise
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", exif=exif.tobytes())
    photo = decode_photo(out.getvalue())
    assert photo.shape[:2] == (upright.height, upright.width)


def test_temp_files_are_removed(private_tmp: Path, tmp_path: Path) -> None:
    speech = synthetic_speech(lead_s=0.2)
    clip = render(tmp_path, VideoShape.SQUARE, speech)
    assert clip.video.mp4
    assert list(private_tmp.iterdir()) == []


def test_ffmpeg_failure_is_transient(private_tmp: Path, tmp_path: Path) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n")
    fake.chmod(0o755)
    engine = PortraitVideoEngine(ObamaLocator(), ffmpeg_path=str(fake))
    with pytest.raises(TransientEngineError, match="Unknown encoder libx264"):
        engine.render(request(), synthetic_speech(), lambda stage: None)
    assert list(private_tmp.iterdir()) == []


def test_out_of_memory_is_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(video_local, "mouth_openness", exhausted)
    with pytest.raises(CapacityError):
        PortraitVideoEngine(ObamaLocator()).render(request(), synthetic_speech(), print)


def test_oversized_output_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_local, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(EngineError, match="over Telegram's limit"):
        PortraitVideoEngine(ObamaLocator()).render(
            request(), synthetic_speech(lead_s=0.1), lambda stage: None
        )


def test_too_long_speech_is_the_texts_fault() -> None:
    speech = Speech(np.zeros(121 * 8000, np.float32), 8000)
    with pytest.raises(UserInputError) as caught:
        PortraitVideoEngine(ObamaLocator()).render(request(), speech, lambda stage: None)
    assert caught.value.reason == "text_too_long"


# --- Pieces -----------------------------------------------------------------------------


def test_openness_follows_loudness() -> None:
    speech = synthetic_speech()
    frames = frame_count(speech.duration_s)
    openness = mouth_openness(speech.samples, speech.sample_rate, frames)
    assert openness.shape == (frames,)
    assert openness.min() >= 0.0
    assert openness.max() <= 1.0
    assert np.all(openness[: round(0.5 * FPS)] == 0.0)
    assert openness[round(0.5 * FPS) : round(2.5 * FPS)].max() > 0.9
    # word 1 (0.5–1.0 s) has syllables peaking at 0.625 and 0.875 s, with a dip at 0.75 s
    dip, peaks = openness[round(0.77 * FPS)], openness[[round(0.65 * FPS), round(0.9 * FPS)]]
    assert dip < 0.7 * peaks.min()
    silent = mouth_openness(np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE, 40)
    assert not silent.any()


def test_caption_pages_are_short() -> None:
    engine = PortraitVideoEngine(ObamaLocator())
    texts = (
        "Aziz Dilnoza! Tugʻilgan kuningiz bilan chin yurakdan tabriklayman, sizga "
        "sihat-salomatlik, baxt va omad tilayman. Ўзбекистон қутлуғ ғалаба ҳаёт Ўўқғҳ ҚҒҲ"
    ).split()
    words = [WordTiming(text, 0.3 * i, 0.3 * i + 0.25) for i, text in enumerate(texts)]
    layout = LAYOUTS[VideoShape.SQUARE]
    pages = caption_pages(words, engine.fonts, layout.caption_size, layout.caption_width)
    assert [w for page in pages for w in page.words] == words
    font = engine.fonts.get(True, layout.caption_size)
    for page in pages:
        assert 1 <= len(page.words) <= 7
        assert 1 <= len(page.lines) <= 2
        for first, stop in page.lines:
            line = " ".join(w.text for w in page.words[first:stop])
            assert font.getlength(line) <= layout.caption_width
    assert pages[0].words[-1].text == "Dilnoza!"  # a sentence ends a page


def test_untimed_words_are_spread_over_the_voice() -> None:
    speech = replace(synthetic_speech(), words=())
    engine = PortraitVideoEngine(ObamaLocator())
    openness = mouth_openness(speech.samples, speech.sample_rate, frame_count(speech.duration_s))
    font = engine.fonts.get(True, 40)
    words = caption_words(speech, "Salom 🎉 dunyo, Ўзбекистон", openness, font)
    assert [w.text for w in words] == ["Salom", "dunyo,", "Ўзбекистон"]
    assert words[0].start_s >= 0.4
    assert words[-1].end_s <= speech.duration_s + 0.1
    assert all(a.end_s <= b.start_s + 1e-6 for a, b in itertools.pairwise(words))


def test_with_the_real_locator_and_voice(tmp_path: Path) -> None:
    from stario.workers.engines.landmarks import MediaPipeFaceLocator
    from stario.workers.engines.tts_local import EspeakTTS

    speech = EspeakTTS().synthesize("Tugʻilgan kuningiz bilan!", "uz")
    engine = PortraitVideoEngine(MediaPipeFaceLocator())
    video = engine.render(request(), speech, lambda stage: None)
    with av.open(io.BytesIO(video.mp4), mode="r") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration is not None
        duration = container.duration / av.time_base
    expected = speech.duration_s + TAIL_S
    assert abs(duration - expected) <= 0.1 * expected
    assert video.stage_seconds["face"] < 5
