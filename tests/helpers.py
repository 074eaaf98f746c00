"""Factories for tests (after CTFd's tests/helpers.py): small functions that build rows."""

from __future__ import annotations

import itertools
import re

from quizapp import accounts
from quizapp.content import load_content
from quizapp.content.importer import import_bundle
from quizapp.extensions import db
from quizapp.models import SchoolClass, User
from quizapp.resources import content_paths

_counter = itertools.count(1)
STUDENT_PASSWORD = "river-cedar-lantern"
STAFF_PASSWORD = "a long teacher passphrase"


def gen_teacher(email: str | None = None, name: str = "Ms Teacher", role: str = "teacher") -> User:
    """A teacher (or admin) with STAFF_PASSWORD."""
    user = accounts.create_staff(
        db.session,
        email or f"teacher{next(_counter)}@school.example",
        name,
        role=role,
        password=STAFF_PASSWORD,
    )
    db.session.commit()
    return user


def gen_class(teacher: User, name: str = "9A History") -> SchoolClass:
    """A class with a fresh join code."""
    school_class = SchoolClass(
        name=name, teacher=teacher, join_code=accounts.generate_join_code(db.session)
    )
    db.session.add(school_class)
    db.session.commit()
    return school_class


def gen_student(school_class: SchoolClass | None = None, name: str | None = None) -> User:
    """A student with STUDENT_PASSWORD, enrolled in ``school_class`` if given."""
    user = accounts.create_student(
        db.session, name or f"Student {next(_counter)}", STUDENT_PASSWORD, school_class
    )
    db.session.commit()
    return user


def import_curated_content() -> None:
    """Import the repository's content into the current database."""
    import_bundle(db.session, load_content(content_paths()))
    db.session.commit()


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, login: str, password: str, follow: bool = False):
    """Sign in through the form, with its CSRF token."""
    token = csrf_token(client, "/sign-in")
    return client.post(
        "/sign-in",
        data={"login": login, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


def import_examples():
    """Import only the worked examples (topics, sources, one question of each type) and a quiz
    'example-quiz' holding them all; independent of the curated bank's size and lessons."""
    from quizapp.content.specs import QuizSpec
    from quizapp.models import Quiz
    from quizapp.resources import resource_path

    bank = resource_path("question_bank")
    bundle = load_content([bank / "topics.yaml", bank / "sources.yaml", bank / "examples.yaml"])
    bundle.quizzes.append(
        QuizSpec(
            id="example-quiz",
            title="Example quiz with every question type",
            questions=[q.id for q in bundle.questions],
        )
    )
    import_bundle(db.session, bundle)
    db.session.commit()
    return db.session.scalar(db.select(Quiz).where(Quiz.slug == "example-quiz"))


def decree_sections(body: str = "The **Presidium** issued a decree.", television: bool = True):
    """Sections of a short test lesson whose checks are example questions."""
    from quizapp.content.specs import LessonSection

    sections = [LessonSection("The decree", body, ["ex-decree-body"], ["DEC"])]
    if television:
        sections.append(
            LessonSection("Television", "Broadcasts stopped.", ["ex-saturday"], ["USE"])
        )
    return sections


def import_example_lesson(
    lesson_id: str, sections, title: str = "The decree", objectives=("Know the decree",)
):
    """Import the worked examples with a short lesson built on them; return the lesson."""
    from quizapp.content.specs import Blueprint, BlueprintRow, LessonSpec
    from quizapp.models import Lesson
    from quizapp.resources import resource_path

    bank = resource_path("question_bank")
    bundle = load_content([bank / "topics.yaml", bank / "sources.yaml", bank / "examples.yaml"])
    bundle.lessons.append(
        LessonSpec(
            id=lesson_id,
            title=title,
            topic="night-of-19-20-january",
            minutes=10,
            objectives=list(objectives),
            key_terms=[{"term": "Decree", "definition": "An order."}],
            sources=["DEC"],
            sections=list(sections),
            blueprint=Blueprint([BlueprintRow(2, "night-of-19-20-january")]),
        )
    )
    import_bundle(db.session, bundle)
    db.session.commit()
    return db.session.scalar(db.select(Lesson).where(Lesson.slug == lesson_id))
