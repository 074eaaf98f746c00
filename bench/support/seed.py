"""Seeding a database for the load benchmark and the fault tests: one class of students and
an assignment of a fixed quiz built from the curated bank, one question of each type first.

Students are created with a cheap scrypt cost (``scrypt:1024:8:1``): the hash records its own
cost, so the server checks it at that cost. Sign-in is measured apart from starting and saving.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("QUIZAPP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHEAP_HASH = "scrypt:1024:8:1"
PASSWORD = "river-cedar-lantern"


@dataclass
class Scenario:
    """What the clients need: the assignment, the students' sign-in names, an answer per slot."""

    assignment_id: int
    logins: list[str]
    answers: dict[int, Any]  # slot → a valid answer (the questions are not shuffled)
    password: str = PASSWORD


def fresh_database(backend: str, workdir: Path, name: str) -> tuple[str, Callable[[], None]]:
    """A fresh database URL for the backend (a SQLite file in ``workdir``, or a new schema
    ``bench_<name>_<pid>`` of the local PostgreSQL) and a function that removes it."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'{name}.sqlite3'}", lambda: None
    import psycopg

    schema = f"bench_{name}_{os.getpid()}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop():
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def make_app(database_url: str, instance: Path, **config):
    """An app on ``database_url`` with production settings (sweeper off in this process)."""
    from quizapp import create_app
    from quizapp.config import engine_options, normalise_database_url

    url = normalise_database_url(database_url)
    previous = os.environ.get("QUIZAPP_INSTANCE_PATH")
    os.environ["QUIZAPP_INSTANCE_PATH"] = str(instance)
    try:
        return create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
                "SECRET_KEY": "bench-secret",
                "ATTEMPT_SWEEP_SECONDS": 0,
                "PASSWORD_HASH_METHOD": CHEAP_HASH,
                **config,
            }
        )
    finally:
        if previous is None:
            os.environ.pop("QUIZAPP_INSTANCE_PATH", None)
        else:
            os.environ["QUIZAPP_INSTANCE_PATH"] = previous


def migrate(app) -> None:
    """Bring the database to the newest schema with the shipped Alembic migrations."""
    import logging

    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    logging.getLogger("alembic").setLevel(logging.WARNING)


def seed_class(
    app,
    students: int,
    questions: int = 20,
    time_limit_minutes: int | None = 45,
    close_in: timedelta | None = None,
) -> Scenario:
    """Import the curated bank, a teacher, a class of ``students`` and a quiz assignment."""
    from sqlalchemy import select

    from quizapp import accounts
    from quizapp.content import load_content
    from quizapp.content.importer import import_bundle
    from quizapp.extensions import db
    from quizapp.models import Assignment, Question, Quiz, QuizItem, SchoolClass
    from quizapp.models._types import utcnow
    from quizapp.questions import get_type
    from quizapp.resources import content_paths

    with app.app_context():
        session = db.session
        import_bundle(session, load_content(content_paths()))
        session.commit()
        teacher = accounts.create_staff(
            session, "load.teacher@school.example", "Gülnar Axundova", password="x" * 16
        )
        school_class = SchoolClass(
            name="9A Tarix", teacher=teacher, join_code=accounts.generate_join_code(session)
        )
        session.add(school_class)
        session.flush()
        pool = list(
            session.scalars(
                select(Question)
                .where(Question.current_version_id.is_not(None), Question.retired.is_(False))
                .order_by(Question.id)
            )
        )
        by_type: dict[str, list] = {}
        for question in pool:
            by_type.setdefault(question.current_version.qtype, []).append(question)
        chosen: list = []
        while len(chosen) < questions and any(by_type.values()):
            for bucket in by_type.values():
                if bucket and len(chosen) < questions:
                    chosen.append(bucket.pop(0))
        quiz = Quiz(title="Load test: 20 January 1990", kind="fixed", published=True)
        session.add(quiz)
        session.flush()
        answers = {}
        for slot, question in enumerate(chosen, start=1):
            session.add(QuizItem(quiz_id=quiz.id, position=slot, question_id=question.id))
            version = question.current_version
            answers[slot] = get_type(version.qtype).correct_answer(version.body)
        now = utcnow()
        assignment = Assignment(
            class_id=school_class.id,
            kind="quiz",
            quiz_id=quiz.id,
            title="Exam: January 1990",
            open_at=now - timedelta(minutes=5),
            close_at=now + (close_in or timedelta(hours=3)),
            time_limit_minutes=time_limit_minutes,
            attempts_allowed=1,
            shuffle_questions=False,
            shuffle_options=True,
        )
        session.add(assignment)
        session.flush()
        logins = []
        for number in range(1, students + 1):
            user = accounts.create_student(
                session,
                f"Şagird {number:04d}",
                PASSWORD,
                school_class,
                username=f"student{number:04d}",
            )
            logins.append(user.username)
        session.commit()
        return Scenario(assignment.id, logins, answers)


def stored_answers(app, attempt_ids: list[str]) -> dict[tuple[str, int], tuple[int, Any]]:
    """(attempt public id, slot) → (client_seq, answer) as stored in the database."""
    from sqlalchemy import select

    from quizapp.extensions import db
    from quizapp.models import Attempt, Response

    out = {}
    with app.app_context():
        rows = db.session.execute(
            select(Attempt.public_id, Response.slot, Response.client_seq, Response.answer)
            .join(Response, Response.attempt_id == Attempt.id)
            .where(Attempt.public_id.in_(attempt_ids))
        )
        for public_id, slot, seq, answer in rows:
            out[(public_id, slot)] = (seq, answer)
        db.session.remove()
    return out


def lost_answers(acked: dict[str, dict[int, tuple[int, Any]]], stored: dict) -> list[str]:
    """Acknowledged saves missing from the database or replaced by an older one."""
    lost = []
    for public_id, slots in acked.items():
        for slot, (seq, answer) in slots.items():
            row = stored.get((public_id, slot))
            if row is None or row[0] < seq or (row[0] == seq and row[1] != answer):
                lost.append(f"{public_id} slot {slot} seq {seq}: stored {row}")
    return lost
