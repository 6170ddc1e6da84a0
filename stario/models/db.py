"""Engine and session factory. One AsyncSession per unit of work, opened at the edge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

DEFAULT_POOL_SIZE = 20
POOL_RECYCLE_S = 1800


def create_engine(
    database_url: str,
    *,
    echo: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    pooled: bool = True,
) -> AsyncEngine:
    """`pooled=False` for short-lived event loops (one per worker job): no connection outlives
    the loop that opened it.

    PostgreSQL pools hold `pool_size` connections plus as many again under bursts. There is no
    pre-ping (on asyncpg it is an extra round trip on every checkout, a third of the latency of
    a Payme call): connections are recycled after POOL_RECYCLE_S, before server or proxy idle
    timeouts close them, and a connection that still turns out dead raises a disconnect error,
    on which SQLAlchemy invalidates it and every older pooled connection, so the next unit of
    work starts on fresh ones. The one unit of work that met it fails and rolls back; the
    providers repeat a call whose answer they did not get, and every use case is idempotent."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if not pooled:
        return create_async_engine(database_url, echo=echo, poolclass=NullPool)
    return create_async_engine(
        database_url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=POOL_RECYCLE_S,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def dialect_insert(session: AsyncSession, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support for the session's backend (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
