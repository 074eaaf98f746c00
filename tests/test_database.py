"""Backend tuning. SQLite's one write lock: requests that compute before they write (sign-in,
start, submit) do their computing outside it, and ``begin_write_phase`` never splits a unit of
work — a probe opens its own connection and asks for the write lock without waiting: it gets it
only if nobody holds it (SQLite only: PostgreSQL locks rows, not the database). PostgreSQL: a
pooled connection that died while idle is replaced before a request gets it. The autosave's
``CursorStatement`` stores what ``Connection.execute`` would, raises SQLAlchemy's errors and
throws away a connection the database dropped.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy import text

from quizapp import accounts
from quizapp.database import CursorStatement, autocommit_connection, begin_write_phase
from quizapp.extensions import db
from quizapp.models import Assignment, SchoolClass
from quizapp.models._types import JSONType, UTCDateTime
from quizapp.quizzes import attempts
from tests.helpers import (
    STUDENT_PASSWORD,
    gen_class,
    gen_student,
    gen_teacher,
    import_examples,
    sign_in,
)

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def write_lock_is_free(app) -> bool:
    """True when another connection could start writing right now."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def probing(app, monkeypatch, owner, name: str) -> list[bool]:
    """Wrap ``owner.name`` so that each call records whether the write lock was free."""
    seen: list[bool] = []
    original = getattr(owner, name)

    def wrapped(*args, **kwargs):
        seen.append(write_lock_is_free(app))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)
    return seen


@pytest.fixture
def classroom(app):
    with app.app_context():
        quiz = import_examples()
        school_class = gen_class(gen_teacher())
        student = gen_student(school_class)
        assignment = Assignment(
            class_id=school_class.id, kind="quiz", quiz_id=quiz.id, title=quiz.title
        )
        db.session.add(assignment)
        db.session.commit()
        return {"student": student.username, "assignment": assignment.id}


@SQLITE_ONLY
def test_the_probe_sees_a_held_lock(app):
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # outside a request: BEGIN IMMEDIATE
        assert not write_lock_is_free(app)
        db.session.rollback()
        assert write_lock_is_free(app)


@SQLITE_ONLY
def test_sign_in_checks_the_password_outside_the_write_lock(app, client, classroom, monkeypatch):
    seen = probing(app, monkeypatch, accounts, "verify_password")
    assert sign_in(client, classroom["student"], STUDENT_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), classroom["student"], "wrong password").status_code == 200
    assert seen == [True, True]


@SQLITE_ONLY
def test_start_and_submit_compute_outside_the_write_lock(app, client, classroom, monkeypatch):
    layouts = probing(app, monkeypatch, attempts, "build_layout")
    gradings = probing(app, monkeypatch, attempts, "_grade")
    sign_in(client, classroom["student"], STUDENT_PASSWORD)
    page = client.get(f"/learn/assignments/{classroom['assignment']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    started = client.post(
        f"/learn/assignments/{classroom['assignment']}/start", data={"csrf_token": token}
    )
    public_id = re.search(r"/learn/attempts/([^/?#]+)", started.headers["Location"]).group(1)
    submitted = client.post(f"/api/attempts/{public_id}/submit", headers={"X-CSRFToken": token})
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"
    assert layouts == [True] and gradings == [True]


@SQLITE_ONLY
def test_begin_write_phase_ends_a_read_and_makes_the_next_transaction_immediate(app):
    with app.app_context(), app.test_request_context("/learn/", method="GET"):
        db.session.execute(text("SELECT 1"))  # a GET begins deferred
        assert write_lock_is_free(app)
        begin_write_phase(db.session)
        assert not db.session().in_transaction()
        db.session.execute(text("SELECT 1"))
        assert not write_lock_is_free(app)  # this one began IMMEDIATE
        db.session.rollback()
        db.session.execute(text("SELECT 1"))
        assert write_lock_is_free(app)  # and only that one
        db.session.rollback()
        assert "sqlite_next_immediate" not in g


@SQLITE_ONLY
def test_begin_write_phase_never_splits_a_unit_of_work(app):
    with app.app_context(), app.test_request_context("/teach/classes/new", method="POST"):
        teacher = gen_teacher("unit@school.example")
        db.session.add(SchoolClass(name="10C", teacher_id=teacher.id, join_code="UNIT-0001"))
        db.session.flush()
        begin_write_phase(db.session)  # a POST's transaction is immediate: nothing is committed
        assert db.session().in_transaction()
        db.session.rollback()
        assert db.session.scalar(text("SELECT count(*) FROM school_class")) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_connection_that_died_while_idle_is_replaced_unseen(app, client, monkeypatch):
    """A PostgreSQL restart or a killed backend while the pool sits idle: the next request
    still succeeds (the idle connection is pinged, fails, and is replaced)."""
    import psycopg

    import quizapp.database as database
    from tests.conftest import PG_URL

    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()  # the connection goes back to the pool
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # "idle for a while"
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_autocommit_connections_have_their_own_pool_already_in_autocommit(app):
    """The autosave's connections: never switched to autocommit and back on a checkout (the
    same driver connection comes back still in autocommit), never the main pool's, each
    statement committed by itself — and disposed with the main engine."""
    with app.app_context():
        with autocommit_connection() as connection:
            assert connection.engine is not db.engine
            first = connection.connection.dbapi_connection
            connection.execute(text("CREATE TABLE autocommit_probe (id integer)"))
        try:
            assert db.session.scalar(text("SELECT count(*) FROM autocommit_probe")) == 0
            db.session.remove()
            with autocommit_connection() as connection:
                assert connection.connection.dbapi_connection is first
                assert first.autocommit is True
            with db.engine.connect() as ordinary:
                assert ordinary.connection.dbapi_connection.autocommit is False
        finally:
            db.session.execute(text("DROP TABLE autocommit_probe"))
            db.session.commit()
            db.session.remove()
        own_pool = connection.engine.pool
        assert own_pool.checkedout() == 1  # kept by this thread for its next use
        db.engine.dispose()
        assert connection.closed and own_pool.checkedout() == own_pool.checkedin() == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_autocommit_connection_that_died_while_idle_is_replaced_unseen(app, monkeypatch):
    import psycopg

    import quizapp.database as database
    from tests.conftest import PG_URL

    with app.app_context():
        with autocommit_connection() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # "idle for a while"
        with autocommit_connection() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_a_thread_keeps_its_autocommit_connection_between_uses(app, monkeypatch):
    """No pool checkout per autosave: the thread's connection serves the next use; another
    thread, a use inside a use, a failure and a quiet spell each get a pooled one."""
    import threading

    import quizapp.database as database

    with app.app_context():
        with autocommit_connection() as first:
            pass
        with autocommit_connection() as again:
            assert again is first and not again.closed
            with autocommit_connection() as inner:
                assert inner is not first  # a use inside a use: its own connection
            assert not first.closed
        elsewhere = []

        def other_thread():
            with app.app_context(), autocommit_connection() as connection:
                elsewhere.append(connection)

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert elsewhere[0] is not first
        with pytest.raises(RuntimeError), autocommit_connection() as failing:
            assert failing is first
            raise RuntimeError("the work failed")
        assert first.closed  # given back: the next use takes a pooled one
        with autocommit_connection() as after_failure:
            assert after_failure is not first
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # "idle for a while"
        with autocommit_connection() as after_quiet:
            assert after_quiet is not after_failure and after_failure.closed
        with autocommit_connection() as connection:
            connection.execute(text("SELECT 1"))  # SQLAlchemy begins its bookkeeping …
        assert not connection.in_transaction()  # … and no transaction outlives the use


def test_a_thread_that_ends_gives_its_autocommit_connection_back(app):
    """A server that starts a thread per request (Werkzeug's, ``flask run``) must not keep a
    connection per request: the pool would run dry after a class's first few autosaves and
    the next request would wait for the pool's timeout."""
    import threading

    from quizapp.database import autocommit_engine

    with app.app_context():
        engine = db.engine
        pool = (engine if engine.dialect.name == "sqlite" else autocommit_engine(engine)).pool
        kept: list = []

        def one_request():
            with app.app_context(), autocommit_connection() as connection:
                connection.execute(text("SELECT 1"))
                kept.append(connection)

        # More short-lived threads than the pool holds with its overflow.
        for _ in range(pool.size() + pool._max_overflow + 5):
            worker = threading.Thread(target=one_request)
            worker.start()
            worker.join()
        assert len(kept) == pool.size() + pool._max_overflow + 5
        assert all(connection.closed for connection in kept)
        assert pool.checkedout() == 0


# A small table of its own: the statement's values go through the columns' types as they would
# through Connection.execute (a timezone-aware time, a JSON document).
_probe = sa.Table(
    "cursor_statement_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("saved_at", UTCDateTime(timezone=True), nullable=False),
    sa.Column("answer", JSONType, nullable=False),
)
_PROBE_INSERT = CursorStatement(
    lambda dialect: _probe.insert().values(
        id=sa.bindparam("row_id"),
        saved_at=sa.bindparam("when", type_=_probe.c.saved_at.type),
        answer=sa.bindparam("value", type_=_probe.c.answer.type),
    )
)


@pytest.fixture
def probe_table(app):
    with app.app_context():
        _probe.create(db.engine)
        yield
        db.session.remove()
        _probe.drop(db.engine)


def test_cursor_statement_stores_what_execute_stores(app, probe_table):
    """The same values written by ``CursorStatement`` and by ``Connection.execute`` read back
    equal (the columns' bind processors run), and the engine's cursor events see it."""
    when = datetime(2026, 1, 20, 0, 15, 30, 123456, tzinfo=UTC)
    value = {"choice": "Bakı", "parts": [1, 2.5, None], "checked": False}
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            with autocommit_connection() as connection:
                assert (
                    _PROBE_INSERT.rowcount(connection, {"row_id": 1, "when": when, "value": value})
                    == 1
                )
                connection.execute(_probe.insert(), {"id": 2, "saved_at": when, "answer": value})
                if connection.dialect.name == "postgresql":
                    connection.commit()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.select(_probe).order_by(_probe.c.id)).all()
            raw = connection.execute(
                sa.text(
                    "SELECT CAST(saved_at AS TEXT), CAST(answer AS TEXT) FROM cursor_statement_probe ORDER BY id"
                )
            ).all()
    assert [(r.saved_at, r.answer) for r in rows] == [(when, value), (when, value)]
    assert raw[0] == raw[1]  # stored alike, not merely read back alike
    assert len(seen) == 2 and seen[0].startswith("INSERT INTO cursor_statement_probe")


def test_cursor_statement_raises_sqlalchemy_errors(app, probe_table):
    """A driver error comes out as SQLAlchemy's class (the error pages map it as any other)."""
    when = datetime(2026, 1, 20, tzinfo=UTC)
    with app.app_context(), autocommit_connection() as connection:
        _PROBE_INSERT.rowcount(connection, {"row_id": 7, "when": when, "value": []})
        with pytest.raises(sa.exc.IntegrityError):
            _PROBE_INSERT.rowcount(connection, {"row_id": 7, "when": when, "value": []})
        assert not connection.invalidated


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_cursor_statement_on_a_dropped_connection_invalidates_it(app, probe_table):
    """A database that went away under the statement: SQLAlchemy's error, marked as a lost
    connection (the error page answers 503), and the pooled connection is thrown away."""
    import psycopg

    from tests.conftest import PG_URL

    when = datetime(2026, 1, 20, tzinfo=UTC)
    with app.app_context(), autocommit_connection() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(sa.exc.DBAPIError) as raised:
            _PROBE_INSERT.rowcount(connection, {"row_id": 1, "when": when, "value": 1})
        assert raised.value.connection_invalidated and connection.invalidated


def test_cursor_statement_reads_rows_as_execute_does(app, probe_table):
    """``first`` and ``all`` convert each value by its column type (a UTC time, JSON) and name
    the columns as ``execute``'s rows do; no row is None."""
    when = datetime(2026, 1, 20, 0, 15, tzinfo=UTC)
    by_id = CursorStatement(
        lambda dialect: (
            sa.select(_probe.c.id, _probe.c.saved_at, _probe.c.answer)
            .where(_probe.c.id >= sa.bindparam("from_id"))
            .order_by(_probe.c.id)
        )
    )
    with app.app_context(), autocommit_connection() as connection:
        for row_id, value in ((1, {"a": [1, "ə"]}), (2, None), (3, "text")):
            _PROBE_INSERT.rowcount(connection, {"row_id": row_id, "when": when, "value": value})
        expected = connection.execute(by_id.build(connection.dialect.name), {"from_id": 1}).all()
        rows = by_id.all(connection, {"from_id": 1})
        assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
        assert rows[0].saved_at == when and rows[0].answer == {"a": [1, "ə"]}
        assert by_id.first(connection, {"from_id": 3}).answer == "text"
        assert by_id.first(connection, {"from_id": 4}) is None
