"""Benchmark of the print side: a class set of 30 worksheets of 20 questions.

Measured in one run, on the very same HTML: a bare WeasyPrint render (``HTML(...).write_pdf()``
per worksheet, the same stylesheet and fonts), the project's class-set path on one process
(database → HTML → restricted render → merge → cache), the same spread over every core, and a
cached repeat download through the Flask test client. The last line is one JSON object.

Run with ``make bench`` or ``.venv/bin/python bench/pdf.py``. Not a test: no assertion here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STUDENTS = 30
QUESTIONS = 20
VARIANTS = ["A", "B", "C"]
NAMES = [
    "Aysel Məmmədova",
    "Rəşad Quliyev",
    "Günel Həsənova",
    "Tural Əliyev",
    "Nigar Şirinova",
    "Kamran Abbasov",
    "Leyla Cəfərova",
    "Orxan İsmayılov",
    "Səbinə Rzayeva",
    "Elvin Novruzov",
    "Aytən Babayeva",
    "Fərid Hüseynov",
    "Lalə Qasımova",
    "Murad Çələbiyev",
    "Nərmin Ağayeva",
    "Ramin Kərimov",
    "Şəbnəm Vəliyeva",
    "Zaur Məlikov",
    "Ülviyyə Sadıqova",
    "Emin Tağıyev",
    "Anna Ivanova",
    "Иван Петров",
    "Sevinc Əhmədova",
    "Toğrul Bağırov",
    "Xəyalə Nəsirova",
    "Vüsal Rüstəmov",
    "Gülnar Axundova",
    "Elnur Süleymanov",
    "Könül Salmanova",
    "Ceyhun Mirzəyev",
]


def _seconds(func) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def _setup(app):
    """Schema, content, a teacher, a class of 30 and a quiz of 20 questions of every type."""
    from sqlalchemy import select

    from quizapp import accounts
    from quizapp.content import load_content
    from quizapp.content.importer import import_bundle
    from quizapp.extensions import db
    from quizapp.models import Question, Quiz, QuizItem, SchoolClass
    from quizapp.resources import content_paths, resource_path

    db.create_all()
    try:
        import_bundle(db.session, load_content(content_paths()))
        db.session.commit()
    except Exception as exc:  # curated lessons being written may not import yet: questions do
        db.session.rollback()
        print(f"(curated content did not import whole: {exc!r}; using the question bank only)")
        import_bundle(db.session, load_content([resource_path("question_bank")]))
        db.session.commit()
    questions = [
        q
        for q in db.session.scalars(select(Question).order_by(Question.slug))
        if q.current_version is not None and not q.retired
    ]
    by_type: dict[str, list] = {}
    for question in questions:
        by_type.setdefault(question.current_version.qtype, []).append(question)
    picked: list = []
    while len(picked) < QUESTIONS and any(by_type.values()):
        for qtype in sorted(by_type):
            if by_type[qtype] and len(picked) < QUESTIONS:
                picked.append(by_type[qtype].pop(0))
    quiz = Quiz(slug="bench-quiz", title="Baku, January 1990: end-of-unit test")
    for position, question in enumerate(picked, start=1):
        quiz.items.append(QuizItem(position=position, question=question))
    db.session.add(quiz)
    teacher = accounts.create_staff(
        db.session,
        "bench@school.example",
        "Ms Bench",
        role="teacher",
        password="a long bench passphrase",
    )
    school_class = SchoolClass(name="9A History", teacher=teacher, join_code="BENCH01")
    db.session.add(school_class)
    db.session.flush()
    for name in NAMES[:STUDENTS]:
        accounts.create_student(db.session, name, "river-cedar-lantern", school_class)
    db.session.commit()
    return quiz.id, school_class.id, len(picked)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="quizapp-bench-pdf-"))
    os.environ["QUIZAPP_INSTANCE_PATH"] = str(tmp / "instance")
    from pypdf import PdfReader
    from weasyprint import HTML

    from quizapp import create_app
    from quizapp.extensions import db
    from quizapp.models import Quiz, SchoolClass
    from quizapp.pdf import render, service

    cache_dir = tmp / "pdf-cache"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "PDF_CACHE_DIR": str(cache_dir),
            "WTF_CSRF_ENABLED": False,
        }
    )
    cores = os.cpu_count() or 1
    try:
        with app.app_context():
            quiz_id, class_id, count = _setup(app)
            quiz, school_class = (
                db.session.get(Quiz, quiz_id),
                db.session.get(SchoolClass, class_id),
            )
            options = service.PrintOptions(VARIANTS[0], 1990, "a4", True)
            htmls, _, _ = service.class_set_htmls(quiz, school_class, VARIANTS, options)
            print(
                f"class set: {len(htmls)} worksheets of {count} questions, variants {','.join(VARIANTS)}, {cores} core(s)"
            )

            # Warm both paths once (fonts, CSS parsing) so neither pays the first-render cost.
            HTML(string=htmls[0], base_url=render.base_url()).write_pdf()
            render.render_pdf(htmls[0])

            bare_s, _ = _seconds(
                lambda: [HTML(string=h, base_url=render.base_url()).write_pdf() for h in htmls]
            )
            print(f"bare WeasyPrint, one process:     {bare_s:7.2f} s")

            def project(workers):
                shutil.rmtree(cache_dir, ignore_errors=True)
                db.session.expire_all()
                q, c = db.session.get(Quiz, quiz_id), db.session.get(SchoolClass, class_id)
                return service.class_set(q, c, VARIANTS, options, workers=workers)

            project_s, printout = _seconds(lambda: project(1))
            serial_bytes = printout.path.read_bytes()
            pages = len(PdfReader(io.BytesIO(serial_bytes)).pages)
            print(
                f"project, one process:             {project_s:7.2f} s  ({project_s / bare_s:.2f} × bare)"
            )

            # A fresh pool: process start-up is part of the time, as for a CLI export.
            render.shutdown_pool()
            parallel_s, printout = _seconds(lambda: project(cores))
            same = printout.path.read_bytes() == serial_bytes
            print(
                f"project, {cores} processes:           {parallel_s:7.2f} s  ({parallel_s / bare_s:.2f} × bare)"
            )
            print(f"parallel output byte-identical to the single-process output: {same}")
            print(f"pages: {pages}")
            render.shutdown_pool()

        client = app.test_client()
        client.post(
            "/sign-in",
            data={"login": "bench@school.example", "password": "a long bench passphrase"},
        )
        url = f"/print/quiz/{quiz_id}/worksheet.pdf?variant=B&qr=1"
        first = client.get(url)
        assert_ok = first.status_code == 200 and first.mimetype == "application/pdf"
        timings = []
        for _ in range(7):
            elapsed, response = _seconds(lambda: client.get(url))
            assert_ok = assert_ok and response.headers.get("X-PDF-Cache") == "hit"
            timings.append(elapsed * 1000)
        cached_ms = statistics.median(timings)
        print(
            f"cached repeat download (median of 7): {cached_ms:.1f} ms, served from cache: {assert_ok}"
        )

        result = {
            "bare_s": round(bare_s, 3),
            "project_s": round(project_s, 3),
            "ratio": round(project_s / bare_s, 3),
            "parallel_s": round(parallel_s, 3),
            "parallel_ratio": round(parallel_s / bare_s, 3),
            "cached_ms": round(cached_ms, 2),
            "pages": pages,
            "workers": cores,
        }
        print(json.dumps(result))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
