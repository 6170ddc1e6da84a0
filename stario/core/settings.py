"""Configuration: one pydantic-settings class reading the environment (DESIGN §3).

Build it once in each entry point (`Settings()` or `load_settings()`) and pass it down; there is
no module-level instance.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, NoReturn
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LANGUAGES: tuple[str, ...] = ("uz", "ru", "en")
Language = Literal["uz", "ru", "en"]


class EngineChoice(StrEnum):
    LOCAL = "local"
    GPU = "gpu"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # Infrastructure
    database_url: str = "sqlite+aiosqlite:///./stario.db"
    # PostgreSQL connections per process: this many kept open, as many again under bursts.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    redis_url: str | None = None
    storage_url: str = "file://./data"
    s3_endpoint: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"

    # Web
    web_host: str = "0.0.0.0"  # noqa: S104 - a server process listens on all interfaces
    web_port: int = Field(default=8080, ge=1, le=65535)
    webapp_public_url: str | None = None
    # How old a Mini App's initData may be (its auth_date) for the API to accept it.
    miniapp_init_data_ttl_s: int = Field(default=86_400, ge=60, le=7 * 86_400)

    # Payments
    # Signs Telegram Stars invoice payloads (HMAC-SHA256). Unset: derived from BOT_TOKEN
    # (stario.core.services.stars.payments_secret), so a new token voids unpaid invoices.
    payments_secret: SecretStr | None = None
    payme_merchant_id: str | None = None
    payme_key: SecretStr | None = None
    click_service_id: str | None = None
    click_merchant_id: str | None = None
    click_merchant_user_id: str | None = None
    click_secret_key: SecretStr | None = None
    # Payme's Basic-auth login; the docs say to ask Payme, in practice it is always "Paycom".
    payme_login: str = "Paycom"
    # Where the Payme checkout link points (sandbox: https://test.paycom.uz).
    payme_checkout_url: str = "https://checkout.paycom.uz"
    # A pending order can be paid for this long; 12 h matches Payme's transaction timeout.
    order_ttl_s: int = Field(default=43_200, ge=60, le=7 * 86_400)
    # Credits paid once to a referrer after the referred fan's first paid order, and how many
    # such bonuses one referrer can get per calendar month (UTC).
    referral_bonus_credits: int = Field(default=3, ge=0, le=1000)
    referral_monthly_cap: int = Field(default=10, ge=0, le=10_000)

    # Engines
    video_engine: EngineChoice = EngineChoice.LOCAL
    poster_engine: EngineChoice = EngineChoice.LOCAL
    face_engine: EngineChoice = EngineChoice.LOCAL
    tts_engine: EngineChoice = EngineChoice.LOCAL
    models_dir: Path = Path("./models")

    # Product
    default_language: Language = "uz"
    free_credits: int = Field(default=2, ge=0, le=1000)
    # Face Quizzes free per fan per UTC day; each one after that costs quiz_price_credits.
    quiz_free_per_day: int = Field(default=3, ge=0, le=1000)
    quiz_price_credits: int = Field(default=1, ge=1, le=1000)
    # A paid job not delivered within this many seconds is refunded (and, if it still
    # finishes, delivered as a gift).
    greeting_deadline_s: int = Field(default=900, ge=30, le=86_400)
    poster_deadline_s: int = Field(default=300, ge=30, le=86_400)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return frozenset({value})
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError("must be a comma-separated list of Telegram user ids") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError(
                "must start with postgresql+asyncpg:// or sqlite+aiosqlite:// "
                f"(got {scheme + '://' if scheme else 'no scheme'})"
            )
        if scheme == "postgresql+asyncpg" and not urlparse(value).hostname:
            raise ValueError("a postgresql+asyncpg URL needs a host")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlparse(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme == "file" and (parsed.netloc or parsed.path):
            return value
        if parsed.scheme == "s3" and parsed.netloc:
            return value
        raise ValueError("must be file://PATH or s3://BUCKET")

    @field_validator("telegram_api_url", "webhook_url", "webapp_public_url", "s3_endpoint")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("payme_checkout_url")
    @classmethod
    def _check_checkout_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme != "https" or not parsed.netloc:
            raise ValueError("must be an https:// URL")
        return value.rstrip("/")

    @field_validator("default_language", mode="before")
    @classmethod
    def _normalise_language(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    # Derived values -------------------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_bot_token(self) -> str:
        """The bot token, or a SettingsError naming the variable."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("BOT_TOKEN", "is required for this command")
        return self.bot_token.get_secret_value()


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable} {problem}")


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into a SettingsError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(variable, f"is invalid: {message}") from None


def exit_on_settings_error(error: SettingsError) -> NoReturn:
    print(f"stario: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2)
