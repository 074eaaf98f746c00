"""quizapp: lessons, quizzes and printable worksheets about 19–20 January 1990 in Baku."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from quizapp.config import Config
from quizapp.extensions import csrf, db, login_manager, migrate
from quizapp.resources import resource_path


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error handlers, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("QUIZAPP_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(resource_path("templates")),
        static_folder=str(resource_path("static")),
    )
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    settings = dict(config or {})
    config_class = settings.pop("CONFIG_CLASS", Config)
    app.config.from_object(config_class(instance))
    app.config.update(settings)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from quizapp import cli, database, web
    from quizapp.quizzes import sweeper

    database.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    sweeper.init_app(app)
    return app
