"""The expired-attempt sweeper: submits attempts whose time is up, with what was saved.

A student whose laptop closes mid-exam never comes back to trigger the timer, so each server
process runs one daemon thread that calls ``finalise_expired_attempts`` every
``ATTEMPT_SWEEP_SECONDS`` (0 disables it; then run ``quizapp attempts sweep`` from cron).
Running it in every worker of every server is safe: submitting locks the attempt's row and a
submitted attempt is returned unchanged, so two sweepers never grade an attempt twice.

The thread starts in the process that serves requests: as each worker of the production server
(``quizapp/serving.py``) loads the app, or, under any other server, with the first request that
process serves (``init_app``: once per process id, so a worker forked from a parent that already
served gets its own). It never starts for CLI commands, in tests, or in the Flask reloader's
watching parent process.
"""

from __future__ import annotations

import logging
import os
import random
import threading

import click
from flask import Flask
from flask.cli import with_appcontext

log = logging.getLogger(__name__)

_lock = threading.Lock()
_started: dict[int, threading.Thread] = {}  # pid → thread, so a forked child starts its own
_stop = threading.Event()


def sweep_once(app: Flask) -> int:
    """Submit every attempt whose deadline and grace period have passed; return how many."""
    from quizapp.extensions import db
    from quizapp.quizzes.attempts import finalise_expired_attempts

    with app.app_context():
        try:
            count = finalise_expired_attempts(
                db.session, grace_seconds=app.config["ATTEMPT_GRACE_SECONDS"]
            )
            db.session.commit()
            return count
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _run(app: Flask, interval: float) -> None:
    # A random first delay spreads the sweeps of many workers over the interval.
    wait = random.uniform(0.1, interval)
    while not _stop.wait(wait):
        wait = interval
        try:
            count = sweep_once(app)
            if count:
                log.info("sweeper: submitted %d attempt(s) whose time was up", count)
        except Exception:  # the database may be restarting: try again next time
            log.warning("sweeper: sweep failed; retrying in %ss", interval, exc_info=True)


def start(app: Flask) -> threading.Thread | None:
    """Start this process's sweeper thread if enabled and not yet running (idempotent)."""
    interval = float(app.config.get("ATTEMPT_SWEEP_SECONDS") or 0)
    if interval <= 0 or app.config.get("TESTING"):
        return None
    pid = os.getpid()
    with _lock:
        thread = _started.get(pid)
        if thread is not None and thread.is_alive():
            return thread
        _stop.clear()
        thread = threading.Thread(
            target=_run, args=(app, interval), name="quizapp-attempt-sweeper", daemon=True
        )
        thread.start()
        _started[pid] = thread
        return thread


def stop() -> None:
    """Ask the sweeper thread of this process to end (tests and clean shutdowns)."""
    _stop.set()


@click.group("attempts")
def attempts_cli():
    """Attempt maintenance."""


@attempts_cli.command("sweep")
@with_appcontext
def sweep_command():
    """Submit every attempt whose time is up (for cron when the sweeper thread is off)."""
    from flask import current_app

    count = sweep_once(current_app._get_current_object())
    click.echo(f"Submitted {count} attempt(s) whose time was up.")


def init_app(app: Flask) -> None:
    """Register ``quizapp attempts sweep``; start the thread with the first served request."""
    app.cli.add_command(attempts_cli)
    if float(app.config.get("ATTEMPT_SWEEP_SECONDS") or 0) <= 0 or app.config.get("TESTING"):
        return

    @app.before_request
    def _ensure_sweeper():
        # Only a process that serves requests gets here (never the reloader's parent).
        if os.getpid() not in _started:
            start(app)
