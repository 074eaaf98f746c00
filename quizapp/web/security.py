"""Sign-in plumbing, idle timeout, role checks and security headers for every response."""

from __future__ import annotations

import time
from functools import wraps

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from quizapp.extensions import db, login_manager

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


@login_manager.user_loader
def load_user(token: str):
    """Load the user of a session; a session from before sign-out or a password change is void."""
    from quizapp.models import User

    try:
        user_id, generation = (int(part) for part in token.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_generation != generation:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """API clients get a JSON 401; people are sent to sign in and brought back."""
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


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


def init_app(app: Flask) -> None:
    """Idle timeout before each request; security headers after."""

    @app.before_request
    def enforce_idle_timeout():
        if not current_user.is_authenticated:
            return None
        now = int(time.time())
        last_seen = session.get("last_seen", now)
        if now - last_seen > current_app.config["IDLE_TIMEOUT"].total_seconds():
            logout_user()
            session.clear()
            if request.path.startswith("/api/"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path, expired=1))
        # Write at most once a minute so that every autosave does not re-issue the cookie.
        if now - last_seen >= 60 or "last_seen" not in session:
            session["last_seen"] = now
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user.is_authenticated and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
