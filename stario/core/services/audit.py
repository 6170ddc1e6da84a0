"""The audit log: who did what to what."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from stario.models import AuditLog

_AUDIT = cast(sa.Table, AuditLog.__table__)


def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction (it commits with the change it records)."""
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details or {},
        )
    )


def with_change(
    change: sa.CTE,
    target: sa.ColumnElement[Any],
    *,
    target_type: str,
    details: sa.ColumnElement[Any] | None = None,
) -> sa.CTE:
    """An INSERT of one audit row per row `change` (a data-modifying CTE, PostgreSQL) returns,
    as another CTE: the change and its audit row go to the database as one statement, one
    round trip on the payment hot path. The target id is `target` (a column of `change`);
    `details` an SQL expression over `change`, else the bind `audit_details`. Other binds:
    `audit_action`, `audit_actor`, `audit_at`."""
    row = sa.select(
        sa.bindparam("audit_actor", type_=_AUDIT.c.actor_id.type),
        sa.bindparam("audit_action", type_=_AUDIT.c.action.type),
        sa.literal(target_type, _AUDIT.c.target_type.type),
        sa.cast(target, _AUDIT.c.target_id.type),
        sa.bindparam("audit_details", type_=_AUDIT.c.details.type) if details is None else details,
        sa.bindparam("audit_at", type_=_AUDIT.c.created_at.type),
    ).select_from(change)
    columns = ["actor_id", "action", "target_type", "target_id", "details", "created_at"]
    return sa.insert(_AUDIT).from_select(columns, row).cte(f"audit_of_{change.name}")
