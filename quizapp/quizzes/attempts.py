"""The attempt lifecycle: start, save an answer, submit, and finalise expired attempts.

Services take the session and return results; the caller commits. Every write to an attempt
first locks the attempt's row (PostgreSQL ``FOR UPDATE``; SQLite write transactions start
with ``BEGIN IMMEDIATE``, see ``quizapp.database``), so a double click, two tabs or a replayed
request grade an attempt once and never lose a newer answer.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quizapp.models import Assignment, Attempt, Extension, QuestionVersion, Quiz, Response, User
from quizapp.models._types import utcnow
from quizapp.questions import get_type, is_blank_answer
from quizapp.quizzes.rules import (
    PRACTICE_RULES,
    Rules,
    accepts_answers,
    attempt_deadline,
    rules_for,
)


class AttemptError(Exception):
    """A request the attempt's rules refuse; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def student_rules(session: Session, assignment: Assignment | None, student: User) -> Rules:
    """The rules for ``student`` on ``assignment`` (practice rules when there is none)."""
    if assignment is None:
        return PRACTICE_RULES
    extension = session.scalar(
        select(Extension).where(
            Extension.assignment_id == assignment.id, Extension.student_id == student.id
        )
    )
    return rules_for(assignment, extension)


def _lock(session: Session, model, row_id: int):
    """Re-read a row with a write lock (PostgreSQL); SQLite writers are already serialised."""
    return session.scalar(
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def build_layout(quiz: Quiz, rules: Rules, seed: int) -> list[dict[str, Any]]:
    """Pin each slot to its question's current version; record shuffles for the attempt."""
    rng = random.Random(seed)
    items = [
        item
        for item in quiz.items
        if item.question.current_version_id and not item.question.retired
    ]
    if rules.shuffle_questions:
        rng.shuffle(items)
    layout = []
    for slot, item in enumerate(items, start=1):
        version = item.question.current_version
        layout.append(
            {
                "slot": slot,
                "version_id": version.id,
                "points": float(item.points if item.points is not None else version.points),
                "shuffle_seed": rng.randrange(2**31) if rules.shuffle_options else None,
            }
        )
    return layout


def open_attempt(
    session: Session, quiz_id: int, student_id: int, assignment_id: int | None, practice: bool
) -> Attempt | None:
    """The student's attempt in progress at this quiz/assignment, if any."""
    stmt = select(Attempt).where(
        Attempt.student_id == student_id,
        Attempt.quiz_id == quiz_id,
        Attempt.state == "in_progress",
        Attempt.is_practice.is_(practice),
    )
    stmt = (
        stmt.where(Attempt.assignment_id == assignment_id)
        if assignment_id
        else stmt.where(Attempt.assignment_id.is_(None))
    )
    return session.scalar(stmt.order_by(Attempt.id.desc()))


def start_attempt(
    session: Session,
    quiz: Quiz,
    student: User,
    assignment: Assignment | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Resume the student's attempt in progress, or start a new one if the rules allow it."""
    now = now or utcnow()
    practice = assignment is None
    _lock(session, User, student.id)  # one start at a time per student (two tabs, double click)
    existing = open_attempt(
        session, quiz.id, student.id, assignment.id if assignment else None, practice
    )
    if existing is not None:
        finalise_if_expired(session, existing, now)
        if existing.state == "in_progress":
            return existing
    rules = student_rules(session, assignment, student)
    if not rules.is_open(now):
        raise AttemptError("not_open", "This quiz is not open for answers now.")
    used = 0
    if assignment is not None:
        used = (
            session.scalar(
                select(func.count())
                .select_from(Attempt)
                .where(
                    Attempt.assignment_id == assignment.id,
                    Attempt.student_id == student.id,
                    Attempt.is_practice.is_(False),
                )
            )
            or 0
        )
        if rules.attempts_allowed and used >= rules.attempts_allowed:
            raise AttemptError(
                "no_attempts_left", "You have used all the attempts allowed for this quiz."
            )
    seed = secrets.randbelow(2**31)
    layout = build_layout(quiz, rules, seed)
    if not layout:
        raise AttemptError("empty_quiz", "This quiz has no questions yet.")
    attempt = Attempt(
        public_id=secrets.token_urlsafe(16),
        quiz_id=quiz.id,
        student_id=student.id,
        assignment_id=assignment.id if assignment else None,
        is_practice=practice,
        number=used + 1,
        layout=layout,
        seed=seed,
        started_at=now,
        deadline_at=attempt_deadline(rules, now),
    )
    session.add(attempt)
    session.flush()
    return attempt


def versions_for(session: Session, attempt: Attempt) -> dict[int, QuestionVersion]:
    """The question versions an attempt showed, by id, with their stimuli, in one query."""
    from sqlalchemy.orm import selectinload

    ids = [slot["version_id"] for slot in attempt.layout]
    rows = session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.id.in_(ids))
        .options(selectinload(QuestionVersion.stimulus), selectinload(QuestionVersion.topic))
    )
    return {v.id: v for v in rows}


def grace(config_seconds: int) -> timedelta:
    """The grace period after a deadline during which answers still arrive."""
    return timedelta(seconds=config_seconds)


def version_essentials(session: Session, version_id: int) -> tuple[str, dict[str, Any]]:
    """A question version's type and body, cached per application.

    Versions are immutable, so every autosave after the first reads them from memory. The cache
    lives on the application (a new app, as in each test, starts empty); after restoring a
    backup into a database that a server is using, restart the server.
    """
    from flask import current_app, has_app_context

    cache = current_app.extensions.setdefault("quizapp_versions", {}) if has_app_context() else {}
    hit = cache.get(version_id)
    if hit is None:
        row = session.execute(
            select(QuestionVersion.qtype, QuestionVersion.body).where(
                QuestionVersion.id == version_id
            )
        ).one()
        if len(cache) > 50_000:
            cache.clear()
        hit = cache[version_id] = (row.qtype, row.body)
    return hit


@dataclass(frozen=True)
class SaveResult:
    """What became of one save: applied, or ignored because a newer answer was already saved."""

    slot: int
    applied: bool
    seq: int
    saved_at: datetime


def save_answer(
    session: Session,
    attempt: Attempt,
    slot: int,
    raw_answer: Any,
    seq: int | None,
    grace_seconds: int,
    now: datetime | None = None,
    versions: dict[int, QuestionVersion] | None = None,
) -> SaveResult:
    """Store the answer for one slot unless a newer one (higher ``seq``) is already stored.

    ``seq`` orders the saves of one slot: the page and its script number them; a replayed or
    out-of-order save with a lower or equal number is ignored. ``None`` applies after the
    stored answer (``stored + 1``).
    """
    now = now or utcnow()
    # Read the state again with a share lock: a submission in progress holds the row FOR UPDATE,
    # so this waits for it and then sees 'submitted' — a save never changes a graded answer.
    # (SQLite: the write transaction already excludes every other writer.)
    state, submitted_by, deadline_at = session.execute(
        select(Attempt.state, Attempt.submitted_by, Attempt.deadline_at)
        .where(Attempt.id == attempt.id)
        .with_for_update(read=True)
    ).one()
    if state != "in_progress":
        if submitted_by == "timer":
            raise AttemptError(
                "time_up", "Time is up: your saved answers were submitted.", status=403
            )
        raise AttemptError(
            "submitted", "This attempt has been submitted; answers can no longer change."
        )
    if not accepts_answers(deadline_at, now, grace(grace_seconds)):
        raise AttemptError(
            "time_up", "Time is up: answers after the deadline are not accepted.", status=403
        )
    layout = {entry["slot"]: entry for entry in attempt.layout}
    if slot not in layout:
        raise AttemptError(
            "no_such_question", "There is no such question in this attempt.", status=400
        )
    version_id = layout[slot]["version_id"]
    known = (versions or {}).get(version_id)
    qtype_name, body = (
        (known.qtype, known.body) if known else version_essentials(session, version_id)
    )
    try:
        answer = get_type(qtype_name).clean_answer(raw_answer, body)
    except (ValueError, TypeError, AttributeError) as exc:
        raise AttemptError(
            "invalid_answer", f"That answer cannot be read: {exc}", status=400
        ) from None
    if seq is not None and (
        not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < 2**31
    ):
        raise AttemptError("invalid_seq", "The save's sequence number is not valid.", status=400)
    return _upsert_response(session, attempt.id, slot, version_id, answer, seq, now)


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str):
    """``INSERT … ON CONFLICT (attempt_id, slot) DO UPDATE … WHERE stored seq < new seq``,
    built once per dialect (building it costs more than running it) and bound per save."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        table = Response.__table__
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        excluded = insert.excluded
        stmt = insert.on_conflict_do_update(
            index_elements=["attempt_id", "slot"],
            set_={
                "answer": excluded.answer,
                "client_seq": excluded.client_seq,
                "saved_at": excluded.saved_at,
            },
            where=table.c.client_seq < excluded.client_seq,
        ).returning(table.c.client_seq)
        _UPSERTS[dialect] = stmt
    return stmt


def _upsert_response(
    session: Session,
    attempt_id: int,
    slot: int,
    version_id: int,
    answer: Any,
    seq: int | None,
    now: datetime,
) -> SaveResult:
    dialect = session.get_bind().dialect.name
    blank = is_blank_answer(answer)
    current = None
    if seq is None or blank:  # the stored row matters only for these two cases
        current = session.scalar(
            select(Response.client_seq).where(
                Response.attempt_id == attempt_id, Response.slot == slot
            )
        )
        if current is None and blank:
            return SaveResult(slot, True, seq or 0, now)  # nothing to keep: no answer, none before
    if seq is None:
        seq = (current or 0) + 1
    row = {
        "attempt_id": attempt_id,
        "slot": slot,
        "version_id": version_id,
        "answer": answer,
        "client_seq": seq,
        "saved_at": now,
    }
    applied = session.execute(_upsert_statement(dialect), row).first() is not None
    session.expire_all()
    return SaveResult(slot, applied, seq, now)


def submit_attempt(
    session: Session, attempt: Attempt, by: str = "student", now: datetime | None = None
) -> Attempt:
    """Grade and close an attempt. Submitting again returns the graded attempt unchanged."""
    now = now or utcnow()
    locked = _lock(session, Attempt, attempt.id)
    if locked.state == "submitted":
        return locked
    versions = versions_for(session, locked)
    responses = {
        r.slot: r for r in session.scalars(select(Response).where(Response.attempt_id == locked.id))
    }
    total = maximum = 0.0
    for entry in locked.layout:
        version = versions[entry["version_id"]]
        response = responses.get(entry["slot"])
        if response is None:
            response = Response(
                attempt_id=locked.id,
                slot=entry["slot"],
                version_id=version.id,
                answer=None,
                client_seq=0,
                saved_at=now,
            )
            session.add(response)
        grade = get_type(version.qtype).grade(version.body, response.answer)
        points = entry["points"]
        response.fraction = round(grade.fraction, 6)
        response.score = round(grade.fraction * points, 6)
        response.max_score = points
        response.detail = grade.detail
        total += response.score
        maximum += points
    locked.score = round(total, 4)
    locked.max_score = round(maximum, 4)
    locked.state = "submitted"
    locked.submitted_at = now
    locked.submitted_by = by
    session.flush()
    return locked


def finalise_if_expired(
    session: Session, attempt: Attempt, now: datetime | None = None, grace_seconds: int = 30
) -> bool:
    """Submit an attempt whose deadline and grace period have passed, with what was saved."""
    now = now or utcnow()
    if (
        attempt.state == "in_progress"
        and attempt.deadline_at
        and now > attempt.deadline_at + grace(grace_seconds)
    ):
        submit_attempt(session, attempt, by="timer", now=now)
        return True
    return False


def finalise_expired_attempts(
    session: Session, now: datetime | None = None, grace_seconds: int = 30, limit: int = 500
) -> int:
    """Submit every attempt whose time is up (the sweeper calls this; so do pages that list attempts)."""
    now = now or utcnow()
    cutoff = now - grace(grace_seconds)
    ids = list(
        session.scalars(
            select(Attempt.id)
            .where(
                Attempt.state == "in_progress",
                Attempt.deadline_at.is_not(None),
                Attempt.deadline_at < cutoff,
            )
            .limit(limit)
        )
    )
    for attempt_id in ids:
        attempt = session.get(Attempt, attempt_id)
        submit_attempt(session, attempt, by="timer", now=now)
    return len(ids)


def set_current_page(session: Session, attempt: Attempt, page: int) -> None:
    """Remember the page the student is on, to resume there."""
    session.execute(update(Attempt).where(Attempt.id == attempt.id).values(current_page=page))
