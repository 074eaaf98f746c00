"""Background class-set renders with visible progress, stored on the ``PdfJob`` row.

By default a job runs in a thread of the web process. With ``REDIS_URL`` set it is put on an
RQ queue (``PDF_QUEUE``, default ``quizapp-pdf``) and served by ``quizapp worker``. Either way
the row says ``queued`` → ``running`` → ``done`` (with ``result_path``) or ``failed`` (with an
error a teacher can act on, naming the question at fault). ``result_path`` is set only after
the PDF has been written completely.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any

from flask import Flask, current_app

from quizapp.extensions import db
from quizapp.pdf.documents import PrintError

log = logging.getLogger(__name__)
_THREADS: list[threading.Thread] = []


def queue_name() -> str:
    """The RQ queue of PDF jobs."""
    return current_app.config.get("PDF_QUEUE") or "quizapp-pdf"


def _redis():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def create_class_set_job(owner, quiz, school_class, variants: list[str], options) -> Any:
    """Record a class-set job (queued) for ``owner``; the caller commits."""
    from quizapp.models import PdfJob
    from quizapp.pdf import service

    job = PdfJob(
        public_id=secrets.token_hex(16),
        owner_id=owner.id,
        kind="class_set",
        params={
            "quiz_id": quiz.id,
            "class_id": school_class.id,
            "variants": variants,
            "seed": options.seed,
            "size": options.size,
            "qr": options.qr,
        },
        state="queued",
        done=0,
        total=len(service.enrolled_students(school_class)),
    )
    db.session.add(job)
    return job


def start(job) -> None:
    """Start a committed job: on the RQ queue when REDIS_URL is set, else in a thread."""
    job_id = job.id
    # End the read transaction that loading the id began, so the job can write (SQLite).
    db.session.commit()
    if current_app.config.get("REDIS_URL"):
        from rq import Queue

        Queue(queue_name(), connection=_redis()).enqueue(
            "quizapp.pdf.jobs.run_queued_job", job_id, job_timeout=1800
        )
        return
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_in_thread, args=(app, job_id), daemon=True)
    _THREADS.append(thread)
    thread.start()


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_job(job_id)
        db.session.remove()


def wait_for_threads(timeout: float = 120) -> None:
    """Wait for in-process jobs to finish (tests and shutdown)."""
    while _THREADS:
        _THREADS.pop().join(timeout)


def run_queued_job(job_id: int) -> None:
    """The RQ entry point: run inside the worker's application context."""
    run_job(job_id)
    db.session.remove()


def _update(job, **values) -> None:
    for key, value in values.items():
        setattr(job, key, value)
    db.session.commit()


def run_job(job_id: int) -> None:
    """Render a class-set job, recording progress; never raises."""
    from quizapp.models import PdfJob, Quiz, SchoolClass
    from quizapp.pdf import service
    from quizapp.pdf.render import default_workers

    job = db.session.get(PdfJob, job_id)
    if job is None or job.state not in ("queued", "running"):
        return
    try:
        _update(job, state="running", error=None)
        params = job.params
        quiz = db.session.get(Quiz, params["quiz_id"])
        school_class = db.session.get(SchoolClass, params["class_id"])
        if quiz is None or school_class is None:
            raise PrintError("The quiz or the class of this job no longer exists.")
        options = service.PrintOptions.parse(
            params["variants"][0], params.get("seed"), params.get("size"), params.get("qr")
        )

        def progress(done: int, total: int) -> None:
            _update(job, done=done, total=total)

        workers = current_app.config.get("PDF_WORKERS") or default_workers()
        printout = service.class_set(
            quiz, school_class, params["variants"], options, workers, progress
        )
        service.class_set_key(quiz, school_class, params["variants"], options)
        _update(job, state="done", done=job.total, result_path=str(printout.path))
    except (PrintError, ValueError) as exc:
        db.session.rollback()
        _update(job, state="failed", error=str(exc)[:2000], result_path=None)
    except Exception:  # logged for the administrator; the teacher sees a plain message
        log.exception("PDF job %s failed", job_id)
        db.session.rollback()
        _update(
            job,
            state="failed",
            error="The class set could not be printed because of an error on our side. It has been logged.",
            result_path=None,
        )


def work(burst: bool = False) -> None:
    """Serve the PDF queue in this process (``quizapp worker``)."""
    from rq import SimpleWorker

    SimpleWorker([queue_name()], connection=_redis()).work(burst=burst)


def status(job) -> dict[str, Any]:
    """What the progress page and its JSON route show."""
    percent = int(100 * job.done / job.total) if job.total else (100 if job.state == "done" else 0)
    return {
        "id": job.public_id,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "error": job.error,
    }
