"""``quizapp privacy export|erase|purge``: the privacy services from the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from quizapp import privacy


def _learner(ref: str):
    """A student account by sign-in name or numeric id."""
    from quizapp.extensions import db
    from quizapp.models import User

    user = None
    if ref.isdigit():
        user = db.session.get(User, int(ref))
    if user is None:
        user = db.session.scalar(select(User).where(func.lower(User.username) == ref.casefold()))
    if user is None or user.role != "student":
        raise click.ClickException(f"No learner with the sign-in name or id {ref!r}.")
    return user


@click.group("privacy")
def privacy_cli():
    """Export or erase one learner's data; delete attempts older than the retention period."""


@privacy_cli.command("export")
@click.argument("learner")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="JSON, or a zip of CSV files.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (JSON: default stdout)."
)
@with_appcontext
def export_command(learner, fmt, output):
    """Export everything stored about LEARNER (sign-in name or id)."""
    from quizapp.extensions import db

    user = _learner(learner)
    if fmt == "json":
        body = privacy.export_json(db.session, user)
        if not output:
            click.echo(body.decode())
            return
    else:
        body = privacy.export_csv_zip(db.session, user)
        output = output or f"learner-{user.id}-csv.zip"
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    target.chmod(0o600)
    click.echo(f"Wrote {target} (personal data: keep it safe).", err=True)


@privacy_cli.command("erase")
@click.argument("learner")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(learner, yes):
    """Erase LEARNER's identity and answers (scores stay, anonymously)."""
    from quizapp.extensions import db

    user = _learner(learner)
    if not yes:
        click.confirm(
            f"Erase {user.display_name} ({user.username})? This cannot be undone", abort=True
        )
    report = privacy.erase_learner(db.session, user)
    db.session.commit()
    click.echo(report.summary())


@privacy_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Delete attempts that ended more than this many days ago "
    "(default: QUIZAPP_RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def purge_command(days, dry_run):
    """Delete quiz attempts older than the retention period (run it daily, e.g. from cron)."""
    from quizapp.extensions import db
    from quizapp.models._types import utcnow

    days = days or current_app.config.get("RETENTION_DAYS") or 0
    if days <= 0:
        click.echo("No retention period set (QUIZAPP_RETENTION_DAYS or --days): nothing deleted.")
        return
    cutoff = utcnow() - timedelta(days=days)
    report = privacy.purge_old_attempts(db.session, cutoff, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, before {cutoff:%Y-%m-%d %H:%M} UTC: " + report.summary())
        return
    db.session.commit()
    click.echo(f"Before {cutoff:%Y-%m-%d %H:%M} UTC: " + report.summary())
