"""Localised text (Fluent .ftl files for uz, ru, en).

`Translator.get(language, key, **args)` formats a message; an unknown language falls back to the
default, a key missing in one language falls back to English (and is logged), so a fan never
sees a bare key. Every key must exist in all three languages (a test checks it).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource

from stario.core.settings import LANGUAGES

log = logging.getLogger(__name__)
LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"


class Translator:
    def __init__(self, default_language: str = "uz", locales_dir: Path = LOCALES_DIR) -> None:
        self.default_language = default_language
        self._bundles = {language: _bundle(locales_dir, language) for language in LANGUAGES}

    def get(self, language: str | None, key: str, **args: object) -> str:
        language = language if language in self._bundles else self.default_language
        for candidate in (language, FALLBACK):
            bundle = self._bundles[candidate]
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    break
                text, errors = bundle.format_pattern(message.value, args)
                if errors:
                    log.warning("i18n %s/%s: %s", candidate, key, errors)
                return str(text)
            log.warning("i18n key %r missing in %s", key, candidate)
        return key

    def keys(self, language: str) -> set[str]:
        return set(self._bundles[language]._messages)


def _bundle(locales_dir: Path, language: str) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((locales_dir / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


@cache
def default_translator(default_language: str = "uz") -> Translator:
    return Translator(default_language)
