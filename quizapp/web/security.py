"""Sign-in plumbing, idle timeout, role checks and security headers for every response."""

from __future__ import annotations

import json
import math
import time
from functools import wraps

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from quizapp.extensions import db, login_manager
from quizapp.signatures import FORM_MIMETYPES

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def parse_sign_in(token: str | None) -> tuple[int, int] | None:
    """(user id, sign-in generation) from a session's user token ``"<id>:<generation>"``."""
    try:
        user_id, generation = (int(part) for part in (token or "").split(":", 1))
    except ValueError:
        return None
    return user_id, generation


def session_sign_in() -> tuple[int, int] | None:
    """The sign-in this request's session claims, not yet checked against the database."""
    return parse_sign_in(session.get("_user_id"))


@login_manager.user_loader
def load_user(token: str):
    """Load the user of a session; a session from before sign-out or a password change is void."""
    from quizapp.models import User

    sign_in = parse_sign_in(token)
    if sign_in is None:
        return None
    user_id, generation = sign_in
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_generation != generation:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """API clients get a JSON 401; people are sent to sign in and brought back."""
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(
        url_for("auth.login", next=request.full_path if request.query_string else request.path)
    )


login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def role_required(*roles: str):
    """Allow a view only to signed-in users with one of ``roles`` (403 for others)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


staff_required = role_required("teacher", "admin")
student_required = role_required("student")
admin_required = role_required("admin")


_CHECKED_JSON = "quizapp.checked_json"


def request_json():
    """The request's JSON body as the input guard parsed and checked it (None if not JSON)."""
    if _CHECKED_JSON in request.environ:
        return request.environ[_CHECKED_JSON]
    return request.get_json(silent=True)


class UnstorableInput(Exception):
    """A JSON value no database column can keep."""


def _refuse_number(name: str):
    raise UnstorableInput(f"{name} is not a number that can be saved.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnstorableInput("That number is too large to be saved.")
    return value


def _check_json_strings(value) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise UnstorableInput("The request contains a NUL character, which is not allowed.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
            raise UnstorableInput("The request contains text that is not valid Unicode.") from None
    elif isinstance(value, list):
        for item in value:
            _check_json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_strings(key)
            _check_json_strings(item)


def init_app(app: Flask) -> None:
    """Idle timeout before each request; security headers after."""

    @app.before_request
    def enforce_idle_timeout():
        # The session's claim is enough here (no user loaded: the autosave never loads one);
        # whether the claim is still good is checked where the user is used.
        if session_sign_in() is None:
            return None
        now = int(time.time())
        state = idle_state(session.get("last_seen"), now, current_app.config)
        if state == "expired":
            logout_user()
            session.clear()
            if request.path.startswith("/api/"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path, expired=1))
        if state == "refresh":
            session["last_seen"] = now
        return None

    @app.before_request
    def refuse_unstorable_input():
        # PostgreSQL stores neither NUL in text nor NaN/Infinity in JSON: refused up front (400)
        # on every backend, rather than a 500 on one of them.
        # request.values would parse a JSON body as a form too: only a form is read as one.
        sources = (
            [request.args, request.form] if request.mimetype in FORM_MIMETYPES else [request.args]
        )
        fields = [request.path, *(v for source in sources for _, vs in source.lists() for v in vs)]
        if any("\x00" in v for v in fields):
            abort(400, description="The request contains a NUL character, which is not allowed.")
        if request.is_json and request.get_data(cache=True):
            try:
                value = storable_json(request.get_data(cache=True))
            except UnstorableInput as exc:
                abort(400, description=str(exc))
            except ValueError:
                return None  # not JSON at all: the view answers that itself
            request.environ[_CHECKED_JSON] = value
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for name, value in headers_to_add(
            present, current_app.config, session_sign_in() is not None
        ):
            headers.add(name, value)
        return response


def headers_to_add(present: set[str], config, signed_in: bool) -> list[tuple[str, str]]:
    """The security headers a response lacks (``present``: its header names, lower case); a
    view may set its own (a PDF's Cache-Control, say). Signed-in pages are never cached."""
    extra = []
    if config.get("SESSION_COOKIE_SECURE"):
        extra.append(("Strict-Transport-Security", "max-age=31536000"))
    if signed_in:
        extra.append(("Cache-Control", "no-store"))
    return [(n, v) for n, v in (*SECURITY_HEADERS, *extra) if n.lower() not in present]


IDLE_REFRESH_SECONDS = 60


def idle_state(last_seen: int | None, now: int, config) -> str:
    """A signed-in session's idle state: "expired" past ``IDLE_TIMEOUT``; "refresh" when its
    ``last_seen`` should be rewritten (at most once a minute, so that every autosave does not
    re-issue the cookie); "fresh" otherwise."""
    if last_seen is None:
        return "refresh"
    if now - last_seen > config["IDLE_TIMEOUT"].total_seconds():
        return "expired"
    return "refresh" if now - last_seen >= IDLE_REFRESH_SECONDS else "fresh"


def storable_json(body: bytes):
    """A JSON body parsed, refusing what no database column can keep: NUL characters, lone
    surrogates, NaN and infinite numbers (``UnstorableInput``). ValueError: not JSON."""
    value = json.loads(body, parse_constant=_refuse_number, parse_float=_finite_float)
    _check_json_strings(value)
    return value
