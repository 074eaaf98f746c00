"""PostgreSQL restarts under load: requests caught in it get a clear 503 JSON error (never a
traceback), the app reconnects by itself, and no answer is lost, duplicated or corrupted.

The restart is of a private, throwaway cluster (initdb in a temporary directory, a free
port), never of the PostgreSQL the rest of the suite uses.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.support.client import Connection
from bench.support.seed import lost_answers, stored_answers
from bench.support.server import free_port
from tests.conftest import BACKENDS
from tests.faults.conftest import Autosaver, begin_exam, deploy

pytestmark = pytest.mark.faults

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, run as the postgres user when
    the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self):
        self.bin = Path(BINARIES[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="quizapp-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, capture_output=True, cwd=self.dir)

    def start(self) -> PrivatePostgres:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def restart(self) -> None:
        """Fast restart: open connections are cut, the cluster shuts down cleanly and comes back."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    if not BINARIES:
        if "postgresql" not in BACKENDS:  # SQLite-only run, chosen explicitly
            pytest.skip("PostgreSQL is not among QUIZAPP_TEST_BACKENDS")
        pytest.fail("initdb is missing: run apt-get install -y postgresql", pytrace=False)
    cluster = PrivatePostgres().start()
    yield cluster
    cluster.stop()


def test_postgres_restart_under_load(private_postgres, tmp_path):
    deployment = deploy(private_postgres.url, tmp_path, students=8)
    deployment.dispose()  # the seeding app's connections would only be cut too
    server = deployment.server().start()
    try:
        students = begin_exam(server.port, deployment)
        load = Autosaver(server.port, students, deployment.scenario.answers).start()
        load.wait_for_acks(100)
        restart_began = time.monotonic()
        private_postgres.restart()
        restarted = time.monotonic()
        load.wait_for_acks(150, timeout=30)  # the app recovers by itself
        load.stop()

        statuses = list(load.statuses)
        assert not load.failures, f"requests without an answer: {load.failures[:3]}"
        unexpected = [(s, b[:200]) for _, s, b in statuses if s not in (200, 503)]
        assert unexpected == [], unexpected
        errors = [(t, b) for t, s, b in statuses if s == 503]
        assert errors, "the restart cut no request: nothing was tested"
        for _, body in errors:
            error = json.loads(body)["error"]  # JSON, not a traceback page
            assert error["status"] == 503 and "try again" in error["message"]
            assert "Traceback" not in body
        # Errors only around the restart; afterwards every save succeeds again.
        assert all(restart_began - 1 <= t <= restarted + 10 for t, _ in errors)
        assert [s for _, s, _ in statuses[-50:]] == [200] * 50

        acked = {s.attempt_id: s.acked for s in students}
        stored = stored_answers(deployment.app, list(acked))
        assert lost_answers(acked, stored) == []
        highest = max(load.seq.values())
        assert all(seq <= highest for seq, _ in stored.values())

        # The attempts carry on: every student submits, graded once.
        conn = Connection(server.port)
        for student in students:
            assert student.submit(conn).json()["state"] == "submitted"
        conn.close()
        engine = sa.create_engine(private_postgres.url)
        with engine.begin() as db:
            rows = db.execute(
                sa.text("SELECT count(*), count(DISTINCT (attempt_id, slot)) FROM response")
            ).one()
            assert rows[0] == rows[1]  # no duplicated answer
            states = db.execute(sa.text("SELECT state, count(*) FROM attempt GROUP BY state")).all()
            assert states == [("submitted", len(students))]
            # Nothing corrupted: PostgreSQL's own checker finds no damaged page or index.
            db.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            for table in ("response", "attempt"):
                assert db.execute(sa.text(f"SELECT * FROM verify_heapam('{table}')")).all() == []
            for (index,) in db.execute(
                sa.text(
                    "SELECT indexname FROM pg_indexes WHERE tablename IN ('response', 'attempt')"
                )
            ).all():
                db.execute(
                    sa.text("SELECT bt_index_check(CAST(:i AS regclass), true)"), {"i": index}
                )
        engine.dispose()
        assert "Traceback" not in (tmp_path / "server.log").read_text()
    finally:
        server.stop()
        deployment.dispose()
