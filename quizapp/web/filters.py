"""Template filters and globals."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from quizapp.rendering import markdown_inline, markdown_to_html

DIFFICULTY_LABELS = {1: "Recall", 2: "Understanding", 3: "Analysis"}


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A UTC datetime shown in UTC, with the zone named."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime(fmt) + " UTC"


def format_score(value: float | None) -> str:
    """Points without trailing zeros: 3, 2.5, 0.33."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


# The main navigation per role; an entry shows only once its blueprint is registered.
NAVIGATION = {
    "student": [("student.home", "My work"), ("student.progress", "My progress")],
    "teacher": [
        ("teacher.dashboard", "Classes"),
        ("bank.index", "Question bank"),
        ("builders.quizzes", "Quizzes"),
        ("builders.modules", "Modules"),
    ],
    "admin": [
        ("teacher.dashboard", "Classes"),
        ("bank.index", "Question bank"),
        ("builders.quizzes", "Quizzes"),
        ("builders.modules", "Modules"),
        ("admin.index", "Admin"),
        ("privacy.index", "Privacy"),
    ],
}


def init_app(app: Flask) -> None:
    """Register filters."""
    app.jinja_env.filters["markdown"] = markdown_to_html
    app.jinja_env.filters["markdown_inline"] = markdown_inline
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["score"] = format_score
    app.jinja_env.globals["DIFFICULTY_LABELS"] = DIFFICULTY_LABELS
    app.jinja_env.globals["now_utc"] = lambda: datetime.now(UTC)

    def nav_items():
        from flask_login import current_user

        if not current_user.is_authenticated:
            return []
        return [
            (e, label)
            for e, label in NAVIGATION.get(current_user.role, [])
            if e in app.view_functions
        ]

    app.jinja_env.globals["nav_items"] = nav_items
