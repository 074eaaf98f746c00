"""The attempt lifecycle: start, save an answer, submit, and finalise expired attempts.

Services take the session and return results; the caller commits. Every write to an attempt
first locks the attempt's row (PostgreSQL ``FOR UPDATE``, or the conditional ``UPDATE`` that
closes it; SQLite write transactions start with ``BEGIN IMMEDIATE``, see ``quizapp.database``),
so a double click, two tabs or a replayed request grade an attempt once and never lose a newer
answer.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, and_, bindparam, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quizapp.caching import remember
from quizapp.database import (
    CursorStatement,
    autocommit_connection,
    begin_write_phase,
)
from quizapp.models import (
    Assignment,
    Attempt,
    Extension,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    Response,
    User,
)
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


def quiz_questions(session: Session, quiz_id: int) -> list[Any]:
    """The quiz's questions in order, as (points, version_id, version_points) rows: each
    question's current version, retired questions and questions without one left out. One
    query, whatever the number of questions (a whole class starts at once)."""
    return session.execute(
        select(
            QuizItem.points,
            QuestionVersion.id.label("version_id"),
            QuestionVersion.points.label("version_points"),
        )
        .join(Question, Question.id == QuizItem.question_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuizItem.quiz_id == quiz_id, Question.retired.is_(False))
        .order_by(QuizItem.position, QuizItem.id)
    ).all()


def build_layout(questions: list[Any], rules: Rules, seed: int) -> list[dict[str, Any]]:
    """Pin each slot to its question's current version (``quiz_questions``); record shuffles."""
    rng = random.Random(seed)
    questions = list(questions)
    if rules.shuffle_questions:
        rng.shuffle(questions)
    layout = []
    for slot, question in enumerate(questions, start=1):
        points = question.points if question.points is not None else question.version_points
        layout.append(
            {
                "slot": slot,
                "version_id": question.version_id,
                "points": float(points),
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
    """Resume the student's attempt in progress, or start a new one if the rules allow it.

    What needs no lock comes first (the rules, the question order); then the student's row is
    locked — one start at a time per student (two tabs, double click) — and the checks that
    decide are made again under the lock before the attempt is written.
    """
    now = now or utcnow()
    practice = assignment is None
    quiz_id, student_id = quiz.id, student.id
    assignment_id = assignment.id if assignment else None
    existing = open_attempt(session, quiz_id, student_id, assignment_id, practice)
    if existing is not None and not past_grace(existing.state, existing.deadline_at, 0, now):
        return existing  # resuming an attempt in progress writes nothing
    rules = student_rules(session, assignment, student)
    if not rules.is_open(now):
        raise AttemptError("not_open", "This quiz is not open for answers now.")
    seed = secrets.randbelow(2**31)
    layout = build_layout(quiz_questions(session, quiz_id), rules, seed)
    if not layout:
        raise AttemptError("empty_quiz", "This quiz has no questions yet.")
    begin_write_phase(session)
    _lock(session, User, student_id)
    existing = open_attempt(session, quiz_id, student_id, assignment_id, practice)
    if existing is not None:
        finalise_if_expired(session, existing, now)
        if existing.state == "in_progress":
            return existing
    used = 0
    if assignment_id is not None:
        used = (
            session.scalar(
                select(func.count())
                .select_from(Attempt)
                .where(
                    Attempt.assignment_id == assignment_id,
                    Attempt.student_id == student_id,
                    Attempt.is_practice.is_(False),
                )
            )
            or 0
        )
        if rules.attempts_allowed and used >= rules.attempts_allowed:
            raise AttemptError(
                "no_attempts_left", "You have used all the attempts allowed for this quiz."
            )
    attempt = Attempt(
        public_id=secrets.token_urlsafe(16),
        quiz_id=quiz_id,
        student_id=student_id,
        assignment_id=assignment_id,
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


def version_essentials(
    executor: Session | Connection, version_id: int
) -> tuple[str, dict[str, Any]]:
    """A question version's type and body, cached per application (see ``versions_essentials``)."""
    return versions_essentials(executor, [version_id])[version_id]


def versions_essentials(
    executor: Session | Connection, version_ids: list[int]
) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each version's type and body: from the per-application cache, the others in one query.

    Versions are immutable, so autosaves and gradings after the first read them from memory.
    The cache lives on the application (a new app, as in each test, starts empty); after
    restoring a backup into a database that a server is using, restart the server.
    """
    cache = _app_cache("quizapp_versions")
    found = {}
    for version_id in version_ids:
        hit = cache.get(version_id)
        if hit is not None:
            found[version_id] = hit
    missing = [version_id for version_id in version_ids if version_id not in found]
    if missing:
        rows = executor.execute(
            select(QuestionVersion.id, QuestionVersion.qtype, QuestionVersion.body).where(
                QuestionVersion.id.in_(missing)
            )
        )
        for row in rows:
            found[row.id] = remember(cache, row.id, (row.qtype, row.body))
    return found


def _app_cache(name: str) -> dict:
    """A per-application cache of immutable rows (a new app, as in each test, starts empty;
    outside an application, a throwaway one)."""
    from flask import current_app, has_app_context

    return current_app.extensions.setdefault(name, {}) if has_app_context() else {}


@dataclass(frozen=True)
class SaveResult:
    """What became of one save: applied, or ignored because a newer answer was already saved."""

    slot: int
    applied: bool
    seq: int
    saved_at: datetime


@dataclass(frozen=True)
class AutosaveTarget:
    """An attempt as an autosave needs it, read in one query (see
    ``quizapp.web.access.own_attempt_for_autosave``): no ORM object on the hot path."""

    id: int
    state: str
    submitted_by: str | None
    deadline_at: datetime | None
    layout: list[dict[str, Any]]
    slot_checked: bool  # the slot's answer was checked (instant feedback) and is final
    # The stored answers by slot, when the submission read them with the attempt
    # (``quizapp.web.access.own_attempt_with_answers``).
    answers: dict[int, StoredAnswer] | None = None


class StoredAnswer(NamedTuple):
    """A slot's stored answer as grading reads it."""

    slot: int
    client_seq: int
    answer: Any


def refuse_closed(state: str, submitted_by: str | None) -> None:
    """Raise the right error for an attempt that no longer takes answers."""
    if state == "in_progress":
        return
    if submitted_by == "timer":
        raise AttemptError("time_up", "Time is up: your saved answers were submitted.", status=403)
    raise AttemptError(
        "submitted", "This attempt has been submitted; answers can no longer change."
    )


def save_answer(
    executor: Session | Connection,
    attempt: Attempt | AutosaveTarget,
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

    ``executor`` is a session (the write joins its transaction; its objects are expired after)
    or a connection (the autosave's, where each statement commits by itself).

    The state and deadline checked here are the caller's reading of the attempt; the write
    itself checks the state again, atomically (see ``_upsert_statement``), so a save racing a
    submission either lands before it (and is graded) or is refused — never written after.
    """
    now = now or utcnow()
    refuse_closed(attempt.state, attempt.submitted_by)
    if not accepts_answers(attempt.deadline_at, now, grace(grace_seconds)):
        raise AttemptError(
            "time_up", "Time is up: answers after the deadline are not accepted.", status=403
        )
    version_id, answer = _read_answer(executor, attempt.layout, slot, raw_answer, versions)
    if seq is not None and not _valid_number(seq):
        raise AttemptError("invalid_seq", "The save's sequence number is not valid.", status=400)
    connection = executor if isinstance(executor, Connection) else executor.connection()
    result = _upsert_response(connection, attempt.id, slot, version_id, answer, seq, now)
    if not isinstance(executor, Connection):
        executor.expire_all()  # the session's objects may hold the row as it was
    return result


def _valid_number(value: Any) -> bool:
    """A slot or sequence number: a positive integer that fits the database's column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _read_answer(
    executor: Session | Connection,
    layout: list[dict[str, Any]],
    slot: int,
    raw_answer: Any,
    versions: dict[int, QuestionVersion] | None = None,
) -> tuple[int, Any]:
    """The slot's question version and the answer in its type's stored form."""
    entry = next((e for e in layout if e["slot"] == slot), None)
    if entry is None:
        raise AttemptError(
            "no_such_question", "There is no such question in this attempt.", status=400
        )
    version_id = entry["version_id"]
    known = (versions or {}).get(version_id)
    qtype_name, body = (
        (known.qtype, known.body) if known else version_essentials(executor, version_id)
    )
    try:
        return version_id, get_type(qtype_name).clean_answer(raw_answer, body)
    except (ValueError, TypeError, AttributeError) as exc:
        raise AttemptError(
            "invalid_answer", f"That answer cannot be read: {exc}", status=400
        ) from None


_UPSERTS: dict[tuple[str, bool], Any] = {}
_UPSERT_COLUMNS = ("attempt_id", "slot", "version_id", "answer", "client_seq", "saved_at")


# The stored answer's "checked" mark (instant feedback makes a checked answer final).
_NOT_CHECKED = {
    "sqlite": "coalesce(json_extract(response.detail, '$.checked'), 0) = 0",
    "postgresql": "(response.detail ->> 'checked') IS DISTINCT FROM 'true'",
}


def _upsert_statement(dialect: str, checks_sign_in: bool = False):
    """One statement that stores a save, built once per dialect and bound per save::

        INSERT INTO response (…) SELECT :values WHERE EXISTS (the attempt is in progress)
        ON CONFLICT (attempt_id, slot) DO UPDATE … WHERE stored seq < new seq

    The state check and the write are one atomic step: SQLite runs it under the write lock;
    PostgreSQL takes a share lock on the attempt row (``FOR SHARE``), so a submission holding
    it ``FOR UPDATE`` is waited for and then seen as submitted. No row changed: the attempt
    closed, or a newer answer is stored (``_upsert_response`` tells which). No RETURNING: on
    SQLite a statement that returns rows keeps its transaction open until they are read.

    ``checks_sign_in``: the autosave's one-statement form (``quick_save``), which also checks
    in the same statement what the request would otherwise read first — the attempt's public id
    and owner, the owner's sign-in (active student, current sign-in generation), the deadline
    (``cutoff`` = now − grace) and that the stored answer is not checked.
    """
    cached = _UPSERTS.get((dialect, checks_sign_in))
    if cached is not None:
        return cached
    table = Response.__table__
    in_progress = select(Attempt.id).where(
        Attempt.id == bindparam("attempt_id"), Attempt.state == "in_progress"
    )
    if checks_sign_in:
        in_progress = in_progress.join(User, User.id == Attempt.student_id).where(
            Attempt.public_id == bindparam("public_id"),
            or_(
                Attempt.deadline_at.is_(None),
                Attempt.deadline_at >= bindparam("cutoff", type_=Attempt.deadline_at.type),
            ),
            User.holds_session_of_student(),
        )
    in_progress = in_progress.with_for_update(read=True, of=Attempt)
    values = select(*(bindparam(name, type_=table.c[name].type) for name in _UPSERT_COLUMNS))
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    excluded = insert.excluded
    update_when = table.c.client_seq < excluded.client_seq
    if checks_sign_in:
        update_when = and_(update_when, text(_NOT_CHECKED[dialect]))
    stmt = insert.from_select(list(_UPSERT_COLUMNS), values.where(in_progress.exists()))
    stmt = stmt.on_conflict_do_update(
        index_elements=["attempt_id", "slot"],
        set_={
            "answer": excluded.answer,
            "client_seq": excluded.client_seq,
            "saved_at": excluded.saved_at,
        },
        where=update_when,
    )
    # rowcount is then read from the cursor on every backend: 1 stored, 0 not (see above).
    stmt = stmt.execution_options(preserve_rowcount=True)
    _UPSERTS[(dialect, checks_sign_in)] = stmt
    return stmt


# The one-statement autosave, compiled once per dialect and run on the cursor.
_QUICK_SAVE = CursorStatement(lambda dialect: _upsert_statement(dialect, checks_sign_in=True))


def remember_layout(public_id: str, attempt_id: int, layout: list[dict[str, Any]]) -> None:
    """Keep an attempt's id and question layout (they never change) for ``quick_save``."""
    remember(_app_cache("quizapp_layouts"), public_id, (attempt_id, layout))


def known_layout(public_id: str) -> tuple[int, list[dict[str, Any]]] | None:
    """The attempt's id and layout if this server has kept them (``remember_layout``)."""
    return _app_cache("quizapp_layouts").get(public_id)


def quick_save(
    connection: Connection,
    public_id: str,
    sign_in: tuple[int, int],
    slot: Any,
    raw_answer: Any,
    seq: Any,
    grace_seconds: int,
) -> SaveResult | None:
    """The autosave in one statement, when this server has seen the attempt before: the answer
    is checked against the remembered layout and stored by ``_upsert_statement(…, True)``,
    which checks everything else itself. None whenever that does not simply succeed (not
    remembered, not this student's, closed, late, checked, stale, a blank or unreadable
    answer): the caller then takes the full path, which says exactly why."""
    known = known_layout(public_id)
    if known is None or not (_valid_number(slot) and _valid_number(seq)):
        return None
    attempt_id, layout = known
    try:
        version_id, answer = _read_answer(connection, layout, slot, raw_answer)
    except AttemptError:
        return None
    if is_blank_answer(answer):
        return None
    now = utcnow()
    row = _response_row(attempt_id, slot, version_id, answer, seq, now) | {
        "public_id": public_id,
        "user_id": sign_in[0],
        "generation": sign_in[1],
        "cutoff": now - grace(grace_seconds),
    }
    if _QUICK_SAVE.rowcount(connection, row) != 1:
        return None
    return SaveResult(slot, True, seq, now)


def _response_row(
    attempt_id: int, slot: int, version_id: int, answer: Any, seq: int, now: datetime
) -> dict[str, Any]:
    """The values of ``_upsert_statement`` for one saved answer."""
    return {
        "attempt_id": attempt_id,
        "slot": slot,
        "version_id": version_id,
        "answer": answer,
        "client_seq": seq,
        "saved_at": now,
    }


def _upsert_response(
    connection: Connection,
    attempt_id: int,
    slot: int,
    version_id: int,
    answer: Any,
    seq: int | None,
    now: datetime,
) -> SaveResult:
    blank = is_blank_answer(answer)
    current = None
    if seq is None or blank:  # the stored row matters only for these two cases
        current = connection.scalar(
            select(Response.client_seq).where(
                Response.attempt_id == attempt_id, Response.slot == slot
            )
        )
        if current is None and blank:
            return SaveResult(slot, True, seq or 0, now)  # nothing to keep: no answer, none before
    if seq is None:
        seq = (current or 0) + 1
    row = _response_row(attempt_id, slot, version_id, answer, seq, now)
    applied = connection.execute(_upsert_statement(connection.dialect.name), row).rowcount == 1
    if not applied:
        # Stale (a newer answer is stored), or the attempt closed since it was read.
        state, submitted_by = connection.execute(
            select(Attempt.state, Attempt.submitted_by).where(Attempt.id == attempt_id)
        ).one()
        refuse_closed(state, submitted_by)
    return SaveResult(slot, applied, seq, now)


@dataclass(frozen=True)
class _Grading:
    """An attempt graded from the responses as read: the rows to write, and what was read."""

    seen: dict[int, int]  # slot → client_seq of each stored response that was graded
    rows: list[dict[str, Any]]  # one per slot: slot, version_id, fraction, score, max_score, detail
    score: float
    max_score: float


_STORED_ANSWERS = CursorStatement(
    lambda dialect: select(Response.slot, Response.client_seq, Response.answer).where(
        Response.attempt_id == bindparam("attempt_id")
    )
)


def _grade(
    connection: Connection, attempt: Attempt | AutosaveTarget, stored: dict[int, Any] | None = None
) -> _Grading:
    # Without the ORM's and Core's per-statement work (a whole class submits at once); on a
    # session's connection, in its transaction. ``stored``: the answers as read already with
    # the attempt, else read here.
    versions = versions_essentials(connection, [entry["version_id"] for entry in attempt.layout])
    if stored is None:
        rows = _STORED_ANSWERS.all(connection, {"attempt_id": attempt.id})
        stored = {row.slot: row for row in rows}
    rows = []
    total = maximum = 0.0
    for entry in attempt.layout:
        qtype, body = versions[entry["version_id"]]
        response = stored.get(entry["slot"])
        grade = get_type(qtype).grade(body, response.answer if response else None)
        points = entry["points"]
        score = round(grade.fraction * points, 6)
        rows.append(
            {
                "slot": entry["slot"],
                "version_id": entry["version_id"],
                "fraction": round(grade.fraction, 6),
                "score": score,
                "max_score": points,
                "detail": grade.detail,
            }
        )
        total += score
        maximum += points
    seen = {slot: row.client_seq for slot, row in stored.items()}
    return _Grading(seen, rows, round(total, 4), round(maximum, 4))


def submit_attempt(
    session: Session,
    attempt: Attempt,
    by: str = "student",
    now: datetime | None = None,
) -> Attempt:
    """Grade and close an attempt. Submitting again returns the graded attempt unchanged.

    The API's submission, which a whole class sends at once, goes through ``submit_as_read``
    instead, on an autocommit connection.

    Grading happens before the write lock is taken (SQLite has one lock for the whole database,
    and a class submits at once, so the lock is held for two statements, not for the grading):

    1. the attempt is closed with its score, if it is still in progress (a second submission,
       a double click or the timer's, stops here: nothing is written). From this statement on
       the answers cannot change: an autosave checks the attempt's state in its own statement
       (SQLite: under the same lock; PostgreSQL: ``FOR SHARE`` waits for this row lock).
    2. every slot's grade is written in one upsert that keeps to the answers graded (the stored
       sequence number must be the graded one; a slot graded blank gets its row).

    If an autosave landed between the grading and step 1, the upsert misses its slot: the
    attempt is then graded again from the answers now frozen and both are written again.
    """
    now = now or utcnow()
    if attempt.state != "in_progress":
        return attempt
    attempt_id = attempt.id  # read now: ending a deferred transaction expires the attempt
    grading = _grade(session.connection(), attempt)
    begin_write_phase(session)
    _close_and_grade(session.connection(), attempt_id, attempt, grading, now, by)
    session.expire_all()
    return attempt


def _close_and_grade(
    connection: Connection,
    attempt_id: int,
    attempt: Attempt | AutosaveTarget,
    grading: _Grading,
    now: datetime,
    by: str,
) -> None:
    """Steps 1 and 2 of ``submit_attempt``, and the grading again if an autosave landed in
    between, in the caller's write transaction."""
    closed = _close(connection, attempt_id, grading, now, by)
    if closed and _write_grades(connection, attempt_id, grading, now) != len(grading.rows):
        grading = _grade(connection, attempt)
        _write_grades(connection, attempt_id, grading, now)
        connection.execute(
            _RESCORE_ATTEMPT,
            {
                "attempt_id": attempt_id,
                "new_score": grading.score,
                "new_max_score": grading.max_score,
            },
        )


def submit_in_write_transaction(
    connection: Connection,
    attempt: AutosaveTarget,
    by: str = "student",
    now: datetime | None = None,
) -> None:
    """SQLite, on an ``autocommit_connection``: ``submit_attempt`` without a session. The
    attempt and its answers were read outside any transaction; the grading runs outside the
    write lock too; then ``BEGIN IMMEDIATE``, the close and the grades, ``COMMIT``."""
    now = now or utcnow()
    if attempt.state != "in_progress":
        return
    grading = _grade(connection, attempt, attempt.answers)
    _BEGIN_IMMEDIATE.rowcount(connection, {})
    try:
        _close_and_grade(connection, attempt.id, attempt, grading, now, by)
    except BaseException:
        _ROLLBACK.rowcount(connection, {})
        raise
    _COMMIT.rowcount(connection, {})


# SQLite's transaction statements, run as the submission's other statements are (straight on
# the cursor: through ``exec_driver_sql`` they cost a tenth of the submission).
_BEGIN_IMMEDIATE = CursorStatement(lambda dialect: text("BEGIN IMMEDIATE"))
_COMMIT = CursorStatement(lambda dialect: text("COMMIT"))
_ROLLBACK = CursorStatement(lambda dialect: text("ROLLBACK"))


_ATTEMPTS = Attempt.__table__
# Built once and bound per submission (a class submits at once: no statement built per call).
_CLOSE_ATTEMPT_STATEMENT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.state == "in_progress")
    .values(
        score=bindparam("new_score"),
        max_score=bindparam("new_max_score"),
        state="submitted",
        submitted_at=bindparam("now", type_=_ATTEMPTS.c.submitted_at.type),
        submitted_by=bindparam("by"),
    )
)
_CLOSE_ATTEMPT = CursorStatement(lambda dialect: _CLOSE_ATTEMPT_STATEMENT)
_RESCORE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(score=bindparam("new_score"), max_score=bindparam("new_max_score"))
)


def _close(
    connection: Connection, attempt_id: int, grading: _Grading, now: datetime, by: str
) -> bool:
    """Close the attempt with its score if it is still in progress; whether it was."""
    values = {
        "attempt_id": attempt_id,
        "new_score": grading.score,
        "new_max_score": grading.max_score,
        "now": now,
        "by": by,
    }
    return _CLOSE_ATTEMPT.rowcount(connection, values) == 1


_SAVED_AT = bindparam("saved_at", type_=Response.__table__.c.saved_at.type)
# SQLite: every slot's grade in one upsert from one JSON parameter (the rows as an array):
#
#     INSERT INTO response (…) SELECT … FROM json_each(:grades)
#     ON CONFLICT (attempt_id, slot) DO UPDATE SET fraction, score, max_score, detail
#     WHERE the stored sequence number is the one graded
#
# A slot graded blank is inserted with sequence number 0 (no save stores 0, so a row that an
# autosave created meanwhile is left alone) and JSON null as its answer, as ``_response_row``
# says; a grade without detail gets JSON null as its detail, as the JSON column stores None.
# rowcount: the rows written. One statement, not one per slot: the write lock is held while
# Python waits for its turn between statements. One JSON parameter, not seven per slot: binding
# 140 parameters through their types cost a fifth of a submission's CPU; Python's json encoder
# writes the array in a few microseconds. (``->`` keeps the detail as JSON text; ``->>`` reads a
# number as a number. "WHERE true" is how SQLite tells an upsert's SELECT from a join.)
_GRADES_FROM_JSON_SQLITE = CursorStatement(
    lambda dialect: text(
        "INSERT INTO response (attempt_id, slot, version_id, answer, client_seq, saved_at, "
        "fraction, score, max_score, detail) "
        "SELECT :attempt_id, g.value ->> 'slot', g.value ->> 'version_id', 'null', "
        "g.value ->> 'client_seq', :saved_at, g.value ->> 'fraction', g.value ->> 'score', "
        "g.value ->> 'max_score', g.value -> 'detail' "
        "FROM json_each(:grades) AS g WHERE true "
        "ON CONFLICT (attempt_id, slot) DO UPDATE SET fraction = excluded.fraction, "
        "score = excluded.score, max_score = excluded.max_score, detail = excluded.detail "
        "WHERE response.client_seq = excluded.client_seq"
    ).bindparams(_SAVED_AT)
)


# PostgreSQL: the same upsert, the rows as one JSON array too, one SQL text for any number of
# slots. psycopg re-parses every statement longer than 4,096 characters on each execution (its
# query cache skips them); a 20-slot VALUES list is longer, and parsing it was a third of a
# submission's CPU. One JSON parameter, not an array per column: Python's json encoder writes it
# in a few microseconds, where psycopg's array adapters cost a tenth of the submission. A slot
# graded blank gets JSON null as its answer, as ``_response_row`` says, and a grade without
# detail JSON null as its detail, as the JSON column stores None.
_GRADES_FROM_JSON_SQL = (
    "INSERT INTO response (attempt_id, slot, version_id, answer, client_seq, saved_at, "
    "fraction, score, max_score, detail) "
    "SELECT :attempt_id, g.slot, g.version_id, 'null'::jsonb, g.client_seq, :saved_at, "
    "g.fraction, g.score, g.max_score, coalesce(g.detail, 'null'::jsonb) "
    "FROM jsonb_to_recordset(CAST(:grades AS jsonb)) "
    "AS g(slot integer, version_id integer, client_seq integer, fraction double precision, "
    "score double precision, max_score double precision, detail jsonb) {only_if} "
    "ON CONFLICT (attempt_id, slot) DO UPDATE SET fraction = excluded.fraction, "
    "score = excluded.score, max_score = excluded.max_score, detail = excluded.detail "
    "WHERE response.client_seq = excluded.client_seq"
)
_GRADES_FROM_JSON = CursorStatement(
    lambda dialect: text(_GRADES_FROM_JSON_SQL.format(only_if="")).bindparams(_SAVED_AT)
)


def _with_grades(change_attempt: str):
    """PostgreSQL: ``change_attempt`` (an UPDATE of the attempt … RETURNING id) and the grades
    upsert in one statement, the grades written only if the attempt row was changed; its one
    row says how many attempts were changed and how many grades written."""
    sql = (
        f"WITH changed AS ({change_attempt}), graded AS ("
        + _GRADES_FROM_JSON_SQL.format(only_if="WHERE EXISTS (SELECT 1 FROM changed)")
        + " RETURNING 1) SELECT (SELECT count(*) FROM changed) AS changed, "
        "(SELECT count(*) FROM graded) AS graded"
    )
    return CursorStatement(
        lambda dialect: (
            text(sql)
            .bindparams(_SAVED_AT, bindparam("now", type_=_ATTEMPTS.c.submitted_at.type))
            .columns(changed=Integer, graded=Integer)
        )
    )


# PostgreSQL's submission in one statement: closed if still in progress, and graded.
_CLOSE_AND_GRADE = _with_grades(
    "UPDATE attempt SET score = :new_score, max_score = :new_max_score, state = 'submitted', "
    "submitted_at = :now, submitted_by = :by WHERE id = :attempt_id AND state = 'in_progress' "
    "RETURNING id"
)
# … and graded again from the answers as frozen by the close (see ``submit_in_one_statement``).
_RESCORE_AND_GRADE = _with_grades(
    "UPDATE attempt SET score = :new_score, max_score = :new_max_score "
    "WHERE id = :attempt_id AND state = 'submitted' AND submitted_at = :now RETURNING id"
)


def _grades_parameters(attempt_id: int, grading: _Grading, now: datetime) -> dict[str, Any]:
    """The parameters of the grades upsert: the rows as one JSON array."""
    seen = grading.seen
    rows = [row | {"client_seq": seen.get(row["slot"], 0)} for row in grading.rows]
    return {"attempt_id": attempt_id, "saved_at": now, "grades": json.dumps(rows)}


def submit_as_read(
    read: Callable[[Connection], AutosaveTarget | None], by: str = "student"
) -> bool:
    """Submit the attempt that ``read(connection)`` returns (the API's submission, read in one
    query) on an ``autocommit_connection``: on PostgreSQL in three round trips
    (``submit_in_one_statement``), on SQLite in one write transaction after the grading
    (``submit_in_write_transaction``). False, with nothing written, when ``read`` returns
    None."""
    with autocommit_connection() as connection:
        attempt = read(connection)
        if attempt is None:
            return False
        if connection.dialect.name == "postgresql":
            submit_in_one_statement(connection, attempt, by=by)
        else:
            submit_in_write_transaction(connection, attempt, by=by)
    return True


def submit_in_one_statement(
    connection: Connection,
    attempt: AutosaveTarget,
    by: str = "student",
    now: datetime | None = None,
) -> None:
    """PostgreSQL, on an ``autocommit_connection``: ``submit_attempt`` in three round trips
    instead of six (no BEGIN, no COMMIT; the close and the grades are one statement, atomic by
    itself). The same steps and guards: grading before the close; the close only if the
    attempt is in progress (the row lock makes an autosave wait and then see it closed); the
    grades only for the answers graded. An autosave that landed between the grading and the
    close is seen as a grade not written: the attempt is graded again from the answers the close
    froze, and its score and grades rewritten in one statement."""
    now = now or utcnow()
    if attempt.state != "in_progress":
        return
    grading = _grade(connection, attempt, attempt.answers)
    outcome = _CLOSE_AND_GRADE.first(
        connection,
        _grades_parameters(attempt.id, grading, now)
        | {"new_score": grading.score, "new_max_score": grading.max_score, "now": now, "by": by},
    )
    if outcome.changed and outcome.graded != len(grading.rows):
        grading = _grade(connection, attempt)
        _RESCORE_AND_GRADE.first(
            connection,
            _grades_parameters(attempt.id, grading, now)
            | {"new_score": grading.score, "new_max_score": grading.max_score, "now": now},
        )


def _write_grades(connection: Connection, attempt_id: int, grading: _Grading, now: datetime) -> int:
    """Every slot's grade onto its stored response (a row for a slot left blank), if the stored
    answer is the one graded; returns the number of rows written."""
    if not grading.rows:
        return 0
    upsert = (
        _GRADES_FROM_JSON if connection.dialect.name == "postgresql" else _GRADES_FROM_JSON_SQLITE
    )
    return upsert.rowcount(connection, _grades_parameters(attempt_id, grading, now))


def past_grace(
    state: str, deadline_at: datetime | None, grace_seconds: int, now: datetime | None = None
) -> bool:
    """An attempt still open although its deadline and grace period have passed."""
    return (
        state == "in_progress"
        and deadline_at is not None
        and (now or utcnow()) > deadline_at + grace(grace_seconds)
    )


def finalise_if_expired(
    session: Session, attempt: Attempt, now: datetime | None = None, grace_seconds: int = 30
) -> bool:
    """Submit an attempt whose deadline and grace period have passed, with what was saved."""
    now = now or utcnow()
    if past_grace(attempt.state, attempt.deadline_at, grace_seconds, now):
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
