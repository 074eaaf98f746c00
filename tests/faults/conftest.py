"""Fault tests run real servers: the production server (granian, ``python -m quizapp.serving``)
on 127.0.0.1 and, for the database restart, a private throwaway PostgreSQL cluster. The shared
PostgreSQL of the test suite is never stopped."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.support.client import Connection, HTTPFailure, Student
from bench.support.seed import make_app, migrate, seed_class
from bench.support.server import Server
from tests.conftest import BACKENDS, PG_URL


@dataclass
class Deployment:
    """A migrated, seeded database and the settings a server needs to serve it."""

    url: str
    workdir: Path
    app: object
    scenario: object
    env: dict[str, str] = field(default_factory=dict)

    def server(self, port: int | None = None, **env) -> Server:
        """A production server for this database (not started)."""
        return Server("quizapp.wsgi:app", {**self.env, **env}, self.workdir / "server.log", port)

    def dispose(self) -> None:
        from quizapp.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def deploy(url: str, workdir: Path, students: int, **seed) -> Deployment:
    """Migrate and seed the database at ``url`` for a server with production settings."""
    app = make_app(url, workdir / "instance")
    migrate(app)
    scenario = seed_class(app, students, **seed)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "fault-secret",
        "QUIZAPP_INSTANCE_PATH": str(workdir / "instance"),
        "WEB_CONCURRENCY": "2",
        "QUIZAPP_THREADS": "4",
        "QUIZAPP_ATTEMPT_SWEEP_SECONDS": "0",
    }
    return Deployment(url, workdir, app, scenario, env)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh database: a SQLite file, or a new schema of the shared PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fault.sqlite3'}"
        return
    schema = f"fault_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def begin_exam(port: int, deployment: Deployment) -> list[Student]:
    """Every student signs in, starts the assignment and opens the quiz page."""
    conn = Connection(port)
    students = [
        Student(login, deployment.scenario.password) for login in deployment.scenario.logins
    ]
    for student in students:
        student.sign_in(conn)
        token = student.open_assignment(conn, deployment.scenario.assignment_id)
        student.start(conn, deployment.scenario.assignment_id, token)
        student.open_quiz(conn)
    conn.close()
    return students


class Autosaver:
    """Client threads that autosave in a loop (slot after slot, rising sequence numbers) until
    stopped, and keep every answer: acknowledged saves in ``Student.acked``, failures here."""

    def __init__(self, port: int, students: list[Student], answers: dict, threads: int = 4):
        self.port = port
        self.answers = answers
        self.stop_event = threading.Event()
        self.statuses: list[tuple[float, int, str]] = []  # (time, status, body) of every reply
        self.failures: list[tuple[float, str]] = []  # no reply at all
        self._lock = threading.Lock()
        groups = [students[i::threads] for i in range(threads)]
        self.threads = [
            threading.Thread(target=self._run, args=(g,), daemon=True) for g in groups if g
        ]
        self.seq = {id(s): 0 for s in students}

    def _run(self, students: list[Student]) -> None:
        conn = Connection(self.port, timeout=20)
        slots = sorted(self.answers)
        turn = 0
        while not self.stop_event.is_set():
            student = students[turn % len(students)]
            turn += 1
            self.seq[id(student)] += 1
            seq = self.seq[id(student)]
            slot = slots[(seq - 1) % len(slots)]
            try:
                reply = student.save(conn, slot, self.answers[slot], seq)
                with self._lock:
                    self.statuses.append((time.monotonic(), reply.status, ""))
            except HTTPFailure as exc:
                with self._lock:
                    if exc.status is None:
                        self.failures.append((time.monotonic(), str(exc)))
                    else:
                        self.statuses.append((time.monotonic(), exc.status, exc.body))
                time.sleep(0.05)
        conn.close()

    def start(self) -> Autosaver:
        for thread in self.threads:
            thread.start()
        return self

    def acked_count(self) -> int:
        with self._lock:
            return sum(1 for _, status, _ in self.statuses if status == 200)

    def wait_for_acks(self, count: int, timeout: float = 30.0) -> None:
        """Wait until ``count`` more saves were acknowledged."""
        target = self.acked_count() + count
        deadline = time.monotonic() + timeout
        while self.acked_count() < target:
            assert time.monotonic() < deadline, f"only {self.acked_count()} saves acknowledged"
            time.sleep(0.02)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(30)
