"""The web side: blueprints, error pages, security headers and sign-in plumbing."""

from __future__ import annotations

from flask import Flask

from quizapp.signatures import RememberingSessionInterface
from quizapp.web import errors, security
from quizapp.web.admin.routes import bp as admin_bp
from quizapp.web.api.fast_path import FastPath
from quizapp.web.api.routes import bp as api_bp
from quizapp.web.auth.routes import bp as auth_bp
from quizapp.web.bank.routes import bp as bank_bp
from quizapp.web.builders.routes import bp as builders_bp
from quizapp.web.main import bp as main_bp
from quizapp.web.printouts.routes import bp as printouts_bp
from quizapp.web.privacy.routes import bp as privacy_bp
from quizapp.web.student.routes import bp as student_bp
from quizapp.web.teacher.routes import bp as teacher_bp


def init_app(app: Flask) -> None:
    """Register every blueprint, the error handlers and the request hooks."""
    app.session_interface = RememberingSessionInterface()
    app.wsgi_app = FastPath(app, app.wsgi_app)
    for blueprint in (
        main_bp,
        auth_bp,
        student_bp,
        teacher_bp,
        admin_bp,
        api_bp,
        printouts_bp,
        bank_bp,
        builders_bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    security.init_app(app)
    from quizapp.web import filters

    filters.init_app(app)
