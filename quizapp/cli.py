"""The ``quizapp`` command: thin commands over the content, account and export modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from quizapp.content import content_stats, load_content, validate_bundle
from quizapp.content.loader import iter_content_files
from quizapp.resources import content_paths


def _resolve(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p) for p in paths] if paths else content_paths()


def _known_from_db() -> dict:
    """What the database already holds, so new files may refer to it."""
    from quizapp.extensions import db
    from quizapp.models import Question, Source, Stimulus, Topic

    session = db.session
    try:
        return {
            "known_sources": {
                k: p for k, p in session.execute(select(Source.key, Source.paragraphs))
            },
            "known_topics": set(session.scalars(select(Topic.slug))),
            "known_questions": set(session.scalars(select(Question.slug))),
            "known_stimuli": set(session.scalars(select(Stimulus.slug))),
        }
    except Exception:  # no database yet: validate the files on their own
        session.rollback()
        return {}


@click.group("content")
def content_cli():
    """Validate, import and count the curated content."""


@content_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@with_appcontext
def validate_command(paths):
    """Report every problem in the content files as file:line: id: field: message."""
    targets = _resolve(paths)
    own_files = {str(p.resolve()) for p in iter_content_files(targets)}
    # New files are checked against the curated content (its topics, sources, question ids).
    context = [p for p in content_paths() if p.exists()]
    bundle = load_content(sorted({*iter_content_files(context), *iter_content_files(targets)}))
    problems = [p for p in validate_bundle(bundle) if str(Path(p.path).resolve()) in own_files]
    for problem in problems:
        click.echo(str(problem))
    files = len(own_files)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {files} file(s).", err=True)
        sys.exit(1)
    click.echo(f"OK: {files} file(s), no problems.", err=True)


@content_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@with_appcontext
def import_command(paths):
    """Import content into the database (unchanged content changes nothing)."""
    from quizapp.content.importer import import_bundle
    from quizapp.extensions import db

    bundle = load_content(_resolve(paths))
    problems = validate_bundle(bundle, **_known_from_db())
    if problems:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"Nothing imported: {len(problems)} problem(s).", err=True)
        sys.exit(1)
    report = import_bundle(db.session, bundle)
    db.session.commit()
    click.echo(report.summary() or "Nothing to import.")
    click.echo("Changed." if report.changed else "Already up to date: nothing changed.")


@content_cli.command("stats")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(paths, as_json):
    """Count questions by type, topic, difficulty and cognitive level, and the other content."""
    stats = content_stats(load_content(_resolve(paths)))
    if as_json:
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
        return
    for key, value in stats.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for name, count in value.items():
                click.echo(f"  {name}: {count}")
        else:
            click.echo(f"{key}: {value}")


@click.group("users")
def users_cli():
    """Create staff accounts and setup links."""


def _setup_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/setup/{token}"


@users_cli.command("bootstrap-admin")
@click.option("--email", default="admin@school.example", show_default=True)
@with_appcontext
def bootstrap_admin(email):
    """Create the first admin if there is none and print a one-time setup link."""
    from quizapp import accounts
    from quizapp.extensions import db
    from quizapp.models import User

    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if admin is not None and admin.last_login_at is not None:
        click.echo(
            f"Sign in as {admin.email}. Forgot the password? Run: quizapp users setup-link {admin.email}"
        )
        return
    if admin is None:
        admin = accounts.create_staff(db.session, email, "Administrator", role="admin")
    token = accounts.create_setup_token(db.session, admin)
    db.session.commit()
    click.echo(
        f"First sign-in: open {_setup_url(token)} to choose the password for {admin.email} "
        "(the link works once, for 48 hours)."
    )


@users_cli.command("create-teacher")
@click.argument("email")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="Create an admin instead.")
@with_appcontext
def create_teacher(email, name, is_admin):
    """Create a teacher (or admin) and print their one-time setup link."""
    from quizapp import accounts
    from quizapp.extensions import db

    user = accounts.create_staff(db.session, email, name, role="admin" if is_admin else "teacher")
    token = accounts.create_setup_token(db.session, user)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}. Setup link: {_setup_url(token)}")


@users_cli.command("setup-link")
@click.argument("email")
@with_appcontext
def setup_link(email):
    """Print a new one-time link for a staff member to choose a password."""
    from quizapp import accounts
    from quizapp.extensions import db
    from quizapp.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().casefold()))
    if user is None:
        raise click.ClickException(f"No staff account with the email {email}.")
    token = accounts.create_setup_token(db.session, user)
    db.session.commit()
    click.echo(f"Setup link for {user.email}: {_setup_url(token)}")


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    app.cli.add_command(content_cli)
    app.cli.add_command(users_cli)
    from quizapp.pdf.cli import export_cli, worker_command

    app.cli.add_command(export_cli)
    app.cli.add_command(worker_command)
    from quizapp import backup

    backup.init_app(app)
    from quizapp.privacy_cli import privacy_cli

    app.cli.add_command(privacy_cli)


def main() -> None:
    """Entry point of the ``quizapp`` console script."""
    from quizapp import create_app

    FlaskGroup(create_app=create_app, help="quizapp: lessons, quizzes and worksheets.")(
        prog_name="quizapp"
    )
