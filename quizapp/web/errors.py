"""Error pages for people and JSON errors for API clients; never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from quizapp.extensions import db, login_manager


def wants_json() -> bool:
    """API routes and clients that ask for JSON get JSON errors."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _respond(status: int, title: str, message: str):
    if wants_json():
        return jsonify({"error": {"status": status, "title": title, "message": message}}), status
    try:
        page = render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:  # the page's layout needs the database, and the database is down
        page = (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>"
        )
    return page, status


MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in needed", "Please sign in again; your saved answers are kept."),
    403: ("Not allowed", "You do not have permission to see this page."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "This was changed elsewhere; reload the page and try again."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many tries", "Please wait a moment before trying again."),
    503: (
        "Busy",
        "The service is briefly unavailable. Your saved answers are safe; try again in a moment.",
    ),
}


def init_app(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _respond(
            400,
            "Form expired",
            "The form was open too long or came from elsewhere. "
            "Go back, reload the page and send it again; nothing you saved earlier is lost.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        title, message = MESSAGES.get(error.code or 500, (error.name, error.description or ""))
        if error.code == 400 and error.description and "CSRF" not in error.description:
            message = error.description
        response = _respond(error.code or 500, title, message)
        if error.code == 429 and getattr(error, "retry_after", None):
            response[0].headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        from sqlalchemy.exc import DBAPIError, OperationalError

        try:
            # Returns the connection to the pool; a connection the database dropped is
            # discarded here, and the pool replaces it on the next request (see quizapp.database).
            db.session.rollback()
        except Exception:  # the connection is already gone: forget the session
            db.session.remove()
        unavailable = isinstance(error, OperationalError) or (
            isinstance(error, DBAPIError) and error.connection_invalidated
        )
        if unavailable:
            # Answer as if signed out for the rest of this request, so that the response hooks
            # (security headers read current_user) do not ask the unavailable database again.
            from flask import g

            g._login_user = login_manager.anonymous_user()
            # Database restarting or locked: a clear, retryable answer, no stack trace in the log.
            app.logger.warning(
                "Database unavailable on %s %s: %s",
                request.method,
                request.path,
                (str(getattr(error, "orig", error)).strip().splitlines() or [""])[0],
            )
            response = _respond(503, *MESSAGES[503])
            response[0].headers["Retry-After"] = "2"
            return response
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _respond(
            500, "Internal Server Error", "Something went wrong on our side. It has been logged."
        )
