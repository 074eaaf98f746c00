"""Request CPU benchmark: the CPU that one request of each hot kind costs quizapp, in-process.

Seeds a fresh SQLite database (or, with ``--backend postgresql``, a fresh schema of the local
PostgreSQL) with a class (bench/support/seed.py), then calls the WSGI app straight
(``app(environ, start_response)``, with an environ built by hand from the very request that
bench/support/client.py sends: same JSON body, ``X-CSRFToken`` header and session cookie), one
request at a time in this one thread, and takes the thread's CPU time (``time.thread_time()``)
of each: no server, no HTTP client and no Flask test client is counted. After warm-up, N of
each kind (``--requests``, default 150):

- ``autosave_known_us``: an autosave whose session cookie, CSRF token and attempt this process
  has seen before — the fast path of quizapp/web/api/fast_path.py, as nearly every save of
  an exam is (the run stops if Flask dispatched any of them).
- ``autosave_first_us``: an attempt's first autosave in a process that has not seen the
  student's cookie, token or attempt, as when a class starts an exam together: a second app on
  the same database (as a second server process would be) receives the first save of a new
  student each time, the student having signed in, started and opened the quiz on the first
  app. Flask-WTF's CSRF protection is one object per process (``quizapp.extensions.csrf``), so
  the tokens the first app verified are forgotten before each of these saves.
- ``submit_us``: ``POST /api/attempts/<id>/submit`` of an attempt with all 20 answers saved,
  a new student each time.
- ``ceiling_us``: the baseline, measured in the same run — bench/support/ceiling_app.py (a bare
  Flask endpoint inserting one row) answering ``POST /save`` with a small JSON body, on its own
  table in the same kind of database; half of its requests before quizapp's and half after (a
  shared machine's speed drifts within a run).

Each kind is printed as median and p90 in µs and as the ratio of its median to the ceiling's.
Every answer must be 200 (and every save ``"saved": true``), or the run stops with a message:
a figure for refusals would be worse than none. The last line of output is one JSON object.
Not a test: nothing is asserted here.

    .venv/bin/python bench/request_costs.py [--backend postgresql] [--requests 150]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.client import HTTPFailure, Reply, Student
from bench.support.seed import Scenario, fresh_database, make_app, migrate, seed_class

WARM_UP = 10  # untimed requests of each kind first (students, for the first save and submit)
CEILING_BODY = {"answer": "Bakı", "seq": 1}  # with a slot, as bench/load.py's ceiling posts


class Refused(Exception):
    """A measured request that was not answered as a working one would be."""


def environ_for(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> dict:
    """The WSGI environ of one HTTP/1.1 request to 127.0.0.1, as a server builds it."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body is not None:
        environ["CONTENT_LENGTH"] = str(len(body))  # client.Connection sends Content-Length
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


def call(app, environ: dict) -> tuple[float, int, list[tuple[str, str]], bytes]:
    """Run one request through the WSGI app as a server does (call, read the body, close);
    returns the thread's CPU seconds for it, the status code, the headers and the body."""
    answer: list = []

    def start_response(status, headers, exc_info=None):
        answer[:] = [status, headers]

    started = time.thread_time()
    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    cpu = time.thread_time() - started
    return cpu, int(answer[0].split(" ", 1)[0]), answer[1], body


class InProcess:
    """Stands in for ``client.Connection``: the request goes to a WSGI app in this process
    (used to sign students in, start and open their attempts — none of it timed)."""

    def __init__(self, app):
        self.app = app

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> Reply:
        """Send one request; the answer as ``client.Connection`` gives it."""
        cpu, status, header_list, content = call(self.app, environ_for(method, path, body, headers))
        reply_headers = {name.lower(): value for name, value in header_list}
        cookies = [value for name, value in header_list if name.lower() == "set-cookie"]
        reply_headers["set-cookie-all"] = "\n".join(cookies)
        return Reply(status, reply_headers, content, cpu)


class Recorder:
    """Stands in for ``client.Connection`` and keeps the request instead of sending it: the
    exact method, path, body and headers that the benchmark client sends."""

    sent: tuple[str, str, bytes | None, dict]

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> Reply:
        """Keep the request; answer 200 with an empty JSON object."""
        self.sent = (method, path, body, headers)
        return Reply(200, {}, b"{}", 0.0)


def save_environ(student: Student, slot: int, answer, seq: int) -> dict:
    """The environ of the autosave that bench/support/client.py (like the quiz page) sends."""
    recorder = Recorder()
    student.save(recorder, slot, answer, seq)
    return environ_for(*recorder.sent)


def submit_environ(student: Student) -> dict:
    """The environ of the submit that bench/support/client.py sends."""
    recorder = Recorder()
    student.submit(recorder)
    return environ_for(*recorder.sent)


def timed(kind: str, app, environ: dict, saves: bool = False) -> float:
    """CPU seconds of one request; ``Refused`` unless it was answered 200 (and, for a save,
    stored)."""
    cpu, status, _headers, body = call(app, environ)
    stored = True
    if saves:
        try:
            stored = json.loads(body).get("saved") is True
        except ValueError:
            stored = False
    if status != 200 or not stored:
        raise Refused(f"{kind}: answered {status} {body[:300]!r}")
    return cpu


def ready_student(app, login: str, scenario: Scenario) -> Student:
    """A student signed in on ``app``, with a started attempt open on the quiz page."""
    student = Student(login, scenario.password)
    conn = InProcess(app)
    student.sign_in(conn)
    token = student.open_assignment(conn, scenario.assignment_id)
    student.start(conn, scenario.assignment_id, token)
    student.open_quiz(conn)
    return student


class DispatchCount:
    """Counts the requests that Flask dispatched (``request_started``) while connected: the
    fast autosave answers without it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, sender, **extra) -> None:
        self.count += 1


def measure_known_saves(app, student: Student, scenario: Scenario, requests: int) -> list[float]:
    """Autosaves of one student whose cookie, token and attempt this app has seen."""
    from flask import request_started

    answers = list(scenario.answers.items())
    environs = []
    for number in range(WARM_UP + requests):
        slot, answer = answers[number % len(answers)]
        environs.append(save_environ(student, slot, answer, seq=number + 1))  # always newer
    for environ in environs[:WARM_UP]:
        timed("autosave (warm-up)", app, environ, saves=True)
    dispatched = DispatchCount()
    gc.collect()
    with request_started.connected_to(dispatched, app):
        cpu = [timed("autosave, known", app, e, saves=True) for e in environs[WARM_UP:]]
    if dispatched.count:
        raise Refused(
            f"autosave, known: Flask dispatched {dispatched.count} of {requests} saves, so they "
            "did not take the fast path this figure is for"
        )
    return cpu


def measure_first_saves_and_submits(
    app, app2, logins: list[str], scenario: Scenario
) -> tuple[list[float], list[float], int]:
    """For each student: ready on ``app``; the first save timed on ``app2`` (which has not
    seen the student), the other 19 saved untimed, the submit timed. Returns the first saves'
    and the submits' CPU seconds (warm-up students left out) and how many first saves Flask
    dispatched."""
    from flask import request_started

    from quizapp.extensions import csrf

    answers = list(scenario.answers.items())
    first: list[float] = []
    submit: list[float] = []
    dispatched = DispatchCount()
    gc.collect()
    for number, login in enumerate(logins):
        student = ready_student(app, login, scenario)
        environ = save_environ(student, *answers[0], seq=1)
        # One CSRFProtect per process serves both apps: a new process would not have verified
        # this student's tokens (the start form's token can equal the quiz page's).
        csrf._verified.clear()
        before = dispatched.count
        with request_started.connected_to(dispatched, app2):
            cpu = timed("autosave, first", app2, environ, saves=True)
        if number < WARM_UP:
            dispatched.count = before
        else:
            first.append(cpu)
        for slot, answer in answers[1:]:
            timed("autosave (untimed)", app2, save_environ(student, slot, answer, seq=1), True)
        cpu = timed("submit", app2, submit_environ(student))
        if number >= WARM_UP:
            submit.append(cpu)
    return first, submit, dispatched.count


def measure_ceiling(workdir: Path, url: str, requests: int, warm_up: bool) -> list[float]:
    """``POST /save`` of the bare ceiling app, on its own table in the same kind of database."""
    from bench.support import ceiling_app

    target = str(workdir / "ceiling.sqlite3") if url.startswith("sqlite") else url
    if target != ceiling_app.TARGET:
        ceiling_app.create_table(target)
        ceiling_app.TARGET = target
    headers = {"Host": "127.0.0.1", "Content-Type": "application/json"}
    environs = [
        environ_for(
            "POST", "/save", json.dumps({"slot": n % 20 + 1, **CEILING_BODY}).encode(), headers
        )
        for n in range((WARM_UP if warm_up else 0) + requests)
    ]
    for environ in environs[: len(environs) - requests]:
        timed("ceiling (warm-up)", ceiling_app.app, environ, saves=True)
    gc.collect()
    return [timed("ceiling", ceiling_app.app, e, saves=True) for e in environs[-requests:]]


def measure(backend: str, requests: int, workdir: Path, url: str) -> dict:
    """Seed, then time every kind of request: CPU seconds per request, by kind (and how many
    first saves Flask dispatched)."""
    app = make_app(url, workdir / "instance")
    migrate(app)
    started = time.perf_counter()
    scenario = seed_class(app, 1 + WARM_UP + requests)
    print(
        f"backend {backend}; seeded {len(scenario.logins)} students and a "
        f"{len(scenario.answers)}-question assignment in {time.perf_counter() - started:.1f}s"
    )
    app2 = make_app(url, workdir / "instance")  # another server process on the same database
    try:
        ceiling = measure_ceiling(workdir, url, requests // 2, warm_up=True)
        known_student = ready_student(app, scenario.logins[0], scenario)
        known = measure_known_saves(app, known_student, scenario, requests)
        first, submit, first_dispatched = measure_first_saves_and_submits(
            app, app2, scenario.logins[1:], scenario
        )
        ceiling_after = measure_ceiling(workdir, url, requests - requests // 2, warm_up=False)
    finally:
        from quizapp.extensions import db

        for each in (app, app2):
            with each.app_context():
                db.engine.dispose()
    return {
        "autosave_known": known,
        "autosave_first": first,
        "submit": submit,
        "ceiling": ceiling + ceiling_after,
        "ceiling_before": ceiling,
        "ceiling_after": ceiling_after,
        "first_dispatched": first_dispatched,
    }


def median_us(values: list[float]) -> float:
    """The median of CPU seconds, in µs."""
    return round(statistics.median(values) * 1e6, 1)


def p90_us(values: list[float]) -> float:
    """The 90th percentile (nearest rank) of CPU seconds, in µs."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=150, help="timed requests of each kind")
    args = parser.parse_args()
    if args.requests < 2:
        parser.error("--requests must be at least 2")

    with tempfile.TemporaryDirectory(prefix="quizapp-requests-") as tmp:
        workdir = Path(tmp)
        url, drop = fresh_database(args.backend, workdir, "requests")
        try:
            results = measure(args.backend, args.requests, workdir, url)
        except (Refused, HTTPFailure) as exc:
            sys.exit(
                f"stopped: {exc}\n(a benchmark that measured refusals would be worse than none)"
            )
        finally:
            drop()

    ceiling = median_us(results["ceiling"])
    print(
        f"{args.requests} requests of each kind after {WARM_UP} of warm-up, one at a time "
        "through the WSGI app; the thread's CPU time per request:"
    )
    labels = {
        "autosave_known": "autosave, cookie/token/attempt known (fast path)",
        "autosave_first": "autosave, first of an attempt in a new process",
        "submit": "submit, 20 answers saved",
        "ceiling": "ceiling: bare Flask + one INSERT",
    }
    figures: dict = {"backend": args.backend}
    for kind, label in labels.items():
        median, p90 = median_us(results[kind]), p90_us(results[kind])
        ratio = median / ceiling if ceiling else 0.0
        print(f"  {label:<50} median {median:7.0f} µs, p90 {p90:7.0f} µs = {ratio:5.2f} × ceiling")
        figures[f"{kind}_us"] = median
        figures[f"{kind}_p90_us"] = p90
    print(
        f"  (ceiling median before quizapp {median_us(results['ceiling_before']):.0f} µs, after "
        f"{median_us(results['ceiling_after']):.0f} µs; Flask dispatched "
        f"{results['first_dispatched']} of the {args.requests} first saves)"
    )
    figures["requests"] = args.requests
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
