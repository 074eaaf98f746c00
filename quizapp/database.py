"""Backend-specific connection settings, applied when the engine connects."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run while one writer writes; NORMAL sync is durable in WAL mode
    # against application crashes (what a killed server process is).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def init_app(app: Flask) -> None:
    """Attach per-connection tuning to the app's engine."""
    from quizapp.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_quizapp_tuned", False):
            event.listen(engine, "connect", _tune_sqlite)
            engine._quizapp_tuned = True
