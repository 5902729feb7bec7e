"""One page of a listing and the size of the whole, for every list endpoint."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def page(
    session: Session, query: sa.Select[Any], *order_by: Any, limit: int, offset: int
) -> tuple[int, list[Any]]:
    """``(total, rows)``: how many rows ``query`` selects, and the ones on this page."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset)))
    return int(total or 0), rows
