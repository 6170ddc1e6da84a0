"""Run alembic from code (`stario migrate`, `stario dev`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import stario


def find_alembic_ini() -> Path:
    """alembic.ini in the working directory (the Docker image's /app), else in the source tree."""
    for root in (Path.cwd(), Path(stario.__file__).resolve().parent.parent):
        candidate = root / "alembic.ini"
        if candidate.is_file() and (root / "migrations" / "env.py").is_file():
            return candidate
    raise FileNotFoundError("alembic.ini and migrations/ not found: run from the project root")


def alembic_config(database_url: str) -> Config:
    ini = find_alembic_ini()
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade_to_head(database_url: str) -> None:
    """Blocking (alembic's env runs its own event loop): call it from a thread in async code."""
    command.upgrade(alembic_config(database_url), "head")
