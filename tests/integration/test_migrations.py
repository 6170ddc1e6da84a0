"""Migrations: every revision goes up, down and up again, and models match the schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from stario.models import Base
from stario.models.db import create_engine
from tests.conftest import TEST_DATABASE_URL, alembic_config, ensure_database, reset_schema

STAIRWAY_URL = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/stario_test_stairway"


@pytest.fixture
async def empty_engine() -> AsyncIterator[AsyncEngine]:
    await ensure_database(STAIRWAY_URL)
    engine = create_engine(STAIRWAY_URL, pool_size=1)
    await reset_schema(engine)
    yield engine
    await engine.dispose()


def _revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(STAIRWAY_URL))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def test_stairway_each_revision_upgrades_downgrades_and_upgrades(
    empty_engine: AsyncEngine,
) -> None:
    config = alembic_config(STAIRWAY_URL)
    revisions = _revisions_oldest_first()
    assert revisions, "no migration revisions found"
    for revision in revisions:
        await asyncio.to_thread(command.upgrade, config, revision)
        await asyncio.to_thread(command.downgrade, config, "-1")
        await asyncio.to_thread(command.upgrade, config, revision)


async def test_models_and_migrations_do_not_drift(empty_engine: AsyncEngine) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(STAIRWAY_URL), "head")

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with empty_engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_migrations_also_build_the_sqlite_schema_for_stario_dev(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/dev.db"
    config = alembic_config(url)
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
