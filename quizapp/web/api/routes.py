"""JSON API: the quiz page's autosave, and the same operations for scripts.

Requests carry the session cookie and the CSRF token in the ``X-CSRFToken`` header. Errors
are JSON: ``{"error": {"status", "title", "message", "code"}}``.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from quizapp.database import autocommit_connection
from quizapp.extensions import db
from quizapp.questions import get_type
from quizapp.quizzes import attempts as attempt_service
from quizapp.web.access import (
    attempt_for_student,
    own_attempt_for_autosave,
    own_attempt_with_answers,
)
from quizapp.web.security import request_json, session_sign_in, student_required

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
def save_answer(public_id: str):
    """Save one answer: ``{"slot": 3, "answer": ..., "seq": 7}`` or ``{"slot", "fields", "seq"}``.

    Every student sends this every few seconds, so it is built for speed, on a connection where
    each statement commits by itself. Once this server has seen the attempt, a save is one
    statement that checks the sign-in, the attempt and the deadline as it writes
    (``attempts.quick_save``). Otherwise — and whenever that statement does not simply store
    the answer — one query reads the attempt and checks the sign-in
    (``own_attempt_for_autosave``) and one statement writes (``attempts.save_answer``);
    anything unusual (not signed in, not a student, not their attempt, time up) takes the
    ordinary path with the same rules as every other route.
    """
    payload = request_json()
    with autocommit_connection() as connection:
        result = quick_save_payload(connection, public_id, session_sign_in(), payload)
        if result is None:
            try:
                result = _save_the_long_way(connection, public_id, payload)
            except attempt_service.AttemptError as error:
                return _error(error)
    return _saved(result)


def quick_save_payload(
    connection, public_id: str, sign_in: tuple[int, int] | None, payload
) -> attempt_service.SaveResult | None:
    """``attempts.quick_save`` for a request's JSON payload; None: take the long way. An
    attempt this server has not seen yet is read first (one query that checks the session's
    sign-in) and its layout kept: it never changes, and the save's one statement checks the
    owner, the state and the deadline itself."""
    if sign_in is None or not isinstance(payload, dict) or "fields" in payload:
        return None
    if attempt_service.known_layout(public_id) is None:
        target = own_attempt_for_autosave(connection, public_id, sign_in=sign_in)
        if target is None:
            return None
        attempt_service.remember_layout(public_id, target.id, target.layout)
    return attempt_service.quick_save(
        connection,
        public_id,
        sign_in,
        payload.get("slot"),
        payload.get("answer"),
        payload.get("seq"),
        current_app.config["ATTEMPT_GRACE_SECONDS"],
    )


def _save_the_long_way(connection, public_id: str, payload) -> attempt_service.SaveResult:
    """Read the attempt (checking the sign-in), then every rule in turn, then write."""
    slot = payload.get("slot") if isinstance(payload, dict) else None
    valid_slot = isinstance(slot, int) and not isinstance(slot, bool)
    target = _own_attempt(connection, public_id, slot if valid_slot else 0)
    if not isinstance(payload, dict):
        raise attempt_service.AttemptError("bad_json", "Send a JSON object.", status=400)
    if not valid_slot:
        raise attempt_service.AttemptError(
            "no_such_question", "'slot' must be a question number.", status=400
        )
    grace_seconds = current_app.config["ATTEMPT_GRACE_SECONDS"]
    if attempt_service.past_grace(target.state, target.deadline_at, grace_seconds):
        _finalise_expired(public_id, grace_seconds)
    answer = payload.get("answer")
    if "fields" in payload:
        answer = _answer_from_fields(connection, target, slot, _fields(payload))
    if target.slot_checked:
        raise attempt_service.AttemptError(
            "checked", "This answer was checked and is final.", status=409
        )
    result = attempt_service.save_answer(
        connection, target, slot, answer, seq=payload.get("seq"), grace_seconds=grace_seconds
    )
    attempt_service.remember_layout(public_id, target.id, target.layout)
    return result


def saved_body(result: attempt_service.SaveResult) -> dict:
    """The answer to a save (also sent by ``fast_path``)."""
    return {
        "saved": result.applied,
        "slot": result.slot,
        "seq": result.seq,
        "saved_at": result.saved_at.isoformat(),
        "stale": not result.applied,
    }


def submitted_body(review_url: str) -> dict:
    """The answer to a submission, new or repeated (also sent by ``fast_path``)."""
    return {"state": "submitted", "review_url": review_url}


def quick_submit(public_id: str, sign_in: tuple[int, int]) -> bool:
    """The API submission as the view makes it, for ``fast_path`` (the session's claim read
    already, no request context): True when submitted, now or before; False, with nothing
    written, when the read finds nothing (the view's checks then answer). Once this server has
    kept the attempt's layout, the attempt and its answers are one query."""
    known = attempt_service.known_layout(public_id)  # kept by this student's autosaves

    def read(connection):
        if known is None:
            return own_attempt_for_autosave(connection, public_id, sign_in=sign_in)
        return own_attempt_with_answers(connection, public_id, known, sign_in)

    return attempt_service.submit_as_read(read, by="student")


def _saved(result: attempt_service.SaveResult):
    return jsonify(saved_body(result))


def _own_attempt(connection, public_id: str, slot: int = 0) -> attempt_service.AutosaveTarget:
    """The student's own attempt in the one query that checks the sign-in; when it finds
    nothing, the usual checks answer 401, 403 or 404."""
    target = own_attempt_for_autosave(connection, public_id, slot)
    if target is None:
        _require_own_attempt(public_id)  # 401, 403 or 404, as on every student route
        target = own_attempt_for_autosave(connection, public_id, slot)
        if target is None:  # signed out or deleted this very moment
            abort(404)
    return target


@student_required
def _require_own_attempt(public_id: str) -> None:
    attempt_for_student(public_id)


def _finalise_expired(public_id: str, grace_seconds: int) -> None:
    """Submit an attempt whose time and grace are up (the sweeper may be a few seconds behind)
    and refuse the save."""
    attempt = attempt_for_student(public_id)
    if attempt_service.finalise_if_expired(db.session, attempt, grace_seconds=grace_seconds):
        db.session.commit()
    raise attempt_service.AttemptError(
        "time_up", "Time is up: your saved answers were submitted.", status=403
    )


def _answer_from_fields(connection, target, slot: int, fields: MultiDict):
    """The answer in a form's fields (scripts that post what the page's form would)."""
    entry = next((e for e in target.layout if e["slot"] == slot), None)
    if entry is None:
        raise attempt_service.AttemptError(
            "no_such_question", "There is no such question in this attempt.", status=400
        )
    qtype, body = attempt_service.version_essentials(connection, entry["version_id"])
    return get_type(qtype).parse_form(fields, f"a{slot}", body)


@bp.route("/attempts/<public_id>/submit", methods=["POST"])
def submit(public_id: str):
    """Submit the attempt (idempotent) and say where its review is.

    A whole class submits within the same minute, so, as for the autosave, the attempt is read
    in one query that also checks the session's sign-in (``own_attempt_for_autosave``, no user
    loaded); when that finds nothing, the usual checks answer 401, 403 or 404.
    """
    attempt_service.submit_as_read(lambda connection: _own_attempt(connection, public_id))
    # Submitted now or before: either way the answer is the same (and the attempt, expired by
    # the submission, is not read again for it).
    return jsonify(submitted_body(url_for("student.review", public_id=public_id)))
