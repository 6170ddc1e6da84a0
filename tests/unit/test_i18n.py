"""The Fluent files: every key in uz, ru and en with the same variables; every domain error and
moderation reason has its text; handlers hard-code no user-facing text and use known keys."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fluent.syntax import ast as fluent_ast
from fluent.syntax import parse
from fluent.syntax.visitor import Visitor

import stario.core.errors as errors_module
from stario.bot import factory
from stario.core.errors import StarioError
from stario.core.i18n import LOCALES_DIR, Translator
from stario.core.settings import LANGUAGES

REPO = Path(__file__).resolve().parents[2]
HANDLERS = REPO / "stario" / "handlers"
# Where the bot talks to fans: the handlers and the bot's composition (middlewares, broadcasts).
BOT_SOURCES = [*sorted(HANDLERS.glob("*.py")), *sorted((REPO / "stario" / "bot").glob("*.py"))]
# Sources whose t("key") / translator.get(lang, "key") literals must name existing keys.
KEY_USERS = BOT_SOURCES
# Methods that put text in front of a fan.
SENDERS = {
    "answer", "reply", "send_message", "edit_text", "edit_caption", "answer_callback_query",
    "answer_pre_checkout_query", "send_photo", "send_video", "send_document", "tell", "show",
    "InlineKeyboardButton", "KeyboardButton", "BotCommand",
}  # fmt: skip
TEXT_KEYWORDS = {"text", "caption", "error_message", "description"}


def messages(language: str) -> dict[str, fluent_ast.Message]:
    found: dict[str, fluent_ast.Message] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        resource = parse(path.read_text(encoding="utf-8"))
        junk = [entry for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
        assert not junk, f"{path}: cannot parse {[(entry.content or '')[:60] for entry in junk]}"
        for entry in resource.body:
            if isinstance(entry, fluent_ast.Message):
                assert entry.id.name not in found, f"{language}: {entry.id.name} defined twice"
                found[entry.id.name] = entry
    return found


def variables(message: fluent_ast.Message) -> set[str]:
    names: set[str] = set()

    class Collect(Visitor):
        def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:  # noqa: N802
            names.add(node.id.name)

    Collect().visit(message)
    return names


def test_every_key_exists_in_every_language_with_the_same_variables() -> None:
    by_language = {language: messages(language) for language in LANGUAGES}
    every_key = set().union(*(set(found) for found in by_language.values()))
    for language, found in by_language.items():
        assert not every_key - set(found), f"missing in {language}: {every_key - set(found)}"
    for key in every_key:
        expected = variables(by_language["en"][key])
        for language in LANGUAGES:
            assert variables(by_language[language][key]) == expected, f"{language}/{key}"


def test_the_translator_sees_the_same_keys_in_every_language() -> None:
    translator = Translator()
    assert translator.keys("uz") == translator.keys("ru") == translator.keys("en")


def all_subclasses(cls: type[StarioError]) -> set[type[StarioError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= all_subclasses(sub)
    return found


def test_every_domain_error_has_a_localised_text() -> None:
    translator = Translator()
    classes = {StarioError} | all_subclasses(StarioError)
    assert {cls.__name__ for cls in classes} >= {
        name for name, value in vars(errors_module).items()
        if isinstance(value, type) and issubclass(value, StarioError)
    }  # fmt: skip
    for cls in classes:
        for language in LANGUAGES:
            assert cls.key in translator.keys(language), f"{cls.__name__}: {cls.key} ({language})"


def test_every_moderation_reason_has_a_localised_text() -> None:
    source = (REPO / "stario" / "core" / "services" / "moderation.py").read_text()
    reasons = set(re.findall(r'"(moderation-[a-z-]+)"', source))
    assert len(reasons) >= 8
    translator = Translator()
    for language in LANGUAGES:
        assert reasons <= translator.keys(language), reasons - translator.keys(language)


def test_bot_commands_have_descriptions() -> None:
    translator = Translator()
    for language in LANGUAGES:
        for command in factory.FAN_COMMANDS:
            description = translator.get(language, f"cmd-{command}")
            assert 3 <= len(description) <= 256, (language, command)


def test_uzbek_uses_the_turned_comma_in_o_and_g() -> None:
    """Oʻ and gʻ take ʻ (U+02BB), not an ASCII apostrophe or a backtick."""
    for path in sorted((LOCALES_DIR / "uz").glob("*.ftl")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[oOgG]['`]", text), path


def _words(value: str) -> bool:
    return any(char.isalpha() for char in value)


def _literal_texts(node: ast.expr) -> list[str]:
    """User-visible literal text in an expression passed as a message's text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if _words(node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [
            part.value
            for part in node.values
            if isinstance(part, ast.Constant)
            and isinstance(part.value, str)
            and _words(part.value)
        ]
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left) + _literal_texts(node.right)
    return []


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def hard_coded_texts(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _call_name(node) not in SENDERS:
            continue
        candidates = [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
        # bot.send_message(chat_id, text) / message.answer(text) / tell(bot, update, text)
        candidates += node.args[:3]
        for candidate in candidates:
            found += [f"line {node.lineno}: {text!r}" for text in _literal_texts(candidate)]
    return found


@pytest.mark.parametrize("path", BOT_SOURCES, ids=lambda path: path.name)
def test_handlers_hard_code_no_user_facing_text(path: Path) -> None:
    assert hard_coded_texts(path.read_text(encoding="utf-8")) == []


def test_the_hard_coded_text_check_catches_what_it_should() -> None:
    sample = """
async def handler(message, bot, t):
    await message.answer("Hello there")
    await bot.send_message(1, f"Balance: {t('x')}")
    await message.answer(text="Привет")
    button = InlineKeyboardButton(text="Menu", callback_data="menu:home")
    await message.answer(t("menu-title"))
    await message.answer("\\n".join([t("a"), t("b")]))
    await message.answer(f"{t('a')}\\n{t('b')}")
"""
    assert len(hard_coded_texts(sample)) == 4


def used_keys(source: str) -> set[str]:
    """Literal keys in t("key", ...) and translator.get(language, "key", ...)."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        position = 0 if name == "t" else 1 if name == "get" else None
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            keys.add(argument.value)
        elif isinstance(argument, ast.IfExp):  # t("a" if x else "b")
            keys |= {
                branch.value
                for branch in (argument.body, argument.orelse)
                if isinstance(branch, ast.Constant) and isinstance(branch.value, str)
            }
    return keys


@pytest.mark.parametrize("path", KEY_USERS, ids=lambda path: path.name)
def test_keys_used_in_the_bot_exist(path: Path) -> None:
    keys = used_keys(path.read_text(encoding="utf-8"))
    translator = Translator()
    for language in LANGUAGES:
        assert keys <= translator.keys(language), keys - translator.keys(language)
