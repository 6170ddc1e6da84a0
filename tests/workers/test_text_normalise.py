"""Text normalisation for the TTS voice: numbers, dates, symbols, Uzbek apostrophes, clean-up."""

from __future__ import annotations

import pytest

from stario.workers.engines.text_normalise import (
    date_to_words,
    normalise_text,
    number_to_words,
)

NUMBERS = {
    "en": {
        0: "zero",
        1: "one",
        11: "eleven",
        21: "twenty-one",
        25: "twenty-five",
        40: "forty",
        100: "one hundred",
        101: "one hundred one",
        999: "nine hundred ninety-nine",
        1000: "one thousand",
        2026: "two thousand twenty-six",
        21_000: "twenty-one thousand",
        999_999: "nine hundred ninety-nine thousand nine hundred ninety-nine",
        1_000_000: "one million",
        2_000_000_005: "two billion five",
    },
    "ru": {
        0: "ноль",
        1: "один",
        11: "одиннадцать",
        21: "двадцать один",
        25: "двадцать пять",
        40: "сорок",
        100: "сто",
        101: "сто один",
        999: "девятьсот девяносто девять",
        1000: "тысяча",
        2000: "две тысячи",
        2026: "две тысячи двадцать шесть",
        5000: "пять тысяч",
        21_000: "двадцать одна тысяча",
        22_000: "двадцать две тысячи",
        999_999: "девятьсот девяносто девять тысяч девятьсот девяносто девять",
        1_000_000: "один миллион",
        3_000_000: "три миллиона",
        11_000_000: "одиннадцать миллионов",
    },
    "uz": {
        0: "nol",
        1: "bir",
        11: "oʻn bir",
        25: "yigirma besh",
        40: "qirq",
        99: "toʻqson toʻqqiz",
        100: "yuz",
        101: "yuz bir",
        250: "ikki yuz ellik",
        999: "toʻqqiz yuz toʻqson toʻqqiz",
        1000: "ming",
        2026: "ikki ming yigirma olti",
        999_999: "toʻqqiz yuz toʻqson toʻqqiz ming toʻqqiz yuz toʻqson toʻqqiz",
        1_000_000: "bir million",
    },
}


@pytest.mark.parametrize(
    ("language", "number", "words"),
    [(lang, n, words) for lang, table in NUMBERS.items() for n, words in table.items()],
)
def test_integers(language: str, number: int, words: str) -> None:
    assert number_to_words(number, language) == words
    assert normalise_text(str(number), language) == words


@pytest.mark.parametrize(
    ("language", "text", "spoken"),
    [
        ("en", "22.11.2026", "November twenty-second, twenty twenty-six"),
        ("en", "2026-11-22", "November twenty-second, twenty twenty-six"),
        ("en", "01/01/2000", "January first, two thousand"),
        ("en", "3.3.1999", "March third, nineteen ninety-nine"),
        ("en", "05.07.1905", "July fifth, nineteen oh five"),
        ("ru", "22.11.2026", "двадцать второе ноября две тысячи двадцать шестого года"),
        ("ru", "2026-11-22", "двадцать второе ноября две тысячи двадцать шестого года"),
        ("ru", "01.01.2000", "первое января двухтысячного года"),
        ("ru", "03.03.1999", "третье марта тысяча девятьсот девяносто девятого года"),
        ("ru", "10.05.2010", "десятое мая две тысячи десятого года"),
        ("ru", "31.12.1900", "тридцать первое декабря тысяча девятисотого года"),
        ("uz", "22.11.2026", "ikki ming yigirma oltinchi yil yigirma ikkinchi noyabr"),
        ("uz", "2026-11-22", "ikki ming yigirma oltinchi yil yigirma ikkinchi noyabr"),
        ("uz", "01.09.1991", "ming toʻqqiz yuz toʻqson birinchi yil birinchi sentabr"),
    ],
)
def test_dates(language: str, text: str, spoken: str) -> None:
    assert normalise_text(text, language) == spoken


def test_impossible_dates_are_not_read_as_dates() -> None:
    assert normalise_text("31.02.2024", "en") == "thirty-one two two thousand twenty-four"
    with pytest.raises(ValueError, match="day is out of range"):
        date_to_words(31, 2, 2024, "ru")


@pytest.mark.parametrize(
    ("language", "text", "spoken"),
    [
        ("en", "3.5", "three point five"),
        ("en", "0.25", "zero point two five"),
        ("ru", "3,5", "три целых пять десятых"),
        ("ru", "1.5", "одна целая пять десятых"),
        ("ru", "2,25", "две целых двадцать пять сотых"),
        ("ru", "0,001", "ноль целых одна тысячная"),
        ("uz", "3,5", "uch butun oʻndan besh"),
        ("uz", "2.25", "ikki butun yuzdan yigirma besh"),
    ],
)
def test_decimals(language: str, text: str, spoken: str) -> None:
    assert normalise_text(text, language) == spoken


@pytest.mark.parametrize(
    ("language", "text", "spoken"),
    [
        ("en", "25%", "twenty-five percent"),
        ("en", "Tom & Jerry", "Tom and Jerry"),
        ("en", "2+2=4", "two plus two equals four"),
        ("en", "№ 5", "number five"),
        ("ru", "1%", "один процент"),
        ("ru", "2 %", "два процента"),
        ("ru", "11%", "одиннадцать процентов"),
        ("ru", "25%", "двадцать пять процентов"),
        ("ru", "3,5%", "три целых пять десятых процента"),
        ("ru", "Я & ты", "Я и ты"),
        ("ru", "2+2=4", "два плюс два равно четыре"),
        ("uz", "100%", "yuz foiz"),
        ("uz", "Ali & Vali", "Ali va Vali"),
    ],
)
def test_symbols_and_percentages(language: str, text: str, spoken: str) -> None:
    assert normalise_text(text, language) == spoken


@pytest.mark.parametrize(
    ("language", "text", "spoken"),
    [
        ("en", "Happy 25th birthday", "Happy twenty-fifth birthday"),
        ("en", "1st 2nd 3rd 11th 100th", "first second third eleventh one hundredth"),
        ("uz", "5-sinf", "beshinchi sinf"),
        ("uz", "2026-yil", "ikki ming yigirma oltinchi yil"),
        ("en", "1,000,000 fans", "one million fans"),
        ("ru", "1 000 000 сум", "один миллион сум"),
        ("ru", "12\u00a0500", "двенадцать тысяч пятьсот"),
        ("en", "It is -5 today", "It is minus five today"),
        ("ru", "-5 градусов", "минус пять градусов"),
        ("en", "agent 007", "agent zero zero seven"),
        ("en", "1234567890123", "one two three four five six seven eight nine zero one two three"),
        ("en", "I am 25.", "I am twenty-five."),
    ],
)
def test_ordinals_separators_and_signs(language: str, text: str, spoken: str) -> None:
    assert normalise_text(text, language) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("O'zbekiston", "Oʻzbekiston"),
        ("g’alaba", "gʻalaba"),
        ("o‘g‘il", "oʻgʻil"),
        ("o`qish", "oʻqish"),
        ("oʼrik", "oʻrik"),
        ("o´zbek", "oʻzbek"),
        ("Oʻzbekiston", "Oʻzbekiston"),
        ("ma'no", "maʼno"),
        ("san’at", "sanʼat"),
        ("'Salom'", "'Salom'"),
    ],
)
def test_uzbek_apostrophes(text: str, spoken: str) -> None:
    assert normalise_text(text, "uz") == spoken


def test_apostrophes_are_left_alone_outside_uzbek() -> None:
    assert normalise_text("Don't go, o'clock", "en") == "Don't go, o'clock"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("  Hi   there  ", "Hi there"),
        ("Hi 😀\tthere 🎉🎉", "Hi there"),
        ("Thumbs 👍🏽 up ❤️", "Thumbs up"),
        ("Family 👨‍👩‍👧 day", "Family day"),
        ("a\x00b\x07c\u200bd", "a b c d"),
        ("Happy birthday\nDear Aziza\n\n  Love you!", "Happy birthday. Dear Aziza. Love you!"),
        ("Hello , world !", "Hello, world!"),
        ("🎉🎂", ""),
        ("", ""),
    ],
)
def test_clean_up(text: str, spoken: str) -> None:
    assert normalise_text(text, "en") == spoken


def test_cyrillic_text_is_kept() -> None:
    text = "Дорогая Азиза, поздравляю тебя с днём рождения! Ўғил, қиз, ҳа."
    assert normalise_text(text, "ru") == text


def test_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        normalise_text("hallo", "de")
    with pytest.raises(ValueError, match="out of range"):
        number_to_words(10**12, "en")
