"""Shared fixtures: an app on each database backend, a client, a CLI runner, sign-in helpers.

Every test that takes ``app`` runs once on SQLite and once on PostgreSQL (127.0.0.1:5432,
user postgres, database test, one schema per test worker). Set QUIZAPP_TEST_BACKENDS=sqlite
to run SQLite only on a machine without PostgreSQL; in CI a missing backend fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp import create_app
from quizapp.config import TestConfig
from quizapp.extensions import db

PG_URL = os.environ.get(
    "QUIZAPP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    b.strip()
    for b in os.environ.get("QUIZAPP_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
REPO = Path(__file__).resolve().parent.parent


def _worker_schema() -> str:
    # Unique per process, so that two test runs on one machine never share tables.
    return f"qa_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_schema():
    """A fresh schema for this test worker, dropped at the end of the session."""
    engine = sa.create_engine(PG_URL)
    schema = _worker_schema()
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({exc.orig}); start it or set QUIZAPP_TEST_BACKENDS=sqlite",
            pytrace=False,
        )
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def backend_config(backend: str, tmp_path: Path, request) -> dict:
    """Database settings for one backend."""
    if backend == "sqlite":
        return {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"timeout": 15, "check_same_thread": False}
            },
        }
    schema = request.getfixturevalue("postgres_schema")
    return {
        "SQLALCHEMY_DATABASE_URI": PG_URL,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": f"-csearch_path={schema}"},
        },
    }


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database backend under test."""
    return request.param


_PG_TABLES_CREATED: set[str] = set()


@pytest.fixture
def app(backend, tmp_path, request, monkeypatch):
    """An application with an empty database of the current backend."""
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = {
        "CONFIG_CLASS": TestConfig,
        "SECRET_KEY": "test-secret",
        "PDF_CACHE_DIR": str(tmp_path / "pdf-cache"),
        "EXPORT_DIR": str(tmp_path / "export"),
        **backend_config(backend, tmp_path, request),
    }
    application = create_app(settings)
    with application.app_context():
        if backend == "postgresql":
            schema = request.getfixturevalue("postgres_schema")
            if schema not in _PG_TABLES_CREATED:
                db.drop_all()
                db.create_all()
                _PG_TABLES_CREATED.add(schema)
        else:
            db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        if backend == "postgresql":
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for tests that use the database directly."""
    with app.app_context():
        yield app
