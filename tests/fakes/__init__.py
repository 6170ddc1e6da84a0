"""Fakes of outside services for tests (over real sockets)."""

from tests.fakes.telegram_api import DEFAULT_TOKEN, Call, FakeTelegram, Upload, User

__all__ = ["DEFAULT_TOKEN", "Call", "FakeTelegram", "Upload", "User"]
