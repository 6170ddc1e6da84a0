"""Turn a fan's greeting text into something a TTS voice reads well (uz, ru, en).

`normalise_text` returns plain words and punctuation:

- Unicode NFKC; control characters, emoji and other pictographs removed; whitespace collapsed,
  line breaks turned into sentence breaks (a full stop where the line has no punctuation).
- Uzbek: every apostrophe variant (' ’ ‘ ` ʼ) after o/g and before a letter becomes ʻ (U+02BB,
  oʻ/gʻ); between other letters it becomes the tutuq belgisi ʼ (U+02BC).
- Dates (22.11.2026, 22/11/2026, 2026-11-22) are read the way each language says them.
- Integers (up to 999 999 999 999; longer digit runs and runs with leading zeros are read digit
  by digit), negative numbers, decimals (3.5, and 3,5 in uz/ru), thousands separators (1,000 in
  en; 1 000 in uz/ru; a no-break or thin space in all three), ordinals (1st in en, 5-sinf in
  uz), percentages (with Russian plural agreement) and the symbols & + = № % become words.

Numbers are read as standalone cardinals: Russian uses the masculine forms (один, два), since
the noun they would agree with is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

SUPPORTED_LANGUAGES = ("uz", "ru", "en")
MAX_NUMBER = 999_999_999_999

# --- English ---------------------------------------------------------------------------------

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_EN_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _en_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        parts.append(f"{_EN_TENS[tens]}-{_EN_ONES[ones]}" if ones else _EN_TENS[tens])
    elif rest or not parts:
        parts.append(_EN_ONES[rest])
    return " ".join(parts)


def _en_cardinal(n: int) -> str:
    if n < 1000:
        return _en_below_1000(n)
    parts = []
    for scale, name in _EN_SCALES:
        count, n = divmod(n, scale)
        if count:
            parts.append(f"{_en_below_1000(count)} {name}")
    if n:
        parts.append(_en_below_1000(n))
    return " ".join(parts)


def _en_ordinal(n: int) -> str:
    words = _en_cardinal(n)
    head, sep, last = words.rpartition(" ")
    prefix, hyphen, unit = last.rpartition("-")
    if unit in _EN_ORDINAL_IRREGULAR:
        unit = _EN_ORDINAL_IRREGULAR[unit]
    elif unit.endswith("y"):
        unit = unit[:-1] + "ieth"
    else:
        unit += "th"
    return f"{head}{sep}{prefix}{hyphen}{unit}"


def _en_year(year: int) -> str:
    if 2000 <= year <= 2009 or year % 1000 == 0 or not 1000 <= year <= 9999:
        return _en_cardinal(year)
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_en_cardinal(high)} hundred"
    low_words = _en_cardinal(low) if low >= 10 else f"oh {_EN_ONES[low]}"
    return f"{_en_cardinal(high)} {low_words}"


def _en_decimal(whole: int, fraction: str) -> str:
    digits = " ".join(_EN_ONES[int(d)] for d in fraction)
    return f"{_en_cardinal(whole)} point {digits}"


def _en_date(day: int, month: int, year: int) -> str:
    return f"{_EN_MONTHS[month - 1]} {_en_ordinal(day)}, {_en_year(year)}"


# --- Russian ---------------------------------------------------------------------------------

_RU_ONES = "ноль один два три четыре пять шесть семь восемь девять".split()
_RU_TEENS = (
    "десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать "
    "восемнадцать девятнадцать"
).split()
_RU_TENS = "_ _ двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто"
_RU_TENS_LIST = _RU_TENS.split()
_RU_HUNDREDS = "_ сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот".split()
# (value, (one, few, many), feminine)
_RU_SCALES = (
    (10**9, ("миллиард", "миллиарда", "миллиардов"), False),
    (10**6, ("миллион", "миллиона", "миллионов"), False),
    (1000, ("тысяча", "тысячи", "тысяч"), True),
)
_RU_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()
# Ordinal stems; "треть" takes the soft endings (третье, третьего).
_RU_ORDINAL_UNITS = "_ перв втор треть четвёрт пят шест седьм восьм девят".split()
_RU_ORDINAL_TEENS = [w[:-1] for w in _RU_TEENS]  # десят, одиннадцат, ...
_RU_ORDINAL_TENS = "_ _ двадцат тридцат сороков пятидесят шестидесят семидесят восьмидесят "
_RU_ORDINAL_TENS_LIST = (_RU_ORDINAL_TENS + "девяност").split()
_RU_ORDINAL_HUNDREDS = (
    "_ сот двухсот трёхсот четырёхсот пятисот шестисот семисот восьмисот девятисот".split()
)
_RU_GENITIVE_PREFIX = "_ _ двух трёх четырёх пяти шести семи восьми девяти".split()


def ru_plural(n: int, forms: tuple[str, str, str]) -> str:
    """The noun form that goes with the number n: (1 процент, 2 процента, 5 процентов)."""
    if 11 <= n % 100 <= 14:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if 2 <= n % 10 <= 4:
        return forms[1]
    return forms[2]


def _ru_below_1000(n: int, feminine: bool = False) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts = [_RU_HUNDREDS[hundreds]] if hundreds else []
    tens, ones = divmod(rest, 10)
    if tens == 1:
        parts.append(_RU_TEENS[ones])
        return parts
    if tens:
        parts.append(_RU_TENS_LIST[tens])
    if ones:
        if feminine and ones in (1, 2):
            parts.append("одна" if ones == 1 else "две")
        else:
            parts.append(_RU_ONES[ones])
    return parts


def _ru_cardinal(n: int, feminine: bool = False) -> str:
    if n == 0:
        return _RU_ONES[0]
    parts: list[str] = []
    for scale, forms, scale_feminine in _RU_SCALES:
        count, n = divmod(n, scale)
        if count == 1 and scale == 1000:
            parts.append(forms[0])  # "тысяча", not "одна тысяча"
        elif count:
            parts += _ru_below_1000(count, scale_feminine)
            parts.append(ru_plural(count, forms))
    parts += _ru_below_1000(n, feminine)
    return " ".join(parts)


def _ru_ordinal(n: int, genitive: bool) -> str:
    """Neuter nominative ("двадцать второе") or genitive ("двадцать второго") ordinal."""

    def ending(stem: str) -> str:
        if stem.endswith("ь"):
            return stem + ("его" if genitive else "е")
        return stem + ("ого" if genitive else "ое")

    if n % 1000 == 0 and 0 < n < 10_000:
        thousands = n // 1000
        return ending(f"{_RU_GENITIVE_PREFIX[thousands] if thousands > 1 else ''}тысячн")
    head_value = n - n % 100
    tail = n % 100
    if tail == 0:
        head_value = n - n % 1000
        stem = _RU_ORDINAL_HUNDREDS[(n % 1000) // 100]
    elif tail < 10:
        stem = _RU_ORDINAL_UNITS[tail]
    elif tail < 20:
        stem = _RU_ORDINAL_TEENS[tail - 10]
    elif tail % 10 == 0:
        stem = _RU_ORDINAL_TENS_LIST[tail // 10]
    else:
        head_value = n - n % 10
        stem = _RU_ORDINAL_UNITS[tail % 10]
    head = _ru_cardinal(head_value) + " " if head_value else ""
    return head + ending(stem)


def _ru_decimal(whole: int, fraction: str) -> str:
    denominators = {
        1: ("десятая", "десятых"),
        2: ("сотая", "сотых"),
        3: ("тысячная", "тысячных"),
    }
    singular, plural = denominators[len(fraction)]
    part = int(fraction)
    whole_noun = "целая" if whole % 10 == 1 and whole % 100 != 11 else "целых"
    part_noun = singular if part % 10 == 1 and part % 100 != 11 else plural
    whole_words = _ru_cardinal(whole, feminine=True)
    return f"{whole_words} {whole_noun} {_ru_cardinal(part, feminine=True)} {part_noun}"


def _ru_date(day: int, month: int, year: int) -> str:
    ordinal_day = _ru_ordinal(day, genitive=False)
    return f"{ordinal_day} {_RU_MONTHS[month - 1]} {_ru_ordinal(year, genitive=True)} года"


# --- Uzbek (Latin) ---------------------------------------------------------------------------

_UZ_ONES = "nol bir ikki uch toʻrt besh olti yetti sakkiz toʻqqiz".split()
_UZ_TENS = "_ oʻn yigirma oʻttiz qirq ellik oltmish yetmish sakson toʻqson".split()
_UZ_SCALES = ((10**9, "milliard"), (10**6, "million"), (1000, "ming"))
_UZ_MONTHS = "yanvar fevral mart aprel may iyun iyul avgust sentabr oktabr noyabr dekabr".split()
_UZ_VOWELS = set("aeiouAEIOU")


def _uz_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts += ["yuz"] if hundreds == 1 else [_UZ_ONES[hundreds], "yuz"]
    tens, ones = divmod(rest, 10)
    if tens:
        parts.append(_UZ_TENS[tens])
    if ones:
        parts.append(_UZ_ONES[ones])
    return parts


def _uz_cardinal(n: int) -> str:
    if n == 0:
        return _UZ_ONES[0]
    parts: list[str] = []
    for scale, name in _UZ_SCALES:
        count, n = divmod(n, scale)
        if count == 1 and scale == 1000:
            parts.append(name)  # "ming", like "yuz" for 100
        elif count:
            parts += [*_uz_below_1000(count), name]
    parts += _uz_below_1000(n)
    return " ".join(parts)


def _uz_ordinal(n: int) -> str:
    words = _uz_cardinal(n)
    return words + ("nchi" if words[-1] in _UZ_VOWELS else "inchi")


def _uz_decimal(whole: int, fraction: str) -> str:
    denominator = {1: "oʻndan", 2: "yuzdan", 3: "mingdan"}[len(fraction)]
    return f"{_uz_cardinal(whole)} butun {denominator} {_uz_cardinal(int(fraction))}"


def _uz_date(day: int, month: int, year: int) -> str:
    # Uzbek writes "2026-yil 22-noyabr" and reads both numbers as ordinals.
    return f"{_uz_ordinal(year)} yil {_uz_ordinal(day)} {_UZ_MONTHS[month - 1]}"


# --- Per-language tables ---------------------------------------------------------------------


_CARDINAL: dict[str, Callable[[int], str]] = {
    "en": _en_cardinal,
    "ru": _ru_cardinal,
    "uz": _uz_cardinal,
}
_DECIMAL: dict[str, Callable[[int, str], str]] = {
    "en": _en_decimal,
    "ru": _ru_decimal,
    "uz": _uz_decimal,
}
_DATE: dict[str, Callable[[int, int, int], str]] = {
    "en": _en_date,
    "ru": _ru_date,
    "uz": _uz_date,
}
_SYMBOLS: dict[str, dict[str, str]] = {
    "en": {"&": "and", "+": "plus", "=": "equals", "№": "number", "%": "percent"},
    "ru": {"&": "и", "+": "плюс", "=": "равно", "№": "номер", "%": "процентов"},
    "uz": {"&": "va", "+": "plyus", "=": "teng", "№": "raqam", "%": "foiz"},
}
_RU_PERCENT = ("процент", "процента", "процентов")


def number_to_words(n: int, language: str) -> str:
    """A non-negative integer as words, e.g. 25 → "twenty-five" / "двадцать пять"."""
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number out of range: {n}")
    return _CARDINAL[_check_language(language)](n)


def date_to_words(day: int, month: int, year: int, language: str) -> str:
    """A calendar date as each language reads it (the date must exist)."""
    dt.date(year, month, day)  # raises ValueError for 31.02 and friends
    return _DATE[_check_language(language)](day, month, year)


def _check_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language: {language!r}")
    return language


# --- Text passes -----------------------------------------------------------------------------

_APOSTROPHES = "'’‘`ʼ´"  # the look-alikes fans type instead of ʻ
_UZ_OG_APOSTROPHE = re.compile(rf"([oOgG])[{_APOSTROPHES}ʻ](?=[^\W\d_])")
_UZ_TUTUQ = re.compile(rf"(?<=[^\W\d_])[{_APOSTROPHES}](?=[^\W\d_])")
_GROUP_SPACE = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}\b)")
_EN_GROUP_COMMA = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_GROUP_PLAIN_SPACE = re.compile(r"\b\d{1,3}(?: \d{3})+\b")
_DATE_DMY = re.compile(r"\b(\d{1,2})([./])(\d{1,2})\2(\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_EN_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
_UZ_ORDINAL = re.compile(r"\b(\d+)-(?=[^\W\d_])")
_NEGATIVE = re.compile(r"(?<![\w.,])[-−](?=\d)")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:])")

_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk", "Me"}


def _strip_unspeakable(text: str) -> str:
    kept = []
    for char in text:
        if char in "\n\t ":
            kept.append(char)
        elif ord(char) > 0xFFFF or unicodedata.category(char) in _DROPPED_CATEGORIES:
            kept.append(" ")
        elif "\ufe00" <= char <= "\ufe0f":  # emoji variation selectors
            continue
        else:
            kept.append(char)
    return "".join(kept)


def _sentence_per_line(text: str) -> str:
    """Join lines, ending each line but the last with a full stop unless it has punctuation."""
    lines = [line.strip() for line in _LINE_BREAK.split(text)]
    lines = [line for line in lines if line]
    ended = [line if line[-1] in ".!?,;:…" else line + "." for line in lines[:-1]]
    return " ".join(ended + lines[-1:])


def _uz_apostrophes(text: str) -> str:
    text = _UZ_OG_APOSTROPHE.sub(lambda m: m.group(1) + "ʻ", text)
    return _UZ_TUTUQ.sub("ʼ", text)


def _dates(text: str, language: str) -> str:
    def spoken(day: str, month: str, year: str) -> str | None:
        try:
            return date_to_words(int(day), int(month), int(year), language)
        except ValueError:
            return None

    def dmy(match: re.Match[str]) -> str:
        words = spoken(match.group(1), match.group(3), match.group(4))
        return f" {words} " if words else _plain(match.group(1, 3, 4))

    def iso(match: re.Match[str]) -> str:
        words = spoken(match.group(3), match.group(2), match.group(1))
        return f" {words} " if words else _plain(match.group(1, 2, 3))

    return _DATE_ISO.sub(iso, _DATE_DMY.sub(dmy, text))


def _plain(groups: tuple[str, ...]) -> str:
    return " ".join(str(int(group)) for group in groups)


def _ordinals(text: str, language: str) -> str:
    if language == "en":
        return _EN_ORDINAL.sub(lambda m: _say_ordinal(m.group(1), _en_ordinal), text)
    if language == "uz":
        return _UZ_ORDINAL.sub(lambda m: _say_ordinal(m.group(1), _uz_ordinal) + " ", text)
    return text


def _say_ordinal(digits: str, ordinal: Callable[[int], str]) -> str:
    n = int(digits)
    return ordinal(n) if n <= MAX_NUMBER else digits


def _numbers(text: str, language: str) -> str:
    decimal_marks = "." if language == "en" else ".,"
    pattern = re.compile(rf"(\d+)(?:[{re.escape(decimal_marks)}](\d{{1,3}})(?!\d))?(\s*%)?")
    cardinal, decimal = _CARDINAL[language], _DECIMAL[language]

    def spoken(match: re.Match[str]) -> str:
        whole, fraction, percent = match.group(1), match.group(2), match.group(3)
        if fraction:
            words = decimal(int(whole), fraction) if len(whole) <= 12 else _digits(whole, language)
        elif len(whole) > 12 or (len(whole) > 1 and whole.startswith("0")):
            words = _digits(whole, language)
        else:
            words = cardinal(int(whole))
        if percent:
            words += " " + _percent_word(int(whole), bool(fraction), language)
        return f" {words} "

    return pattern.sub(spoken, text)


def _digits(digits: str, language: str) -> str:
    return " ".join(_CARDINAL[language](int(d)) for d in digits)


def _percent_word(whole: int, is_fraction: bool, language: str) -> str:
    if language != "ru":
        return _SYMBOLS[language]["%"]
    return _RU_PERCENT[1] if is_fraction else ru_plural(whole, _RU_PERCENT)


def _symbols(text: str, language: str) -> str:
    table = _SYMBOLS[language]
    return "".join(f" {table[c]} " if c in table else c for c in text)


def normalise_text(text: str, language: str) -> str:
    """Text ready for the TTS voice of `language` (uz, ru or en); may be empty."""
    _check_language(language)
    # before NFKC turns these spaces into plain ones and № into "No"
    text = _GROUP_SPACE.sub("", text).replace("№", f" {_SYMBOLS[language]['№']} ")
    if language == "uz":
        text = _uz_apostrophes(text)  # before NFKC splits ´ into a space and an accent
    text = unicodedata.normalize("NFKC", text)
    text = _sentence_per_line(_strip_unspeakable(text))
    if language == "en":
        text = _EN_GROUP_COMMA.sub(lambda m: m.group(0).replace(",", ""), text)
    else:
        text = _GROUP_PLAIN_SPACE.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = _dates(text, language)
    text = _ordinals(text, language)
    text = _NEGATIVE.sub(" minus " if language != "ru" else " минус ", text)
    text = _numbers(text, language)
    text = _symbols(text, language)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
