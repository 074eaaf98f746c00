"""Who may use or edit what in the bank and builders, as SQL clauses and plain checks.

A teacher may use curated content (no owner) and their own, and edit only their own; an admin
may use and edit everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from quizapp.models import Question, User


def visible_clause(column: Any, user: User) -> ColumnElement[bool]:
    """SQL condition: rows whose owner ``column`` is NULL or the user (anything for admins)."""
    if user.is_admin:
        return true()
    return column.is_(None) | (column == user.id)


def may_use(owner_id: int | None, user: User) -> bool:
    """Curated content, the user's own, or anything for an admin."""
    return user.is_admin or owner_id is None or owner_id == user.id


def may_edit(owner_id: int | None, user: User) -> bool:
    """The user's own content, or anything for an admin."""
    return user.is_admin or (owner_id is not None and owner_id == user.id)


def visible_questions(user: User) -> ColumnElement[bool]:
    """SQL condition on :class:`Question` for the bank of ``user``."""
    return visible_clause(Question.owner_id, user)
