"""The production server: granian serving quizapp's WSGI app with settings from the environment.

``python -m quizapp.serving`` (``make serve``) serves ``quizapp.wsgi:app``; another WSGI target
can be named (``python -m quizapp.serving bench.support.ceiling_app:app``) so that the load
benchmark's ceiling runs under exactly the same set-up. granian's master process binds the
socket and forks the workers; each worker imports the target itself (nothing — connections,
threads — crosses a fork), starts quizapp's expired-attempt sweeper and freezes what start-up
allocated. Every setting and its default is in ``docs/operations.md``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TARGET = "quizapp.wsgi:app"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# Client address, request line (path without the query string), status, duration in ms, user
# agent. No cookies, no bodies; granian does not report the response's size.
ACCESS_LOG_FORMAT = (
    '[%(time)s] %(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'
    ' "%(header{user-agent})s"'
)
# gunicorn settings granian has no equivalent for: set, they are reported and ignored.
RETIRED_SETTINGS = {
    "QUIZAPP_WORKER_TIMEOUT": "granian has no per-request timeout",
    "QUIZAPP_MAX_REQUESTS": "workers are recycled by QUIZAPP_WORKER_LIFETIME or "
    "QUIZAPP_WORKER_MAX_RSS",
    "QUIZAPP_ERROR_LOG": "the server's log goes to stderr",
}


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class SettingsError(ValueError):
    """An environment variable the server cannot use; the message names it."""


@dataclass(frozen=True)
class ServerSettings:
    """How the server listens, how many workers and threads serve, and what it logs."""

    host: str = "127.0.0.1"
    port: int = 8000
    unix_socket: Path | None = None
    workers: int = field(default_factory=default_workers)
    threads: int = 2
    backlog: int = 2048
    keep_alive: bool = True
    graceful_timeout: int = 30
    worker_lifetime: int | None = None
    worker_max_rss: int | None = None
    access_log: str | None = "-"
    log_level: str = "info"

    def granian_options(self) -> dict:
        """Keyword arguments for ``granian.Granian`` (WSGI over HTTP/1, no websockets)."""
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels

        return {
            "address": self.host,
            "port": self.port,
            "uds": self.unix_socket,
            "interface": Interfaces.WSGI,
            "http": HTTPModes.http1,
            "websockets": False,
            "workers": self.workers,
            "blocking_threads": self.threads,
            "backlog": self.backlog,
            "http1_settings": HTTP1Settings(keep_alive=self.keep_alive),
            "respawn_failed_workers": True,
            "workers_kill_timeout": self.graceful_timeout,
            "workers_lifetime": self.worker_lifetime,
            "workers_max_rss": self.worker_max_rss,
            "log_level": LogLevels(self.log_level),
            "log_dictconfig": self.logging_config(),
            "log_access": self.access_log is not None,
            "log_access_format": ACCESS_LOG_FORMAT,
        }

    def logging_config(self) -> dict:
        """granian's and the app's (``quizapp``) log to stderr; the access log where asked."""
        stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
        if self.access_log in (None, "-"):
            access = {**stderr, "formatter": "access"}
        else:  # a file; WatchedFileHandler reopens it after logrotate moves it
            access = {
                "class": "logging.handlers.WatchedFileHandler",
                "filename": self.access_log,
                "formatter": "access",
            }
        level = self.log_level.upper()
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "server": {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"},
                "access": {"format": "%(message)s"},
            },
            "handlers": {
                "server": {**stderr, "formatter": "server"},
                "access": access,
            },
            "loggers": {
                "_granian": {"handlers": ["server"], "level": level, "propagate": False},
                "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
                "quizapp": {"handlers": ["server"], "level": level, "propagate": False},
            },
        }


def _integer(
    environ: Mapping[str, str], name: str, default: int | None, minimum: int
) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _optional_limit(environ: Mapping[str, str], name: str, minimum: int) -> int | None:
    """A limit where empty or 0 means off."""
    value = _integer(environ, name, 0, 0)
    if value and value < minimum:
        raise SettingsError(f"{name} must be 0 (off) or at least {minimum}, not {value}")
    return value or None


def _bind(raw: str) -> tuple[str, int, Path | None]:
    if raw.startswith("unix:") and len(raw) > len("unix:"):
        return "127.0.0.1", 8000, Path(raw[len("unix:") :])
    host, colon, port = raw.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1]:8000
    if colon and host and port.isdigit() and 0 < int(port) < 65536:
        return host, int(port), None
    raise SettingsError(
        f"QUIZAPP_BIND must be HOST:PORT (e.g. 127.0.0.1:8000) or unix:PATH, not {raw!r}"
    )


def _switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"on", "yes", "true"}:
        return True
    if raw in {"off", "no", "false"}:
        return False
    if raw.isdigit():  # the number of seconds gunicorn took: any positive value means on
        return int(raw) > 0
    raise SettingsError(f"{name} must be on or off (or a number of seconds), not {raw!r}")


def server_settings(environ: Mapping[str, str]) -> ServerSettings:
    """Read the server's settings from ``environ``; a bad value raises ``SettingsError``."""
    host, port, unix_socket = _bind(environ.get("QUIZAPP_BIND", "").strip() or "127.0.0.1:8000")
    access_log = environ.get("QUIZAPP_ACCESS_LOG", "-").strip() or None
    log_level = environ.get("QUIZAPP_LOG_LEVEL", "").strip().lower() or "info"
    if log_level not in LOG_LEVELS:
        raise SettingsError(
            f"QUIZAPP_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}"
        )
    return ServerSettings(
        host=host,
        port=port,
        unix_socket=unix_socket,
        # WEB_CONCURRENCY is the common convention of platforms (Heroku, Render, Dokku …).
        workers=_integer(environ, "WEB_CONCURRENCY", default_workers(), 1),
        threads=_integer(environ, "QUIZAPP_THREADS", 2, 1),
        backlog=_integer(environ, "QUIZAPP_BACKLOG", 2048, 128),
        keep_alive=_switch(environ, "QUIZAPP_KEEPALIVE", True),
        graceful_timeout=_integer(environ, "QUIZAPP_GRACEFUL_TIMEOUT", 30, 1),
        worker_lifetime=_optional_limit(environ, "QUIZAPP_WORKER_LIFETIME", 60),
        worker_max_rss=_optional_limit(environ, "QUIZAPP_WORKER_MAX_RSS", 1),
        access_log=access_log,
        log_level=log_level,
    )


def retired_settings(environ: Mapping[str, str]) -> list[str]:
    """One line for each gunicorn-only variable that is set (they have no effect now)."""
    return [
        f"{name} is ignored: {reason} (see docs/operations.md)"
        for name, reason in RETIRED_SETTINGS.items()
        if environ.get(name, "").strip()
    ]


def load_worker_app(target: str):
    """Import ``module:attribute`` in a new worker, then do the worker's start-up.

    Called by granian in each worker process after it forked: quizapp's sweeper thread starts
    here (once per worker; see quizapp/quizzes/sweeper.py), and what the import allocated is
    frozen out of the garbage collector's full passes (less CPU per request).
    """
    from flask import Flask

    from quizapp.quizzes import sweeper

    # A stop that arrives while the worker still imports would be swallowed by the handler
    # inherited from the master (and the worker killed only after the graceful timeout): until
    # granian installs its own handlers, it simply ends the worker, which serves nothing yet.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    module_name, _, attribute = target.partition(":")
    app = importlib.import_module(module_name)
    for name in attribute.split("."):
        app = getattr(app, name)
    if isinstance(app, Flask):
        sweeper.start(app)  # nothing for an app without ATTEMPT_SWEEP_SECONDS (the ceiling)
    gc.collect()
    gc.freeze()
    return app


def main(argv: list[str] | None = None) -> None:
    """``python -m quizapp.serving [TARGET]``: serve TARGET until SIGTERM or Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m quizapp.serving",
        description="Serve a WSGI app with granian; settings from the environment "
        "(docs/operations.md).",
    )
    parser.add_argument(
        "target",
        nargs="?",
        default=DEFAULT_TARGET,
        help=f"module:attribute of the WSGI app (default {DEFAULT_TARGET})",
    )
    args = parser.parse_args(argv)
    module_name, colon, attribute = args.target.partition(":")
    if not (module_name and colon and attribute):
        parser.error(f"TARGET must be module:attribute, not {args.target!r}")
    try:
        settings = server_settings(os.environ)
    except SettingsError as error:
        sys.exit(f"quizapp.serving: {error}")
    for line in retired_settings(os.environ):
        print(f"quizapp.serving: {line}", file=sys.stderr)

    from granian import Granian

    Granian(args.target, **settings.granian_options()).serve(target_loader=load_worker_app)


if __name__ == "__main__":
    main()
