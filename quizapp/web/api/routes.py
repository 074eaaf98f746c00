"""JSON API: the quiz page's autosave, and the same operations for scripts.

Requests carry the session cookie and the CSRF token in the ``X-CSRFToken`` header. Errors
are JSON: ``{"error": {"status", "title", "message", "code"}}``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from quizapp.database import begin_write_phase
from quizapp.extensions import db
from quizapp.models import Response
from quizapp.questions import get_type
from quizapp.quizzes import attempts as attempt_service
from quizapp.web.access import attempt_for_student
from quizapp.web.security import student_required

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(error: attempt_service.AttemptError):
    db.session.rollback()
    body = {
        "error": {
            "status": error.status,
            "title": "Not saved",
            "message": error.message,
            "code": error.code,
        }
    }
    return jsonify(body), error.status


def _fields(payload: dict) -> MultiDict:
    """Form-style fields sent by the page script: {name: value or [values]}."""
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        raise attempt_service.AttemptError(
            "invalid_answer", "'fields' must be an object.", status=400
        )
    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise attempt_service.AttemptError(
                    "invalid_answer", "Field values must be texts.", status=400
                )
            pairs.append((str(name), str(item)))
    return MultiDict(pairs)


@bp.route("/attempts/<public_id>")
@student_required
def attempt_state(public_id: str):
    """The attempt's state, deadline and saved answers (never a correct answer)."""
    attempt = attempt_for_student(public_id)
    answers = {
        r.slot: {"answer": r.answer, "seq": r.client_seq, "saved_at": r.saved_at.isoformat()}
        for r in attempt.responses
    }
    return jsonify(
        {
            "id": attempt.public_id,
            "state": attempt.state,
            "student": current_user.display_name,
            "deadline": attempt.deadline_at.isoformat() if attempt.deadline_at else None,
            "slots": [e["slot"] for e in attempt.layout],
            "answers": answers,
        }
    )


@bp.route("/attempts/<public_id>/answers", methods=["POST"])
@student_required
def save_answer(public_id: str):
    """Save one answer: ``{"slot": 3, "answer": ..., "seq": 7}`` or ``{"slot", "fields", "seq"}``."""
    attempt = attempt_for_student(public_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _error(attempt_service.AttemptError("bad_json", "Send a JSON object.", status=400))
    slot, seq = payload.get("slot"), payload.get("seq")
    if not isinstance(slot, int) or isinstance(slot, bool):
        return _error(
            attempt_service.AttemptError(
                "no_such_question", "'slot' must be a question number.", status=400
            )
        )
    try:
        if attempt_service.finalise_if_expired(
            db.session, attempt, grace_seconds=current_app.config["ATTEMPT_GRACE_SECONDS"]
        ):
            db.session.commit()
            raise attempt_service.AttemptError(
                "time_up", "Time is up: your saved answers were submitted.", status=403
            )
        answer = payload.get("answer")
        if "fields" in payload:
            entry = next((e for e in attempt.layout if e["slot"] == slot), None)
            if entry is None:
                raise attempt_service.AttemptError(
                    "no_such_question", "There is no such question in this attempt.", status=400
                )
            version = attempt_service.versions_for(db.session, attempt)[entry["version_id"]]
            answer = get_type(version.qtype).parse_form(_fields(payload), f"a{slot}", version.body)
        # One row, not the attempt's every response: this runs on every autosave.
        detail = db.session.scalar(
            select(Response.detail).where(Response.attempt_id == attempt.id, Response.slot == slot)
        )
        if (detail or {}).get("checked"):
            raise attempt_service.AttemptError(
                "checked", "This answer was checked and is final.", status=409
            )
        begin_write_phase(db.session)  # SQLite: take the write lock only for the upsert
        result = attempt_service.save_answer(
            db.session,
            attempt,
            slot,
            answer,
            seq=seq,
            grace_seconds=current_app.config["ATTEMPT_GRACE_SECONDS"],
        )
    except attempt_service.AttemptError as error:
        return _error(error)
    db.session.commit()
    return jsonify(
        {
            "saved": result.applied,
            "slot": slot,
            "seq": result.seq,
            "saved_at": result.saved_at.isoformat(),
            "stale": not result.applied,
        }
    )


@bp.route("/attempts/<public_id>/submit", methods=["POST"])
@student_required
def submit(public_id: str):
    """Submit the attempt (idempotent) and say where its review is."""
    attempt = attempt_for_student(public_id)
    attempt = attempt_service.submit_attempt(db.session, attempt, by="student")
    db.session.commit()
    return jsonify(
        {
            "state": attempt.state,
            "review_url": url_for("student.review", public_id=attempt.public_id),
        }
    )
