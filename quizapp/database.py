"""Backend-specific connection settings, applied when the engine connects.

SQLite: WAL (readers never wait for the writer), a busy timeout, and write transactions that
start with BEGIN IMMEDIATE, so that two writers never both read and then fail to upgrade their
lock (the classic 'database is locked'). Requests that only read (GET, HEAD) begin deferred.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from sqlalchemy import event

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _tune_sqlite(dbapi_connection, _record) -> None:
    # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable in WAL mode against a crash of the application process.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


# Endpoints that read first and write one row at the end: they hold SQLite's write lock only
# for the write (the view sets g.sqlite_write_phase before it), not for the whole request.
LATE_WRITE_ENDPOINTS = frozenset({"api.save_answer"})


def _begin_sqlite(connection) -> None:
    # Read-only work outside requests (backups) asks for a deferred BEGIN with an option.
    reading = connection.get_execution_options().get("quizapp_read_only") or (
        has_request_context()
        and (
            request.method in READ_METHODS
            or (request.endpoint in LATE_WRITE_ENDPOINTS and not g.get("sqlite_write_phase"))
        )
    )
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def tune_engine(engine) -> None:
    """Install the SQLite tuning on an engine (once)."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_quizapp_tuned", False):
        return
    event.listen(engine, "connect", _tune_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    engine._quizapp_tuned = True


def init_app(app: Flask) -> None:
    """Attach per-connection tuning to the app's engine."""
    from quizapp.extensions import db

    with app.app_context():
        tune_engine(db.engine)


def begin_write_phase(session) -> None:
    """End a late-write request's read transaction; what follows begins with BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        g.sqlite_write_phase = True
