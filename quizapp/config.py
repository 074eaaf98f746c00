"""Settings, read from the environment with safe defaults.

Everything a deployment changes is an environment variable; nothing secret is in the code.
The SQLite database and a generated secret key live in the instance folder, created on first run.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spelling and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 600) the first time."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Config:
    """Production-safe defaults; values from the environment override them."""

    def __init__(self, instance_path: Path):
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or load_or_create_secret_key(instance_path)
        default_db = f"sqlite:///{instance_path / 'quizapp.sqlite3'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(env.get("DATABASE_URL", default_db))
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PREFERRED_URL_SCHEME = "https" if self.SESSION_COOKIE_SECURE else "http"
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        self.EXPORT_DIR = env.get("QUIZAPP_EXPORT_DIR") or None
        self.PDF_CACHE_DIR = env.get("QUIZAPP_PDF_CACHE_DIR") or str(instance_path / "pdf-cache")
        self.RETENTION_DAYS = int(env.get("QUIZAPP_RETENTION_DAYS", "0") or 0)
        # Seconds between sweeps that submit attempts whose time is up (0: no sweeper thread;
        # then run `quizapp attempts sweep` from cron).
        self.ATTEMPT_SWEEP_SECONDS = _int(
            "QUIZAPP_ATTEMPT_SWEEP_SECONDS", self.ATTEMPT_SWEEP_SECONDS
        )
        self.ATTEMPT_GRACE_SECONDS = _int(
            "QUIZAPP_ATTEMPT_GRACE_SECONDS", self.ATTEMPT_GRACE_SECONDS
        )

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # The cookie is re-issued when the session changes — at least once a minute of activity
    # (the idle timeout's last_seen) — not on every autosave.
    SESSION_REFRESH_EACH_REQUEST = False
    IDLE_TIMEOUT = timedelta(minutes=60)
    WTF_CSRF_TIME_LIMIT = None  # a quiz page may stay open for a whole lesson
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"
    ATTEMPT_GRACE_SECONDS = 30
    ATTEMPT_SWEEP_SECONDS = 30
    LOGIN_THROTTLE_FREE_FAILURES = 5
    LOGIN_THROTTLE_MAX_DELAY_SECONDS = 300
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    TESTING = False


def engine_options(url: str) -> dict:
    """Connection settings per backend: SQLite waits for locks, PostgreSQL pools connections."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    # No pool_pre_ping: quizapp.database pings only connections that sat idle (no round trip
    # per request under load) and the pool replaces any that fail.
    return {"pool_size": 10, "max_overflow": 20, "pool_recycle": 1800}


class TestConfig(Config):
    """Fast hashing and no CSRF time limit; everything else as in production."""

    TESTING = True
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    ATTEMPT_GRACE_SECONDS = 5
    ATTEMPT_SWEEP_SECONDS = 0  # tests drive finalise_expired_attempts themselves
