"""Load benchmark: a whole class starts the same exam at once, autosaves 20 answers, submits.

The production server (``python -m quizapp.serving``: granian with its defaults for this
machine) serves quizapp on 127.0.0.1 with a fresh SQLite database (or, with ``--backend postgresql``, a fresh
schema of the local PostgreSQL). N students (default 300; created with a cheap password hash,
see bench/support/seed.py) are driven by a pool of 32 concurrent clients through the real HTTP
API, in phases as in a classroom: everyone signs in; everyone opens the assignment and presses
Start within a few seconds (the synchronised start); then each student autosaves 20 answers
(JSON API, sequence-numbered) and submits.

Every save the server acknowledged is then looked up in the database: ``lost`` counts those
missing or older there (must be 0).

The ceiling, measured in the same run: the same server settings serving a bare Flask app
whose endpoint inserts one row (sqlite3, or psycopg for PostgreSQL), driven by the same client
pool with as many requests, once before quizapp and once after (a shared machine's speed drifts
within a run: here the second ceiling is usually the faster). ``ratio`` = quizapp's answers per
second / the mean of the two ceilings' rows per second. The clients (bench/support/client.py)
run on the server's own cores, so they are written to cost little; the output gives their CPU
per request. The last line of output is one JSON object. Not a test: nothing is asserted.

    .venv/bin/python bench/load.py [--backend postgresql] [--students 300] [--clients 32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.ceiling_app import create_table
from bench.support.client import Connection, HTTPFailure, Student
from bench.support.seed import (
    fresh_database,
    lost_answers,
    make_app,
    migrate,
    seed_class,
    stored_answers,
)
from bench.support.server import Server

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) in milliseconds, nearest-rank; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)


class Pool:
    """``clients`` threads, each with its own keep-alive connection to the server."""

    def __init__(self, port: int, clients: int):
        self.port = port
        self.clients = clients
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._lock = threading.Lock()

    def connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Connection(self.port)
            with self._lock:
                self._connections.append(conn)
        return conn

    def run(self, items: list, work: Callable) -> tuple[float, list[str]]:
        """Run ``work(item, connection)`` over the items; returns wall seconds and errors."""
        errors: list[str] = []

        def one(item):
            try:
                work(item, self.connection())
            except HTTPFailure as exc:
                errors.append(str(exc))

        started = time.perf_counter()
        with ThreadPoolExecutor(self.clients) as executor:
            list(executor.map(one, items))
        return time.perf_counter() - started, errors

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        self._local = threading.local()


def run_quizapp(url: str, workdir: Path, students: int, clients: int) -> dict:
    """Seed, serve quizapp in production settings, drive the class through the exam, count lost
    answers."""
    app = make_app(url, workdir / "instance")
    migrate(app)
    t0 = time.perf_counter()
    scenario = seed_class(app, students)
    print(
        f"seeded {students} students and a {len(scenario.answers)}-question assignment in {time.perf_counter() - t0:.1f}s"
    )
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "QUIZAPP_INSTANCE_PATH": str(workdir / "instance"),
    }
    people = [Student(login, scenario.password) for login in scenario.logins]
    sign_in: list[float] = []
    start: list[float] = []
    page: list[float] = []
    save: list[float] = []
    submit: list[float] = []
    with Server("quizapp.wsgi:app", env, workdir / "quizapp-server.log") as server:
        pool = Pool(server.port, clients)

        def do_sign_in(student: Student, conn: Connection):
            sign_in.append(student.sign_in(conn).seconds)

        def do_start(student: Student, conn: Connection):
            token = student.open_assignment(conn, scenario.assignment_id)
            start.append(student.start(conn, scenario.assignment_id, token).seconds)
            page.append(student.open_quiz(conn).seconds)

        def do_answer(student: Student, conn: Connection):
            if not student.attempt_id:
                return
            for slot, answer in scenario.answers.items():
                save.append(student.save(conn, slot, answer, seq=1).seconds)
            submit.append(student.submit(conn).seconds)

        sign_in_s, sign_in_errors = pool.run(people, do_sign_in)
        start_s, start_errors = pool.run(people, do_start)
        cpu_before = server.cpu_seconds(), time.process_time()
        save_s, save_errors = pool.run(people, do_answer)
        cpu_after = server.cpu_seconds(), time.process_time()
        pool.close()
    acked = {s.attempt_id: s.acked for s in people if s.attempt_id}
    lost = lost_answers(acked, stored_answers(app, list(acked)))
    with app.app_context():
        from quizapp.extensions import db

        db.engine.dispose()
    errors = sign_in_errors + start_errors + save_errors
    for message in errors[:5]:
        print("  error:", message)
    for message in lost[:5]:
        print("  lost:", message)
    return {
        "sign_in_s": sign_in_s,
        "start_s": start_s,
        "save_s": save_s,
        "sign_in": sign_in,
        "start": start,
        "page": page,
        "save": save,
        "submit": submit,
        "errors": len(errors),
        "lost": len(lost),
        "server_cpu_s": cpu_after[0] - cpu_before[0],
        "client_cpu_s": cpu_after[1] - cpu_before[1],
    }


def run_ceiling(url: str, workdir: Path, requests: int, clients: int, name: str) -> dict:
    """The bare Flask + one INSERT endpoint, same server settings, same client pool."""
    target = str(workdir / f"ceiling-{name}.sqlite3") if url.startswith("sqlite") else url
    create_table(target)
    env = {"CEILING_DATABASE": target}
    latencies: list[float] = []
    with Server(
        "bench.support.ceiling_app:app", env, workdir / f"ceiling-{name}.log", ready_path="/ping"
    ) as server:
        pool = Pool(server.port, clients)
        per_client = [
            requests // clients + (1 if i < requests % clients else 0) for i in range(clients)
        ]

        def post(count: int, conn: Connection):
            for number in range(count):
                body = json.dumps({"slot": number % 20 + 1, "answer": "Bakı", "seq": 1}).encode()
                reply = conn.request(
                    "POST", "/save", body, {"Host": "127.0.0.1", "Content-Type": "application/json"}
                )
                if reply.status != 200:
                    raise HTTPFailure(f"ceiling: {reply.status}", reply.status)
                latencies.append(reply.seconds)

        cpu_before = server.cpu_seconds(), time.process_time()
        seconds, errors = pool.run(per_client, post)
        cpu_after = server.cpu_seconds(), time.process_time()
        pool.close()
    return {
        "seconds": seconds,
        "latencies": latencies,
        "errors": len(errors),
        "server_cpu_s": cpu_after[0] - cpu_before[0],
        "client_cpu_s": cpu_after[1] - cpu_before[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="quizapp-load-") as tmp:
        workdir = Path(tmp)
        url, drop = fresh_database(args.backend, workdir, "load")
        try:
            print(
                f"backend {args.backend}; {args.students} students, {args.clients} concurrent "
                f"clients; quizapp.serving defaults ({os.cpu_count()} cores)"
            )
            # The ceiling runs before and after quizapp and counts as the mean of the two: the
            # speed of a shared machine drifts within a run, and a database busy tidying up
            # after quizapp's writes would otherwise only slow the ceiling.
            before = run_ceiling(url, workdir, args.students * 20, args.clients, "before")
            result = run_quizapp(url, workdir, args.students, args.clients)
            after = run_ceiling(url, workdir, args.students * 20, args.clients, "after")
        finally:
            drop()
    ceiling = {
        "rates": [
            len(c["latencies"]) / c["seconds"] if c["seconds"] else 0.0 for c in (before, after)
        ],
        "latencies": before["latencies"] + after["latencies"],
        "errors": before["errors"] + after["errors"],
        "server_cpu_s": before["server_cpu_s"] + after["server_cpu_s"],
        "client_cpu_s": before["client_cpu_s"] + after["client_cpu_s"],
    }

    saves = len(result["save"])
    answers_per_s = saves / result["save_s"] if result["save_s"] else 0.0
    ceiling_per_s = sum(ceiling["rates"]) / len(ceiling["rates"])
    ratio = answers_per_s / ceiling_per_s if ceiling_per_s else 0.0
    figures = {
        "backend": args.backend,
        "students": args.students,
        "clients": args.clients,
        "answers_per_s": round(answers_per_s, 1),
        "ceiling_per_s": round(ceiling_per_s, 1),
        "ceiling_before_per_s": round(ceiling["rates"][0], 1),
        "ceiling_after_per_s": round(ceiling["rates"][1], 1),
        "ratio": round(ratio, 3),
        "p50_ms": percentile(result["save"], 50),
        "p95_ms": percentile(result["save"], 95),
        "p99_ms": percentile(result["save"], 99),
        "start_p50_ms": percentile(result["start"], 50),
        "start_p99_ms": percentile(result["start"], 99),
        "quiz_page_p99_ms": percentile(result["page"], 99),
        "sign_in_p99_ms": percentile(result["sign_in"], 99),
        "submit_p99_ms": percentile(result["submit"], 99),
        "ceiling_p99_ms": percentile(ceiling["latencies"], 99),
        "errors": result["errors"] + ceiling["errors"],
        "lost": result["lost"],
    }
    print(
        f"sign-in: {len(result['sign_in'])} in {result['sign_in_s']:.1f}s, "
        f"p50 {percentile(result['sign_in'], 50)} ms, p99 {figures['sign_in_p99_ms']} ms"
    )
    print(
        f"start (all {len(result['start'])} within {result['start_s']:.1f}s): "
        f"p50 {figures['start_p50_ms']} ms, p99 {figures['start_p99_ms']} ms; "
        f"quiz page p99 {figures['quiz_page_p99_ms']} ms"
    )
    print(
        f"autosave: {saves} answers in {result['save_s']:.1f}s = {answers_per_s:.0f}/s; "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms "
        f"(target ≤ {TARGET_P99_MS:.0f} ms); submit p99 {figures['submit_p99_ms']} ms"
    )
    print(
        f"ceiling (bare Flask + one INSERT, same server; mean of before {ceiling['rates'][0]:.0f}/s "
        f"and after {ceiling['rates'][1]:.0f}/s): {ceiling_per_s:.0f}/s, "
        f"p99 {figures['ceiling_p99_ms']} ms; ratio {ratio:.2f} (target ≥ {TARGET_RATIO})"
    )
    requests = saves + len(result["submit"])
    print(
        f"CPU per request, save phase: server {result['server_cpu_s'] / requests * 1000:.2f} ms, "
        f"client {result['client_cpu_s'] / requests * 1000:.2f} ms; ceiling: server "
        f"{ceiling['server_cpu_s'] / len(ceiling['latencies']) * 1000:.2f} ms, client "
        f"{ceiling['client_cpu_s'] / len(ceiling['latencies']) * 1000:.2f} ms "
        f"({os.cpu_count()} cores, shared by server and clients)"
    )
    print(f"errors {figures['errors']}, lost answers {figures['lost']} (target 0 and 0)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
