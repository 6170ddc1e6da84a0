"""The espeak-ng TTS engine: real audio in three languages, word timings, loudness, errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from stario.workers.engines.base import Speech, TTSEngine, UserInputError
from stario.workers.engines.text_normalise import normalise_text
from stario.workers.engines.tts_local import (
    MAX_TEXT_CHARS,
    PEAK_CEILING_DBFS,
    TARGET_LOUDNESS_DBFS,
    EspeakTTS,
    gated_loudness_db,
    normalise_loudness,
)

# 25 words each, no digits, so the spoken words are exactly the whitespace tokens of the text.
GREETINGS = {
    "en": (
        "Happy birthday, dear Aziza! I wish you a wonderful year full of joy, music and love. "
        "Stay bright, keep smiling and never stop dreaming big."
    ),
    "ru": (
        "Дорогая Азиза, поздравляю тебя с днём рождения! Желаю счастья, здоровья, любви и "
        "вдохновения. Пусть каждый день приносит радость, музыку, улыбки и новые яркие мечты. "
        "Обнимаю!"
    ),
    "uz": (
        "Aziz Aziza, tugʻilgan kuningiz bilan yurakdan tabriklayman! Sizga baxt, sogʻlik, "
        "muhabbat va ilhom tilayman. Har bir kuningiz quvonch, musiqa va yangi orzularga "
        "toʻla boʻlsin. Quchoqlayman!"
    ),
}
CEILING = 10 ** (PEAK_CEILING_DBFS / 20)


@pytest.fixture(scope="module")
def tts() -> EspeakTTS:
    return EspeakTTS()


@pytest.fixture(scope="module")
def greetings(tts: EspeakTTS) -> dict[str, Speech]:
    return {language: tts.synthesize(text, language) for language, text in GREETINGS.items()}


def test_is_a_tts_engine(tts: EspeakTTS) -> None:
    engine: TTSEngine = tts
    assert engine.name == "espeak"


@pytest.mark.parametrize("language", sorted(GREETINGS))
def test_greeting_is_real_speech(greetings: dict[str, Speech], language: str) -> None:
    assert len(GREETINGS[language].split()) == 25
    speech = greetings[language]
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32
    assert speech.samples.ndim == 1
    assert 6.0 <= speech.duration_s <= 20.0
    assert float(np.abs(speech.samples).max()) <= CEILING + 1e-6
    # speech, not silence or a tone: energy in most of the 100 ms windows
    windows = speech.samples[: len(speech.samples) // 2205 * 2205].reshape(-1, 2205)
    active = np.sqrt(np.mean(windows**2, axis=1)) > 0.01
    assert 0.5 < active.mean() < 1.0


@pytest.mark.parametrize("language", sorted(GREETINGS))
def test_loudness_and_fades(greetings: dict[str, Speech], language: str) -> None:
    speech = greetings[language]
    loudness = gated_loudness_db(speech.samples, speech.sample_rate)
    assert loudness == pytest.approx(TARGET_LOUDNESS_DBFS, abs=0.5)
    assert abs(float(speech.samples[0])) < 1e-3
    assert abs(float(speech.samples[-1])) < 1e-3


@pytest.mark.parametrize("language", sorted(GREETINGS))
def test_word_timings_follow_the_text(greetings: dict[str, Speech], language: str) -> None:
    speech = greetings[language]
    assert [word.text for word in speech.words] == GREETINGS[language].split()
    previous_end = 0.0
    for word in speech.words:
        assert previous_end <= word.start_s < word.end_s <= speech.duration_s
        previous_end = word.end_s
    assert speech.words[0].start_s < 0.3
    assert speech.words[-1].end_s > speech.duration_s - 1.0
    # long words take longer than one-letter words
    durations = {word.text: word.end_s - word.start_s for word in speech.words}
    if language == "ru":
        assert durations["вдохновения."] > 3 * durations["с"]


def test_timings_use_the_spoken_words(tts: EspeakTTS) -> None:
    speech = tts.synthesize("Sizga 25 yosh, 100% o'zbekcha maʼno!", "uz")
    expected = ["Sizga", "yigirma", "besh", "yosh,", "yuz", "foiz", "oʻzbekcha", "maʼno!"]
    assert [word.text for word in speech.words] == expected
    assert normalise_text("Sizga 25 yosh, 100% o'zbekcha maʼno!", "uz").split() == expected


def test_uzbek_tutuq_belgisi_is_not_spelled_out(tts: EspeakTTS) -> None:
    # espeak's uz voice would read U+02BC by its Unicode name; the engine speaks it as '
    with_sign = tts.synthesize("maʼno", "uz")
    assert with_sign.duration_s < 1.5
    assert [word.text for word in with_sign.words] == ["maʼno"]


def test_cyrillic_positions_map_to_words(tts: EspeakTTS) -> None:
    text = "Ёлка, шаурма и Ўзбекистон: ещё раз!"
    speech = tts.synthesize(text, "ru")
    assert [word.text for word in speech.words] == text.split()


@pytest.mark.parametrize("text", ["", "   \n\t ", "🎉🎂❤️"])
def test_empty_text_is_rejected(tts: EspeakTTS, text: str) -> None:
    with pytest.raises(UserInputError) as error:
        tts.synthesize(text, "en")
    assert error.value.reason == "empty_text"


def test_long_text_is_rejected(tts: EspeakTTS) -> None:
    with pytest.raises(UserInputError) as error:
        tts.synthesize("a" * (MAX_TEXT_CHARS + 1), "en")
    assert error.value.reason == "text_too_long"


def test_longest_text_is_spoken(tts: EspeakTTS) -> None:
    text = ("Salom dunyo! " * 100)[:MAX_TEXT_CHARS]
    speech = tts.synthesize(text, "uz")
    assert len(speech.words) == len(text.split())
    assert speech.duration_s > 60


def test_unknown_language_is_rejected(tts: EspeakTTS) -> None:
    with pytest.raises(UserInputError) as error:
        tts.synthesize("Hallo", "de")
    assert error.value.reason == "unsupported_language"


def test_concurrent_calls_are_serialised(tts: EspeakTTS) -> None:
    # espeak's output drifts by a few samples from call to call (its pitch flutter runs on
    # across utterances), so compare shape, not bytes: interleaved calls would mix up audio.
    jobs = [(text, language) for language, text in GREETINGS.items()] * 3
    sequential = [tts.synthesize(text, language) for text, language in jobs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(lambda job: tts.synthesize(*job), jobs))
    for one, other in zip(sequential, parallel, strict=True):
        assert other.duration_s == pytest.approx(one.duration_s, rel=0.02)
        assert [w.text for w in other.words] == [w.text for w in one.words]
        starts = np.array([w.start_s for w in other.words]) - [w.start_s for w in one.words]
        assert np.abs(starts).max() < 0.1


def test_loudness_normalisation_of_a_tone() -> None:
    rate = 22050
    t = np.arange(rate * 2) / rate
    sine = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    assert gated_loudness_db(sine, rate) == pytest.approx(-3.01, abs=0.02)
    quiet = (sine * 0.01).astype(np.float32)
    out = normalise_loudness(quiet, rate)
    assert out.dtype == np.float32
    assert gated_loudness_db(out, rate) == pytest.approx(TARGET_LOUDNESS_DBFS, abs=0.25)


def test_limiter_holds_the_ceiling_on_spikes() -> None:
    rate = 22050
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 0.02, rate * 2)).astype(np.float32)
    noise[::2000] = 0.9  # sharp clicks far above the speech level
    out = normalise_loudness(noise, rate)
    assert float(np.abs(out).max()) <= CEILING + 1e-6
    assert gated_loudness_db(out, rate) == pytest.approx(TARGET_LOUDNESS_DBFS, abs=0.5)


def test_silence_stays_silent() -> None:
    silence = np.zeros(22050, np.float32)
    assert np.array_equal(normalise_loudness(silence, 22050), silence)
