"""Privacy services: export everything stored about one learner, erase it, and retention.

After Moodle's privacy API: one place knows every table that holds personal data, so an
export is complete and an erasure leaves nothing behind. Services flush but never commit;
the caller (a view or a CLI command) commits.

Erasure removes who the learner was and what they answered, but keeps the graded numbers
(attempt scores, response fractions, lesson completion) attached to an anonymous placeholder
account, so a class's gradebook averages and item facility stay what they were.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from quizapp.models import (
    Assignment,
    Attempt,
    Enrolment,
    Extension,
    Lesson,
    LessonProgress,
    QuestionVersion,
    Quiz,
    Response,
    SchoolClass,
    SetupToken,
    SignInFailure,
    User,
)
from quizapp.models._types import utcnow
from quizapp.reports.gradebook import safe_cell

EXPORT_FORMAT = "quizapp-learner-export"
EXPORT_VERSION = 1
ERASED_NAME = "Deleted learner"
# Not a werkzeug hash ("method$salt$hash"), so no password ever matches it.
UNUSABLE_PASSWORD = "!erased"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def sign_in_keys(user: User) -> list[str]:
    """What failed sign-ins of this person are recorded under (their sign-in names, lower-case)."""
    return sorted({k.casefold() for k in (user.username, user.email) if k})


def _account(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "role": user.role,
        "display_name": user.display_name,
        "username": user.username,
        "email": user.email,
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
    }


def _enrolments(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Enrolment, SchoolClass, User.display_name)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(User, User.id == SchoolClass.teacher_id)
        .where(Enrolment.student_id == user.id)
        .order_by(Enrolment.id)
    )
    return [
        {
            "class_id": school_class.id,
            "class_name": school_class.name,
            "teacher": teacher_name,
            "joined_at": _iso(enrolment.created_at),
        }
        for enrolment, school_class, teacher_name in rows
    ]


def _extensions(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Extension, Assignment.title)
        .join(Assignment, Assignment.id == Extension.assignment_id)
        .where(Extension.student_id == user.id)
        .order_by(Extension.id)
    )
    return [
        {
            "assignment_id": extension.assignment_id,
            "assignment_title": title,
            "due_at": _iso(extension.due_at),
            "close_at": _iso(extension.close_at),
            "extra_minutes": extension.extra_minutes,
        }
        for extension, title in rows
    ]


def _lesson_progress(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LessonProgress, Lesson.title)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.student_id == user.id)
        .order_by(LessonProgress.id)
    )
    return [
        {
            "lesson_id": progress.lesson_id,
            "lesson_title": title,
            "current_section": progress.current_section + 1,
            "started_at": _iso(progress.started_at),
            "completed_at": _iso(progress.completed_at),
            "updated_at": _iso(progress.updated_at),
            "check_answers": [
                {
                    "question": slug,
                    "answer": (record or {}).get("answer"),
                    "fraction": (record or {}).get("fraction"),
                }
                for slug, record in sorted((progress.check_answers or {}).items())
            ],
        }
        for progress, title in rows
    ]


def _attempts(session: Session, user: User) -> list[dict[str, Any]]:
    attempts = list(
        session.scalars(
            select(Attempt)
            .where(Attempt.student_id == user.id)
            .order_by(Attempt.started_at, Attempt.id)
        )
    )
    if not attempts:
        return []
    responses: dict[int, list[Response]] = {}
    for response in session.scalars(
        select(Response)
        .where(Response.attempt_id.in_([a.id for a in attempts]))
        .order_by(Response.attempt_id, Response.slot)
    ):
        responses.setdefault(response.attempt_id, []).append(response)
    version_ids = {r.version_id for rs in responses.values() for r in rs}
    prompts = (
        dict(
            session.execute(
                select(QuestionVersion.id, QuestionVersion.prompt).where(
                    QuestionVersion.id.in_(version_ids)
                )
            ).all()
        )
        if version_ids
        else {}
    )
    quiz_titles = dict(
        session.execute(
            select(Quiz.id, Quiz.title).where(Quiz.id.in_({a.quiz_id for a in attempts}))
        ).all()
    )
    assignment_ids = {a.assignment_id for a in attempts if a.assignment_id}
    assignments = (
        {
            a_id: (title, class_name)
            for a_id, title, class_name in session.execute(
                select(Assignment.id, Assignment.title, SchoolClass.name)
                .join(SchoolClass, SchoolClass.id == Assignment.class_id)
                .where(Assignment.id.in_(assignment_ids))
            )
        }
        if assignment_ids
        else {}
    )
    result = []
    for attempt in attempts:
        title, class_name = assignments.get(attempt.assignment_id, (None, None))
        result.append(
            {
                "id": attempt.public_id,
                "quiz_id": attempt.quiz_id,
                "quiz_title": quiz_titles.get(attempt.quiz_id),
                "assignment_id": attempt.assignment_id,
                "assignment_title": title,
                "class_name": class_name,
                "is_practice": attempt.is_practice,
                "number": attempt.number,
                "state": attempt.state,
                "started_at": _iso(attempt.started_at),
                "deadline_at": _iso(attempt.deadline_at),
                "submitted_at": _iso(attempt.submitted_at),
                "submitted_by": attempt.submitted_by,
                "score": attempt.score,
                "max_score": attempt.max_score,
                "responses": [
                    {
                        "slot": r.slot,
                        "question_prompt": prompts.get(r.version_id),
                        "answer": r.answer,
                        "saved_at": _iso(r.saved_at),
                        "score": r.score,
                        "max_score": r.max_score,
                        "fraction": r.fraction,
                    }
                    for r in responses.get(attempt.id, [])
                ],
            }
        )
    return result


def _sign_in_failures(session: Session, user: User) -> list[dict[str, Any]]:
    keys = sign_in_keys(user)
    if not keys:
        return []
    rows = session.scalars(
        select(SignInFailure)
        .where(SignInFailure.account_key.in_(keys))
        .order_by(SignInFailure.failed_at)
    )
    return [
        {"sign_in_name": r.account_key, "address": r.remote_addr, "failed_at": _iso(r.failed_at)}
        for r in rows
    ]


def _setup_tokens(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SetupToken).where(SetupToken.user_id == user.id).order_by(SetupToken.id)
    )
    return [{"expires_at": _iso(r.expires_at), "used_at": _iso(r.used_at)} for r in rows]


def _review_quizzes(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Quiz).where(Quiz.owner_id == user.id, Quiz.kind == "review").order_by(Quiz.id)
    )
    return [
        {
            "quiz_id": q.id,
            "title": q.title,
            "created_at": _iso(q.created_at),
            "questions": len(q.items),
        }
        for q in rows
    ]


def export_learner(session: Session, user: User) -> dict[str, Any]:
    """Everything stored about one learner, as JSON-ready data (never the password hash)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _iso(utcnow()),
        "account": _account(user),
        "enrolments": _enrolments(session, user),
        "extensions": _extensions(session, user),
        "lesson_progress": _lesson_progress(session, user),
        "attempts": _attempts(session, user),
        "review_quizzes": _review_quizzes(session, user),
        "sign_in_failures": _sign_in_failures(session, user),
        "setup_links": _setup_tokens(session, user),
    }


def export_json(session: Session, user: User) -> bytes:
    """The export as indented UTF-8 JSON."""
    return json.dumps(export_learner(session, user), ensure_ascii=False, indent=2).encode()


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return safe_cell(value)


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # A byte-order mark so that spreadsheet programs read the names as UTF-8.
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def _table(records: list[dict[str, Any]], header: list[str]) -> bytes:
    return _csv(header, [[r.get(h) for h in header] for r in records])


def export_csv_zip(session: Session, user: User) -> bytes:
    """The export as a zip of CSV files (UTF-8 with BOM), one per kind of record."""
    data = export_learner(session, user)
    responses = [{"attempt": a["id"], **r} for a in data["attempts"] for r in a["responses"]]
    checks = [
        {"lesson_id": p["lesson_id"], "lesson_title": p["lesson_title"], **c}
        for p in data["lesson_progress"]
        for c in p["check_answers"]
    ]
    attempt_header = [
        k for k in (data["attempts"][0] if data["attempts"] else {}) if k != "responses"
    ]
    files = {
        "account.csv": _table([data["account"]], list(data["account"])),
        "enrolments.csv": _table(
            data["enrolments"], ["class_id", "class_name", "teacher", "joined_at"]
        ),
        "extensions.csv": _table(
            data["extensions"],
            ["assignment_id", "assignment_title", "due_at", "close_at", "extra_minutes"],
        ),
        "lesson_progress.csv": _table(
            data["lesson_progress"],
            [
                "lesson_id",
                "lesson_title",
                "current_section",
                "started_at",
                "completed_at",
                "updated_at",
            ],
        ),
        "lesson_checks.csv": _table(
            checks, ["lesson_id", "lesson_title", "question", "answer", "fraction"]
        ),
        "attempts.csv": _table(
            data["attempts"],
            attempt_header
            or [
                "id",
                "quiz_id",
                "quiz_title",
                "assignment_id",
                "assignment_title",
                "class_name",
                "is_practice",
                "number",
                "state",
                "started_at",
                "deadline_at",
                "submitted_at",
                "submitted_by",
                "score",
                "max_score",
            ],
        ),
        "responses.csv": _table(
            responses,
            [
                "attempt",
                "slot",
                "question_prompt",
                "answer",
                "saved_at",
                "score",
                "max_score",
                "fraction",
            ],
        ),
        "review_quizzes.csv": _table(
            data["review_quizzes"], ["quiz_id", "title", "created_at", "questions"]
        ),
        "sign_in_failures.csv": _table(
            data["sign_in_failures"], ["sign_in_name", "address", "failed_at"]
        ),
        "setup_links.csv": _table(data["setup_links"], ["expires_at", "used_at"]),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure changed."""

    user_id: int
    answers_cleared: int
    lesson_checks_cleared: int
    sign_in_failures_deleted: int
    setup_links_deleted: int

    def summary(self) -> str:
        """One line for people."""
        return (
            f"Learner #{self.user_id} erased: {self.answers_cleared} answer(s) and "
            f"{self.lesson_checks_cleared} lesson check answer(s) cleared, "
            f"{self.sign_in_failures_deleted} failed sign-in record(s) and "
            f"{self.setup_links_deleted} setup link(s) deleted; scores kept anonymously."
        )


def is_erased(user: User) -> bool:
    """Whether this account is an erased learner's placeholder."""
    return user.password_hash == UNUSABLE_PASSWORD and not user.is_active


def erase_learner(session: Session, user: User) -> ErasureReport:
    """Remove a learner's identity and answers; keep their scores anonymously.

    The account stays as a placeholder named "Deleted learner" (random sign-in name, no email,
    unusable password, deactivated, every session ended) with its enrolments, so the class's
    gradebook averages and item facility do not change. Answers and grading details are set to
    null; failed sign-ins and setup links are deleted.
    """
    if user.role != "student":
        raise ValueError("only learners (student accounts) are erased this way")
    keys = sign_in_keys(user)
    failures = 0
    if keys:
        failures = (
            session.execute(
                delete(SignInFailure).where(SignInFailure.account_key.in_(keys))
            ).rowcount
            or 0
        )
    tokens = session.execute(delete(SetupToken).where(SetupToken.user_id == user.id)).rowcount or 0
    attempt_ids = select(Attempt.id).where(Attempt.student_id == user.id).scalar_subquery()
    answers = 0
    for response in session.scalars(select(Response).where(Response.attempt_id.in_(attempt_ids))):
        if response.answer is not None:
            answers += 1
        # The column is NOT NULL: JSON null is how "no answer" is stored everywhere.
        response.answer = None
        response.detail = None
    checks = 0
    for progress in session.scalars(
        select(LessonProgress).where(LessonProgress.student_id == user.id)
    ):
        cleared = {}
        for slug, record in (progress.check_answers or {}).items():
            record = dict(record or {})
            if record.get("answer") is not None:
                checks += 1
            record["answer"] = None
            cleared[slug] = record
        progress.check_answers = cleared  # reassign: JSON columns track assignment
    user.display_name = ERASED_NAME
    user.username = f"deleted-{secrets.token_hex(8)}"
    user.email = None
    user.password_hash = UNUSABLE_PASSWORD
    user.is_active = False
    user.must_change_password = False
    user.last_login_at = None
    user.session_generation += 1
    session.flush()
    return ErasureReport(user.id, answers, checks, failures, tokens)


@dataclass(frozen=True)
class PurgeReport:
    """What a retention purge removed."""

    attempts: int
    responses: int
    review_quizzes: int

    def summary(self) -> str:
        """One line for people."""
        return (
            f"Deleted {self.attempts} attempt(s) with {self.responses} answer(s) "
            f"and {self.review_quizzes} unused review quiz(zes)."
        )


def old_attempts_query(older_than: datetime):
    """Attempts past retention: submitted before the cutoff, or started before it and never
    submitted (abandoned)."""
    return select(Attempt.id).where(
        or_(
            (Attempt.state == "submitted") & (Attempt.submitted_at < older_than),
            (Attempt.state != "submitted") & (Attempt.started_at < older_than),
        )
    )


def purge_old_attempts(
    session: Session, older_than: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Delete attempts (with their answers) that ended before ``older_than``.

    Deleting, not anonymising: the retention period is how long results are kept at all, so the
    gradebook and item analysis afterwards reflect only newer work. Review quizzes students made
    for themselves are deleted once no attempt uses them.
    """
    ids = list(session.scalars(old_attempts_query(older_than)))
    responses = 0
    if ids:
        responses = (
            session.scalar(
                select(func.count()).select_from(Response).where(Response.attempt_id.in_(ids))
            )
            or 0
        )
    orphan_reviews = select(Quiz).where(
        Quiz.kind == "review",
        Quiz.created_at < older_than,
        ~select(Attempt.id)
        .where(Attempt.quiz_id == Quiz.id, Attempt.id.not_in(ids or [-1]))
        .exists(),
    )
    reviews = list(session.scalars(orphan_reviews))
    if dry_run:
        return PurgeReport(len(ids), responses, len(reviews))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(Response).where(Response.attempt_id.in_(chunk)))
        session.execute(delete(Attempt).where(Attempt.id.in_(chunk)))
    for quiz in reviews:
        session.delete(quiz)
    session.flush()
    return PurgeReport(len(ids), responses, len(reviews))


def find_learners(session: Session, query: str, limit: int = 50) -> list[User]:
    """Student accounts whose name or sign-in name contains ``query`` (case-insensitive)."""
    query = query.strip().casefold()
    if not query:
        return []
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        session.scalars(
            select(User)
            .where(
                User.role == "student",
                or_(
                    func.lower(User.display_name).like(pattern, escape="\\"),
                    func.lower(User.username).like(pattern, escape="\\"),
                ),
            )
            .order_by(func.lower(User.display_name), User.id)
            .limit(limit)
        )
    )


def learner_summary(session: Session, user: User) -> dict[str, int]:
    """How much is stored about a learner, for the admin page."""

    def count(stmt) -> int:
        return session.scalar(stmt) or 0

    attempt_ids = select(Attempt.id).where(Attempt.student_id == user.id).scalar_subquery()
    return {
        "classes": count(select(func.count()).where(Enrolment.student_id == user.id)),
        "attempts": count(select(func.count()).where(Attempt.student_id == user.id)),
        "answers": sum(
            answer is not None
            for answer in session.scalars(
                select(Response.answer).where(Response.attempt_id.in_(attempt_ids))
            )
        ),
        "lessons": count(select(func.count()).where(LessonProgress.student_id == user.id)),
    }
