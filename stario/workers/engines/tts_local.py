"""Offline TTS: espeak-ng called in-process through ctypes (engine name "espeak").

The library and its voice data come from the PyPI wheel `espeakng-loader` (espeak-ng 1.52,
GPL-3.0). It is driven in synchronous mode: `espeak_Synth` returns once all audio has been handed
to our callback, together with WORD events (audio position in ms, text position and length in
characters, counted from 1). espeak-ng keeps global state and is not thread-safe, so the library
is initialised once per process and every call holds `_LOCK`. Do not load a system
`libespeak-ng.so.1` (pyttsx3, say) into the same process: both share the soname.

Output: mono float32 at espeak's 22 050 Hz, loudness-normalised (see `normalise_loudness`) and
faded in and out. It is not bit-for-bit repeatable: espeak's pitch flutter and noise carry state
from one utterance to the next, so the same text may come out a few samples longer or shorter.
Word timings are per whitespace-separated token of the normalised text (what the voice says,
e.g. "25" becomes "twenty-five"), so captions can show exactly what is heard.
"""

from __future__ import annotations

import bisect
import ctypes
import importlib
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from stario.workers.engines.base import (
    EngineError,
    Speech,
    TransientEngineError,
    UserInputError,
    WordTiming,
)
from stario.workers.engines.text_normalise import normalise_text

MAX_TEXT_CHARS = 1000
VOICES = {"uz": "uz", "ru": "ru", "en": "en-us"}
DEFAULT_RATE_WPM = 160

TARGET_LOUDNESS_DBFS = -16.0
PEAK_CEILING_DBFS = -1.0
FADE_IN_S = 0.010
FADE_OUT_S = 0.030

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit()
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_PARAM_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = (
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    )


class _Event(ctypes.Structure):
    """`espeak_EVENT` from speak_lib.h."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True, slots=True)
class _WordEvent:
    audio_ms: int
    char_index: int  # 0-based index into the text that was spoken


class _Espeak:
    """The process-wide libespeak-ng binding. Callers must hold `_LOCK`."""

    def __init__(self) -> None:
        loader = importlib.import_module("espeakng_loader")
        self._lib = ctypes.CDLL(str(loader.get_library_path()))
        data_path = str(loader.get_data_path()).encode()
        lib = self._lib
        lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int

        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise EngineError(f"espeak_Initialize failed ({rate})")
        self.sample_rate: int = rate
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._words: list[_WordEvent] = []
        self._callback = _SynthCallback(self._on_synth)  # kept alive as long as the library
        lib.espeak_SetSynthCallback(self._callback)
        self._voice = ""

    def _on_synth(
        self,
        wav: ctypes._Pointer[ctypes.c_short],
        n_samples: int,
        events: ctypes._Pointer[_Event],
    ) -> int:
        if n_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                self._words.append(_WordEvent(event.audio_position, event.text_position - 1))
            i += 1
        return 0  # 0 = go on

    def speak(
        self, text: str, voice: str, rate_wpm: int
    ) -> tuple[npt.NDArray[np.int16], list[_WordEvent]]:
        if voice != self._voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise EngineError(f"espeak voice {voice!r} is not available")
            self._voice = voice
        self._lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        self._chunks, self._words = [], []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(
            data, len(data) + 1, 0, 0, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
        )
        if status != _EE_OK or self._lib.espeak_Synchronize() != _EE_OK:
            raise TransientEngineError(f"espeak_Synth failed ({status})")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return samples, self._words


_LOCK = threading.Lock()
_espeak: _Espeak | None = None


def _engine() -> _Espeak:
    """The process's espeak binding; call with `_LOCK` held."""
    global _espeak
    if _espeak is None:
        _espeak = _Espeak()
    return _espeak


class EspeakTTS:
    """`TTSEngine` speaking uz / ru / en with espeak-ng's formant voices."""

    name = "espeak"

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        self.rate_wpm = rate_wpm
        with _LOCK:
            self.sample_rate = _engine().sample_rate

    def synthesize(self, text: str, language: str) -> Speech:
        voice = VOICES.get(language)
        if voice is None:
            raise UserInputError("unsupported_language", language)
        if not text.strip():
            raise UserInputError("empty_text")
        if len(text.strip()) > MAX_TEXT_CHARS:
            raise UserInputError("text_too_long", f"{len(text.strip())} > {MAX_TEXT_CHARS}")
        spoken = normalise_text(text, language)
        if not spoken:
            raise UserInputError("empty_text", "nothing speakable")
        # espeak's uz voice spells out U+02BC by name; an ASCII apostrophe reads as the glottal
        # stop. One character for one, so text positions still index `spoken`.
        with _LOCK:
            engine = _engine()
            pcm, events = engine.speak(spoken.replace("ʼ", "'"), voice, self.rate_wpm)
        if pcm.size == 0:
            raise TransientEngineError("espeak produced no audio")
        samples = pcm.astype(np.float32) / 32768.0
        words = word_timings(spoken, events, samples, engine.sample_rate)
        samples = apply_fades(normalise_loudness(samples, engine.sample_rate), engine.sample_rate)
        return Speech(samples=samples, sample_rate=engine.sample_rate, words=words)


# --- Word timings ----------------------------------------------------------------------------

_TOKEN = re.compile(r"\S+")
_VOICED_FLOOR_DB = -45.0  # relative to the loudest 10 ms frame
_MIN_WORD_S = 0.05


def word_timings(
    text: str,
    events: list[_WordEvent],
    samples: npt.NDArray[np.float32],
    sample_rate: int,
) -> tuple[WordTiming, ...]:
    """One timing per whitespace token of `text` that espeak spoke.

    espeak may split a token into several WORD events ("twenty-five", "maʼno") or give none (a
    lone dash): events are grouped by the token their text position falls in. A word starts at
    its first event and ends where its audio goes quiet before the next word starts.
    """
    tokens = list(_TOKEN.finditer(text))
    starts = [token.start() for token in tokens]
    first_ms: dict[int, int] = {}
    for event in events:
        index = bisect.bisect_right(starts, event.char_index) - 1
        if index >= 0 and event.char_index < tokens[index].end():
            first_ms[index] = min(first_ms.get(index, event.audio_ms), event.audio_ms)
    spoken = sorted(first_ms.items())
    duration = len(samples) / sample_rate
    voiced = _voiced_frames(samples, sample_rate)
    timings: list[WordTiming] = []
    for position, (index, start_ms) in enumerate(spoken):
        start = min(start_ms / 1000, duration)
        if timings:
            start = max(start, timings[-1].end_s)
        next_start = spoken[position + 1][1] / 1000 if position + 1 < len(spoken) else duration
        end = _last_voiced_before(voiced, start, min(max(next_start, start), duration))
        end = min(max(end, start + _MIN_WORD_S), max(next_start, start), duration)
        timings.append(WordTiming(tokens[index].group(), round(start, 3), round(end, 3)))
    return tuple(timings)


_FRAME_S = 0.010


def _voiced_frames(samples: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.bool_]:
    frame = max(1, int(sample_rate * _FRAME_S))
    n_frames = max(1, -(-len(samples) // frame))
    padded = np.zeros(n_frames * frame, np.float32)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(n_frames, frame) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 0:
        return np.zeros(n_frames, bool)
    voiced: npt.NDArray[np.bool_] = rms > peak * 10 ** (_VOICED_FLOOR_DB / 20)
    return voiced


def _last_voiced_before(voiced: npt.NDArray[np.bool_], start: float, stop: float) -> float:
    first, last = int(start / _FRAME_S), min(len(voiced), int(np.ceil(stop / _FRAME_S)))
    hits = np.flatnonzero(voiced[first:last])
    return (first + int(hits[-1]) + 1) * _FRAME_S if hits.size else stop


# --- Loudness --------------------------------------------------------------------------------


def gated_loudness_db(samples: npt.NDArray[np.floating[Any]], sample_rate: int) -> float:
    """Loudness in dB relative to full scale, gated like ITU-R BS.1770 but not K-weighted.

    Mean power over 400 ms blocks (75 % overlap) that pass an absolute gate at -70 dBFS and a
    relative gate 10 dB below the mean of those. Pauses therefore do not pull the level down, and
    for speech the figure sits within a dB or two of LUFS (K-weighting mostly adds a high shelf).
    A full-scale sine reads -3 dB, as in LUFS.
    """
    block, hop = int(0.4 * sample_rate), int(0.1 * sample_rate)
    if len(samples) <= block:
        powers = np.array([np.mean(np.square(samples, dtype=np.float64))])
    else:
        windows = np.lib.stride_tricks.sliding_window_view(samples, block)[::hop]
        powers = np.mean(np.square(windows, dtype=np.float64), axis=1)
    powers = powers[powers > 10 ** (-70 / 10)]
    if powers.size == 0:
        return -np.inf
    powers = powers[powers > np.mean(powers) * 10 ** (-10 / 10)]
    return float(10 * np.log10(np.mean(powers)))


def normalise_loudness(
    samples: npt.NDArray[np.float32],
    sample_rate: int,
    target_db: float = TARGET_LOUDNESS_DBFS,
    ceiling_db: float = PEAK_CEILING_DBFS,
) -> npt.NDArray[np.float32]:
    """Gain to `target_db` gated loudness, then a look-ahead peak limiter at `ceiling_db`.

    The limiter computes, per sample, the gain that would keep it under the ceiling, spreads
    each dip over ±5 ms with a running minimum and smooths it with a moving average of the same
    width: every sample the average sees around a peak carries a gain no larger than the peak's
    own, so peaks land at or under the ceiling without the distortion of hard clipping. Limiting
    lowers the loudness a little, so gain and limiter run again (at most three rounds) until the
    result is within 0.25 dB of the target. The final clip only guards against rounding.
    """
    out = samples.astype(np.float64)
    ceiling = 10 ** (ceiling_db / 20)
    for _ in range(3):
        loudness = gated_loudness_db(out, sample_rate)
        if not np.isfinite(loudness) or abs(target_db - loudness) < 0.25:
            break
        out *= 10 ** (min(target_db - loudness, 40.0) / 20)
        out = _limit(out, ceiling, sample_rate)
    return np.clip(out, -ceiling, ceiling).astype(np.float32)


def _limit(
    samples: npt.NDArray[np.float64], ceiling: float, sample_rate: int
) -> npt.NDArray[np.float64]:
    magnitude = np.abs(samples)
    if magnitude.max() <= ceiling:
        return samples
    radius = max(1, int(0.005 * sample_rate))
    needed = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-12))
    gain: npt.NDArray[np.float64] = _moving_average(_min_filter(needed, radius), radius)
    return samples * gain


def _min_filter(values: npt.NDArray[np.float64], radius: int) -> npt.NDArray[np.float64]:
    """Centred running minimum over 2·radius+1 samples, by doubling the window (O(n log r))."""
    width = 2 * radius + 1
    running = np.pad(values, radius, mode="edge")  # running[i] = min of `size` samples from i
    size = 1
    while size * 2 <= width:
        running = np.minimum(running[:-size], running[size:])
        size *= 2
    n = len(values)
    return np.minimum(running[:n], running[width - size : width - size + n])


def _moving_average(values: npt.NDArray[np.float64], radius: int) -> npt.NDArray[np.float64]:
    width = 2 * radius + 1
    sums = np.concatenate(([0.0], np.cumsum(np.pad(values, radius, mode="edge"))))
    return (sums[width:] - sums[:-width]) / width


def apply_fades(samples: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.float32]:
    """Half-cosine fade in and out, so the clip starts and ends without a click."""
    out = samples.copy()
    for seconds, edge in ((FADE_IN_S, "in"), (FADE_OUT_S, "out")):
        n = min(len(out) // 2, int(seconds * sample_rate))
        if n == 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))).astype(np.float32)
        if edge == "in":
            out[:n] *= ramp
        else:
            out[-n:] *= ramp[::-1]
    return out
