"""Checks a fan's text before any charge: the artist's rules, profanity, contacts and length.

Each refusal reason is an i18n key (`moderation-*`) so the fan learns what to change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from stario.core.errors import ModerationRefusedError
from stario.core.services.catalog import Restrictions

# Roughly how fast the voice speaks: words per second of video.
WORDS_PER_SECOND = 2.3
MAX_CHARS_PER_SECOND = 16

_LINK = re.compile(
    r"(https?://|www\.|t\.me/|\b[\w-]+\.(com|ru|uz|org|net|io|me|info|xyz|tk|site)\b)", re.I
)
_PHONE = re.compile(r"(\+?\d[\d\s().-]{7,}\d)")
_MENTION = re.compile(r"(^|\s)@\w{3,}")

# A short list per language; artists add their own blocked words and topics.
PROFANITY: frozenset[str] = frozenset(
    {
        # en
        "fuck", "fucking", "shit", "bitch", "asshole", "bastard", "cunt", "dick",
        # ru (stems are matched as word prefixes below)
        "хуй", "хуе", "хуё", "пизд", "ебат", "ебан", "ёбан", "бляд", "сука", "мудак", "гандон",
        # uz
        "jalab", "qanjiq", "haromi", "sikay", "skay", "dalbayob", "gandon",
    }
)  # fmt: skip


def check_text(text: str, restrictions: Restrictions, *, max_seconds: int | None = None) -> str:
    """The text, normalised, if it passes; else ModerationRefusedError with every reason."""
    cleaned = normalise(text)
    reasons: list[str] = []
    if not cleaned:
        raise ModerationRefusedError(["moderation-empty"])
    seconds = max_seconds or restrictions.max_seconds
    words = cleaned.split()
    if len(words) > seconds * WORDS_PER_SECOND or len(cleaned) > seconds * MAX_CHARS_PER_SECOND:
        reasons.append("moderation-too-long")
    if _LINK.search(cleaned):
        reasons.append("moderation-link")
    if _PHONE.search(cleaned):
        reasons.append("moderation-phone")
    if _MENTION.search(cleaned):
        reasons.append("moderation-mention")
    lowered = _fold(cleaned)
    tokens = re.findall(r"\w+", lowered)
    if _matches(tokens, PROFANITY):
        reasons.append("moderation-profanity")
    if _matches(tokens, (_fold(word) for word in restrictions.blocked_words)):
        reasons.append("moderation-blocked-word")
    if any(_fold(topic) in lowered for topic in restrictions.blocked_topics if topic.strip()):
        reasons.append("moderation-blocked-topic")
    if reasons:
        raise ModerationRefusedError(reasons)
    return cleaned


def normalise(text: str) -> str:
    """NFC, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n ")
    return " ".join(text.split())


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _matches(tokens: list[str], stems: Iterable[str]) -> bool:
    stems = [stem for stem in stems if stem]
    return any(token.startswith(stem) for token in tokens for stem in stems)
