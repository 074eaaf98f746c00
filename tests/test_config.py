"""Configuration from the environment; instance files created on first run, not at import."""

from __future__ import annotations

import importlib
import os
import stat

from quizapp import create_app
from quizapp.config import normalise_database_url


def test_import_creates_nothing(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(instance))
    import quizapp

    importlib.reload(quizapp)
    assert not instance.exists()


def test_first_run_creates_instance_secret_and_sqlite_default(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    key_file = instance / "secret_key"
    assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert (
        app.config["SECRET_KEY"] == key_file.read_text().strip()
        and len(app.config["SECRET_KEY"]) > 40
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'quizapp.sqlite3'}"
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/quiz")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/quiz"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 10


def test_normalise_database_url():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
