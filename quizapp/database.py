"""Backend-specific connection settings, applied when the engine connects.

SQLite: WAL (readers never wait for the writer), a busy timeout, and write transactions that
start with BEGIN IMMEDIATE, so that two writers never both read and then fail to upgrade their
lock (the classic 'database is locked'). Requests that only read (GET, HEAD) begin deferred.

``autocommit_connection()`` is for the autosave: one SELECT, then one write statement, each
its own transaction. A single SQLite write statement takes the write lock when it starts and
releases it when it ends (it is an immediate transaction of one statement), so the lock is
held for the time of one statement, not across Python code between statements.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import scoped_session

# PostgreSQL: a pooled connection used less than this long ago is known to be alive; one that
# sat in the pool longer is pinged before use (a restarted database leaves it full of dead
# ones). Under load no request pays for a ping; after a quiet spell, one round trip.
PING_AFTER_IDLE_SECONDS = 1.0

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


# Requests that read and compute first and write at the end: they begin deferred and hold
# SQLite's write lock only from ``begin_write_phase`` (a submission grades, a sign-in checks a
# password hash, a start builds the question order — none of that inside the lock).
LATE_WRITE_ENDPOINTS = frozenset(
    {
        "api.submit",
        "auth.login",
        "student.confirm_submit",
        "student.start_assignment",
        "student.start_practice",
    }
)


def _begin_sqlite(connection) -> None:
    options = connection.get_execution_options()
    if options.get("quizapp_autocommit"):
        return  # pysqlite runs with isolation_level=None: every statement commits by itself
    # Read-only work outside requests (backups) asks for a deferred BEGIN with an option.
    reading = options.get("quizapp_read_only") or (
        has_request_context()
        and not g.pop("sqlite_next_immediate", False)
        and (request.method in READ_METHODS or request.endpoint in LATE_WRITE_ENDPOINTS)
    )
    connection.info["quizapp_deferred"] = bool(reading)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _note_idle(_dbapi_connection, record) -> None:
    record.info["quizapp_idle_since"] = time.monotonic()


def _pinger(dialect):
    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("quizapp_idle_since", None)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # dead: the pool throws it away and connects again
            raise DisconnectionError(f"connection failed its ping: {exc}") from exc

    return ping_if_idle


def tune_engine(engine) -> None:
    """Install the backend's tuning on an engine (once)."""
    if getattr(engine, "_quizapp_tuned", False):
        return
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _note_idle)
        event.listen(engine, "checkin", _note_idle)
        event.listen(engine, "checkout", _pinger(engine.dialect))
    engine._quizapp_tuned = True


def init_app(app: Flask) -> None:
    """Attach per-connection tuning to the app's engine."""
    from quizapp.extensions import db

    with app.app_context():
        tune_engine(db.engine)


@contextmanager
def autocommit_connection() -> Iterator[Connection]:
    """A connection on which every statement commits by itself (no BEGIN … COMMIT): for the
    requests a whole class sends every few seconds (the fast path's saves and submissions).

    The calling thread keeps it between requests, as a bare app keeps one connection per thread:
    a pool checkout and return cost about as much CPU as the autosave's own statement. It is
    given back to the pool, and a pooled one taken (and pinged, if it sat idle), when it has not
    been used for ``PING_AFTER_IDLE_SECONDS``, when the database dropped it, when the app's
    engine is another one, or when the work on it failed. No transaction outlives a use; a use
    inside another in the same thread gets a pooled connection of its own."""
    from quizapp.extensions import db

    engine = db.engine
    target = engine if engine.dialect.name == "sqlite" else autocommit_engine(engine)
    if getattr(_thread_held, "busy", False):
        with _autocommit(target.connect()) as connection:
            yield connection
        return
    connection = _held_connection(target)
    _thread_held.busy = True
    try:
        yield connection
        # SQLAlchemy's own bookkeeping only: nothing was begun on the database.
        if connection.in_transaction() and not connection.invalidated:
            connection.commit()
    except BaseException:
        _release(target, connection)
        raise
    finally:
        _thread_held.busy = False
    if connection.invalidated:  # the database dropped it (the caller saw the error)
        _release(target, connection)
    else:
        _thread_held.used_at = time.monotonic()


_thread_held = threading.local()


def _autocommit(connection: Connection) -> Connection:
    # SQLite: no BEGIN is sent (the driver already runs without implicit transactions), which
    # spares switching the isolation level; PostgreSQL: the autocommit engine's connections
    # are in autocommit already.
    if connection.dialect.name == "sqlite":
        connection.execution_options(quizapp_autocommit=True)
    return connection


def _held_connection(target: Engine) -> Connection:
    held = getattr(_thread_held, "connection", None)
    if held is not None:
        idle = time.monotonic() - _thread_held.used_at
        fresh = idle < PING_AFTER_IDLE_SECONDS and not (held.invalidated or held.closed)
        if held.engine is target and fresh:
            return held
        _release(held.engine, held)
    connection = _thread_held.connection = _autocommit(target.connect())
    _held_on(target).add(connection)
    # A thread's local values go when it ends, and this marker's finalizer with them: a server
    # that starts a thread per request (Werkzeug's) would otherwise keep a connection per
    # request, and the pool would run dry. (A marker replaced by the next one gives back a
    # connection ``_release`` already gave back: nothing happens.)
    marker = _thread_held.end_marker = _ThreadEndMarker()
    # Not at interpreter exit: the process's connections close with it.
    weakref.finalize(marker, _give_back, target, connection).atexit = False
    return connection


class _ThreadEndMarker:
    """Kept in a thread's local values beside its connection; dropped when the thread ends."""


def _held_on(engine: Engine) -> set[Connection]:
    """The connections that threads keep of ``engine`` (closed when it is disposed)."""
    held = getattr(engine, "_quizapp_held", None)
    if held is None:
        held = engine._quizapp_held = set()
        event.listen(engine, "engine_disposed", lambda _connection: _close_held(engine))
    return held


def _close_held(engine: Engine) -> None:
    for connection in list(_held_on(engine)):
        _release(engine, connection)


def _release(engine: Engine, connection: Connection) -> None:
    if getattr(_thread_held, "connection", None) is connection:
        _thread_held.connection = None
    _give_back(engine, connection)


def _give_back(engine: Engine, connection: Connection) -> None:
    """Close ``connection`` (back to its pool; closing a closed one does nothing)."""
    _held_on(engine).discard(connection)
    connection.close()


def autocommit_engine(engine: Engine) -> Engine:
    """PostgreSQL: a second engine on the same database, with its own pool (the same settings:
    a server process may hold up to twice ``pool_size`` + ``max_overflow`` connections), whose
    connections are in autocommit from the moment they connect. Taking a connection of the
    main pool, switching it to autocommit and back and rolling it back on return cost the
    autosave a fifth of its CPU; a checkout here does none of that. Tuned as the main engine
    (a connection idle for a while is pinged first); disposed with it; and, as SQLAlchemy's
    own engine copies do (``Engine.execution_options``), it shares the main engine's events,
    so a listener on the main engine (statement counting, logging) hears its statements."""
    from flask import current_app

    found = getattr(engine, "_quizapp_autocommit", None)
    if found is None:
        options = {
            **current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "isolation_level": "AUTOCOMMIT",
            "pool_reset_on_return": None,  # nothing to roll back: no transaction is ever open
            "echo": engine.echo,
            "hide_parameters": engine.hide_parameters,
        }
        found = create_engine(engine.url, **options)
        found.dispatch = found.dispatch._join(engine.dispatch)
        found._has_events = True  # listeners may come to the main engine at any time
        tune_engine(found)
        # Its pool, not the engine: the engines share their events, and the engine's own
        # dispose would announce itself to this very listener again.
        event.listen(engine, "engine_disposed", lambda _connection: _dispose_pool(found))
        engine._quizapp_autocommit = found
    return found


def _dispose_pool(engine: Engine) -> None:
    _close_held(engine)
    engine.pool.dispose()


def begin_write_phase(session) -> None:
    """Call before the writes of a request that may have begun deferred (a GET, or one of
    ``LATE_WRITE_ENDPOINTS``). On SQLite, a deferred transaction cannot always take the write
    lock later (another writer may have committed since it read), so it ends here and the next
    one begins IMMEDIATE. Anywhere else nothing happens: PostgreSQL, transactions already
    immediate (the caller's unit of work stays whole), work outside requests."""
    if session.get_bind().dialect.name != "sqlite" or not has_request_context():
        return
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        if not session.connection().info.get("quizapp_deferred"):
            return
        session.commit()
    g.sqlite_next_immediate = True


class CursorStatement:
    """A Core statement compiled once per dialect and run straight on the DBAPI cursor of a
    connection: for the statement every student sends every few seconds (the autosave).

    ``Connection.execute`` works out the statement's cache key, runs every parameter through
    the type system and builds a result on each call: for the autosave's one statement that
    was about 180 µs of CPU on SQLite, against about 60 µs for sqlite3 running it (the whole
    save: ``bench/request_costs.py``). Here the compiled SQL and each parameter's bind
    processor are looked up once. What stays SQLAlchemy's: the SQL, the parameter conversion
    (the column types' own processors), the engine's cursor events (so statement counting and
    logging still see it) and the errors (a driver error is raised as
    SQLAlchemy's ``DBAPIError`` subclass; a dropped database connection invalidates the
    pooled connection, as ``execute`` does). The statement joins whatever the connection has
    open: an ``autocommit_connection`` commits it by itself; on a session's connection it runs
    in the transaction SQLAlchemy began (a session begins it when it hands the connection out).
    """

    def __init__(self, build: Callable[[str], Any]) -> None:
        """``build(dialect_name)``: the statement for that dialect (built on first use)."""
        self.build = build
        self._by_dialect: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._rows: dict[str, tuple[Any, list]] = {}  # a SELECT's row type and converters

    def _compiled(self, dialect) -> tuple[Any, dict[str, Any]]:
        known = self._by_dialect.get(dialect.name)
        if known is None:
            compiled = self.build(dialect.name).compile(dialect=dialect)
            processors = {
                compiled.bind_names[bind]: bind.type.dialect_impl(dialect).bind_processor(dialect)
                for bind in compiled.binds.values()
            }
            known = self._by_dialect[dialect.name] = (
                compiled,
                {name: fn for name, fn in processors.items() if fn is not None},
            )
        return known

    def rowcount(self, connection: Connection, values: dict[str, Any]) -> int:
        """Run the statement with ``values`` (by bind name) and return the rows it changed."""
        return self._run(connection, values, lambda cursor: cursor.rowcount)

    def first(self, connection: Connection, values: dict[str, Any]) -> tuple | None:
        """Run a SELECT and return its first row (a named tuple, each value converted by its
        column type as ``execute`` would), or None."""
        return self._run(connection, values, lambda cursor: self._row(connection, cursor, 1))

    def all(self, connection: Connection, values: dict[str, Any]) -> list[tuple]:
        """Run a SELECT and return every row (named tuples, values converted as ``first``)."""
        return self._run(connection, values, lambda cursor: self._row(connection, cursor, None))

    def _row(self, connection: Connection, cursor, limit: int | None):
        dialect = connection.dialect
        shape = self._rows.get(dialect.name)
        if shape is None:
            columns = list(self.build(dialect.name).selected_columns)
            row_type = namedtuple("Row", [column.key for column in columns])
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(columns, cursor.description, strict=True)
            ]
            shape = self._rows[dialect.name] = (row_type, processors)
        row_type, processors = shape
        raw = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        rows = [
            row_type(
                *(fn(value) if fn else value for fn, value in zip(processors, values, strict=True))
            )
            for values in raw
        ]
        return rows if limit is None else (rows[0] if rows else None)

    def _run(self, connection: Connection, values: dict[str, Any], read: Callable[[Any], Any]):
        dialect = connection.dialect
        compiled, processors = self._compiled(dialect)
        named = compiled.construct_params(values)
        for name, process in processors.items():
            named[name] = process(named[name])
        parameters = (
            tuple(named[name] for name in compiled.positiontup) if compiled.positional else named
        )
        statement = compiled.string
        cursor = connection.connection.driver_connection.cursor()
        try:
            # The connection's listeners include the engine's (statement counting in tests).
            for listener in connection.dispatch.before_cursor_execute:
                statement, parameters = listener(
                    connection, cursor, statement, parameters, None, False
                )
            cursor.execute(statement, parameters)
            return read(cursor)
        except dialect.loaded_dbapi.Error as error:
            invalidated = dialect.is_disconnect(error, connection.connection, cursor)
            if invalidated:
                connection.invalidate(error)
            raise DBAPIError.instance(
                statement,
                parameters,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated,
                dialect=dialect,
            ) from error
        finally:
            cursor.close()
