"""``quizapp export …`` writes PDFs into EXPORT_DIR (or -o)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Lesson
from tests.pdf._factories import class_with_students, curated_quiz
from tests.pdf.conftest import page_sizes, pdf_text


def test_export_worksheet_key_and_handout(app, runner):
    with app.app_context():
        curated_quiz()
        lesson = db.session.scalar(select(Lesson).order_by(Lesson.id)).slug
    out = Path(app.config["EXPORT_DIR"])
    result = runner.invoke(
        args=["export", "worksheet", "example-quiz", "--variant", "B", "--size", "letter", "--qr"]
    )
    assert result.exit_code == 0, result.output
    (sheet,) = out.glob("*worksheet-B-letter.pdf")
    assert page_sizes(sheet.read_bytes()) == {(612, 792)}
    result = runner.invoke(args=["export", "key", "example-quiz", "--variants", "A,B"])
    assert result.exit_code == 0, result.output
    assert "Variant B" in pdf_text(next(out.glob("*key-AB-a4.pdf")).read_bytes())
    target = out / "mine" / "handout.pdf"
    result = runner.invoke(args=["export", "handout", lesson, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")


def test_export_class_set_with_progress_and_key(app, runner):
    with app.app_context():
        curated_quiz()
        _, school_class = class_with_students(["Samir", "Günel"])
        class_id = school_class.id
    result = runner.invoke(
        args=[
            "export",
            "class-set",
            "example-quiz",
            str(class_id),
            "--variants",
            "A,B",
            "--workers",
            "1",
        ]
    )
    assert result.exit_code == 0, result.output
    out = Path(app.config["EXPORT_DIR"])
    (sheets,) = out.glob("*class-set-a4.pdf")
    (key,) = out.glob("*class-set-a4-key.pdf")
    assert "Günel" in pdf_text(sheets.read_bytes())
    assert "Samir" in pdf_text(key.read_bytes())


def test_export_errors_are_messages_not_tracebacks(app, runner):
    result = runner.invoke(args=["export", "worksheet", "no-such-quiz"])
    assert result.exit_code == 1
    assert "No quiz" in result.output and "Traceback" not in result.output
    with app.app_context():
        curated_quiz()
    result = runner.invoke(args=["export", "worksheet", "example-quiz", "--variant", "Z"])
    assert result.exit_code != 0 and "unknown variant" in result.output
