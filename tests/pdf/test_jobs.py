"""Background class-set jobs: in a thread by default, on RQ with the local Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from redis import Redis

from quizapp.extensions import db
from quizapp.models import PdfJob
from quizapp.pdf import jobs, service
from tests.pdf._factories import break_question, class_with_students, curated_quiz
from tests.pdf.conftest import pdf_pages_text

REDIS_URL = "redis://127.0.0.1:6379/0"


def _job(variants=("A",)):
    quiz = curated_quiz()
    teacher, school_class = class_with_students(["Nigar Əliyeva", "Tural Həsənov"])
    job = jobs.create_class_set_job(
        teacher, quiz, school_class, list(variants), service.PrintOptions()
    )
    db.session.commit()
    return job


def _reload(job_id) -> PdfJob:
    db.session.expire_all()
    return db.session.get(PdfJob, job_id)


def test_thread_job_renders_with_progress(ctx):
    ctx.config["PDF_WORKERS"] = 1
    job = _job(("A", "B"))
    job_id = job.id
    jobs.start(job)
    jobs.wait_for_threads()
    done = _reload(job_id)
    assert (done.state, done.done, done.total, done.error) == ("done", 2, 2, None)
    pages = pdf_pages_text(Path(done.result_path).read_bytes())
    assert "Nigar Əliyeva" in pages[0]
    assert jobs.status(done)["percent"] == 100


def test_malformed_question_fails_the_job_naming_it(ctx):
    ctx.config["PDF_WORKERS"] = 1
    job = _job()
    break_question("ex-cloze-mourning")
    jobs.run_job(job.id)
    failed = _reload(job.id)
    assert failed.state == "failed"
    assert "ex-cloze-mourning" in failed.error
    assert failed.result_path is None
    cache = Path(ctx.config["PDF_CACHE_DIR"])
    assert not cache.exists() or not any(cache.rglob("*.pdf"))


def test_rq_job_runs_on_the_local_redis(ctx):
    from rq import SimpleWorker

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # the suite's machines run Redis; say so plainly if not
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}", pytrace=False)
    queue = f"quizapp-pdf-test-{uuid.uuid4().hex}"
    ctx.config.update(REDIS_URL=REDIS_URL, PDF_QUEUE=queue, PDF_WORKERS=1)
    job = _job()
    job_id = job.id
    jobs.start(job)
    assert _reload(job_id).state == "queued"
    try:
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        connection.delete(f"rq:queue:{queue}")
        connection.close()
    done = _reload(job_id)
    assert done.state == "done", done.error
    assert Path(done.result_path).read_bytes().startswith(b"%PDF")
