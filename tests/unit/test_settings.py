"""Settings: every DESIGN §3 variable, secrets hidden, and one clear line for bad values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stario.core.settings import EngineChoice, Settings, SettingsError, load_settings

DESIGN_VARIABLES = [
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "ADMIN_IDS",
    "DATABASE_URL",
    "REDIS_URL",
    "STORAGE_URL",
    "S3_ENDPOINT",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "WEB_HOST",
    "WEB_PORT",
    "WEBAPP_PUBLIC_URL",
    "PAYME_MERCHANT_ID",
    "PAYME_KEY",
    "CLICK_SERVICE_ID",
    "CLICK_MERCHANT_ID",
    "CLICK_MERCHANT_USER_ID",
    "CLICK_SECRET_KEY",
    "VIDEO_ENGINE",
    "POSTER_ENGINE",
    "FACE_ENGINE",
    "TTS_ENGINE",
    "MODELS_DIR",
    "DEFAULT_LANGUAGE",
    "FREE_CREDITS",
]
SECRETS = (
    "BOT_TOKEN",
    "WEBHOOK_SECRET",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "PAYME_KEY",
    "CLICK_SECRET_KEY",
)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in DESIGN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_every_design_variable_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(DESIGN_VARIABLES) <= fields


def test_every_setting_is_documented_in_env_example() -> None:
    example = (REPO / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in example, f"{name.upper()} missing from .env.example"


def test_defaults_are_the_embedded_dev_setup() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite")
    assert settings.redis_url is None
    assert settings.storage_url == "file://./data"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.web_port == 8080
    assert settings.default_language == "uz"
    assert settings.free_credits == 2
    assert settings.video_engine is EngineChoice.LOCAL


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.setenv(name, f"very-secret-{name}")
    settings = load_settings()
    text = repr(settings) + str(settings) + settings.model_dump_json()
    assert "very-secret" not in text
    assert settings.require_bot_token() == "very-secret-BOT_TOKEN"


def test_admin_ids_parse_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 1, 22 ,333,")
    assert load_settings().admin_ids == frozenset({1, 22, 333})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "postgresql+asyncpg:///nohost"),
        ("REDIS_URL", "http://localhost:6379"),
        ("STORAGE_URL", "ftp://x"),
        ("STORAGE_URL", "s3://"),
        ("ADMIN_IDS", "1,abc"),
        ("WEB_PORT", "70000"),
        ("FREE_CREDITS", "-1"),
        ("DEFAULT_LANGUAGE", "de"),
        ("VIDEO_ENGINE", "quantum"),
        ("TELEGRAM_API_URL", "localhost:8081"),
    ],
)
def test_bad_values_raise_one_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == variable
    assert "\n" not in str(raised.value)


def test_missing_bot_token_is_named() -> None:
    with pytest.raises(SettingsError, match="BOT_TOKEN"):
        load_settings().require_bot_token()


def run_stario(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stario.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "extra_env", "variable"),
    [
        (["migrate"], {"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        (["bot"], {}, "BOT_TOKEN"),
        (["worker"], {}, "REDIS_URL"),
        (["web"], {"WEB_PORT": "eighty"}, "WEB_PORT"),
    ],
)
def test_processes_stop_at_start_with_one_line_naming_the_variable(
    tmp_path: Path, command: list[str], extra_env: dict[str, str], variable: str
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **extra_env}
    result = run_stario(*command, env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
