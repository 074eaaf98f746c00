"""Printouts from the database: find the objects, build the HTML, serve from cache or render.

Every function returns a :class:`Printout` (a file in the PDF cache and a download name); the
web routes, the CLI commands and the background jobs are thin layers over these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.pdf import cache, render
from quizapp.pdf.documents import (
    PrintError,
    PrintQuestion,
    class_roster,
    handout_context,
    key_context,
    load_questions,
    normalise_size,
    normalise_variant,
    quiz_seed,
    sheet_context,
    source_titles,
)
from quizapp.pdf.html import qr_code, render_html


@dataclass(frozen=True)
class Printout:
    """A rendered PDF: where it is, what to call it, and whether it came from the cache."""

    path: Path
    filename: str
    cached: bool
    pages_hint: int | None = None


@dataclass(frozen=True)
class PrintOptions:
    """What a teacher can choose for a quiz printout."""

    variant: str = "A"
    seed: int | None = None
    size: str = "a4"
    qr: bool = False

    @classmethod
    def parse(cls, variant=None, seed=None, size=None, qr=False) -> PrintOptions:
        """Validate loose input (query strings, CLI options); ValueError with a clear message."""
        if seed not in (None, ""):
            try:
                seed = int(seed)
            except (TypeError, ValueError):
                raise ValueError(f"the seed must be a whole number, not {seed!r}") from None
            if not 0 <= seed < 2**31:
                raise ValueError("the seed must be between 0 and 2147483647")
        else:
            seed = None
        return cls(normalise_variant(variant), seed, normalise_size(size), bool(qr))


def parse_variants(text: str | None) -> list[str]:
    """'A,B,C' → ['A', 'B', 'C'] (duplicates dropped); ValueError for an unknown letter."""
    letters = [normalise_variant(p) for p in (text or "A").replace(" ", "").split(",") if p]
    return list(dict.fromkeys(letters)) or ["A"]


def slugify(text: str) -> str:
    """An ASCII file-name part: 'Bakı 1990!' → 'baki-1990'."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("ə", "e"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "document"


def _by_ref(model, ref):
    ref = str(ref).strip()
    if hasattr(model, "slug"):
        found = db.session.scalar(select(model).where(model.slug == ref))
        if found is not None:
            return found
    return db.session.get(model, int(ref)) if ref.isdigit() else None


def find_quiz(ref):
    """A quiz by slug or id, or None."""
    from quizapp.models import Quiz

    return _by_ref(Quiz, ref)


def find_lesson(ref):
    """A lesson by slug or id, or None."""
    from quizapp.models import Lesson

    return _by_ref(Lesson, ref)


def find_class(ref):
    """A class by id or exact name, or None."""
    from quizapp.models import SchoolClass

    ref = str(ref).strip()
    if ref.isdigit():
        found = db.session.get(SchoolClass, int(ref))
        if found is not None:
            return found
    return db.session.scalar(select(SchoolClass).where(SchoolClass.name == ref))


def online_quiz_url(quiz) -> str:
    """The address of the quiz online, for the QR code (PUBLIC_BASE_URL + the quiz's page)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/quizzes/{quiz.slug or quiz.id}"


def _qr(quiz, options: PrintOptions, url: str | None = None):
    return qr_code(url or online_quiz_url(quiz)) if options.qr else None


def _serve(htmls: list[str], size: str, filename: str, workers: int = 1, progress=None):
    key = cache.cache_key(htmls, size)
    hit = cache.lookup(key)
    if hit is not None:
        if progress is not None:
            progress(len(htmls), len(htmls))
        return Printout(hit, filename, cached=True)
    data = render.render_class_set(htmls, workers=workers, progress=progress)
    return Printout(cache.store(key, data), filename, cached=False)


def _questions(quiz) -> list[PrintQuestion]:
    questions = load_questions(quiz)
    if not questions:
        raise PrintError(f"The quiz {quiz.title!r} has no questions to print.")
    return questions


def _name(quiz) -> str:
    return slugify(quiz.slug or quiz.title)


def worksheet_html(quiz, options: PrintOptions, questions=None, **extra) -> str:
    """The HTML of one student worksheet."""
    questions = questions if questions is not None else _questions(quiz)
    context = sheet_context(
        title=quiz.title,
        description=quiz.description,
        questions=questions,
        seed=options.seed if options.seed is not None else quiz_seed(quiz),
        variant=options.variant,
        size=options.size,
        **extra,
    )
    return render_html("worksheet.html", context)


def worksheet(quiz, options: PrintOptions, *, class_name=None, due=None, qr_url=None) -> Printout:
    """A student worksheet for ``quiz`` (no answers in it)."""
    html = worksheet_html(
        quiz, options, class_name=class_name, due=due, qr=_qr(quiz, options, qr_url)
    )
    return _serve(
        [html], options.size, f"{_name(quiz)}-worksheet-{options.variant}-{options.size}.pdf"
    )


def key_html(
    quiz, variants: list[str], options: PrintOptions, roster=None, class_name=None, questions=None
) -> str:
    """The HTML of an answer key for ``variants``."""
    questions = questions if questions is not None else _questions(quiz)
    context = key_context(
        title=quiz.title,
        questions=questions,
        seed=options.seed if options.seed is not None else quiz_seed(quiz),
        variants=variants,
        size=options.size,
        sources=source_titles(db.session, {r for q in questions for r in q.source_refs}),
        roster=roster,
        class_name=class_name,
    )
    return render_html("key.html", context)


def answer_key(quiz, options: PrintOptions, variants: list[str] | None = None) -> Printout:
    """The answer key of one or more variants of ``quiz``."""
    variants = variants or [options.variant]
    html = key_html(quiz, variants, options)
    return _serve([html], options.size, f"{_name(quiz)}-key-{''.join(variants)}-{options.size}.pdf")


def enrolled_students(school_class) -> list:
    """The active students of a class."""
    from quizapp.models import Enrolment, User

    return list(
        db.session.scalars(
            select(User)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(Enrolment.class_id == school_class.id, User.is_active.is_(True))
        )
    )


def class_set_htmls(quiz, school_class, variants: list[str], options: PrintOptions):
    """One worksheet per student (name printed, variants in turn) and the roster."""
    questions = _questions(quiz)
    roster = class_roster(enrolled_students(school_class), variants)
    if not roster:
        raise PrintError(f"The class {school_class.name} has no students to print for.")
    qr = _qr(quiz, options)
    htmls = [
        worksheet_html(
            quiz,
            PrintOptions(row["variant"], options.seed, options.size, options.qr),
            questions,
            student_name=row["name"],
            class_name=school_class.name,
            qr=qr,
        )
        for row in roster
    ]
    return htmls, roster, questions


def class_set(
    quiz,
    school_class,
    variants: list[str],
    options: PrintOptions,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Printout:
    """Every student's worksheet in one PDF."""
    htmls, _, _ = class_set_htmls(quiz, school_class, variants, options)
    name = f"{_name(quiz)}-{slugify(school_class.name)}-class-set-{options.size}.pdf"
    return _serve(htmls, options.size, name, workers=workers, progress=progress)


def class_set_key(quiz, school_class, variants: list[str], options: PrintOptions) -> Printout:
    """The key of a class set: which variant went to whom, then each variant's answers."""
    questions = _questions(quiz)
    roster = class_roster(enrolled_students(school_class), variants)
    html = key_html(quiz, variants, options, roster, school_class.name, questions)
    name = f"{_name(quiz)}-{slugify(school_class.name)}-class-set-key-{options.size}.pdf"
    return _serve([html], options.size, name)


def lesson_questions(lesson) -> dict[str, PrintQuestion]:
    """The current versions of a lesson's check questions, by slug."""
    from quizapp.models import Question

    slugs = [s for section in lesson.sections or [] for s in section.get("checks", [])]
    if not slugs:
        return {}
    out = {}
    for question in db.session.scalars(select(Question).where(Question.slug.in_(slugs))):
        version = question.current_version
        if version is None:
            continue
        out[question.slug] = PrintQuestion(
            slug=question.slug,
            qtype=version.qtype,
            prompt=version.prompt,
            body=version.body if isinstance(version.body, dict) else {},
            points=version.points,
            version=version.number,
        )
    return out


def handout(lesson, size: str = "a4") -> Printout:
    """A lesson handout: text, timeline, key terms and check questions (without answers)."""
    size = normalise_size(size)
    html = render_html("handout.html", handout_context(lesson, lesson_questions(lesson), size))
    return _serve([html], size, f"{slugify(lesson.slug or lesson.title)}-handout-{size}.pdf")


def export_dir() -> Path:
    """Where CLI exports go: ``EXPORT_DIR`` or ./export/output."""
    configured = current_app.config.get("EXPORT_DIR")
    return Path(configured) if configured else Path.cwd() / "export" / "output"
