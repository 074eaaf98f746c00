"""``quizapp export worksheet|key|class-set|handout`` and ``quizapp worker``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from quizapp.pdf import service
from quizapp.pdf.documents import PrintError

_quiz_options = [
    click.option("--seed", type=int, default=None, help="Shuffle seed (default: the quiz's)."),
    click.option(
        "--size",
        type=click.Choice(["a4", "letter"], case_sensitive=False),
        default="a4",
        show_default=True,
    ),
    click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write the PDF."),
]


def _apply(options):
    def decorator(func):
        for option in reversed(options):
            func = option(func)
        return func

    return decorator


def _quiz(ref):
    quiz = service.find_quiz(ref)
    if quiz is None:
        raise click.ClickException(f"No quiz with the slug or id {ref!r}.")
    return quiz


def _options(**kwargs) -> service.PrintOptions:
    try:
        return service.PrintOptions.parse(**kwargs)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _write(printout: service.Printout, output: str | None) -> Path:
    target = Path(output) if output else service.export_dir() / printout.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(printout.path, target)
    click.echo(f"Wrote {target}{' (unchanged, from the cache)' if printout.cached else ''}")
    return target


def _guard(func):
    """Turn print errors into a clear message and exit code 1, never a traceback."""
    from functools import wraps

    @wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (PrintError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapped


@click.group("export")
def export_cli():
    """Print worksheets, answer keys, class sets and lesson handouts as PDF."""


@export_cli.command("worksheet")
@click.argument("quiz")
@click.option("--variant", default="A", show_default=True, help="Variant letter A–J.")
@_apply(_quiz_options)
@click.option("--qr", is_flag=True, help="Print a QR code that opens the quiz online.")
@with_appcontext
@_guard
def worksheet_command(quiz, variant, seed, size, output, qr):
    """A student worksheet for QUIZ (slug or id), without answers."""
    options = _options(variant=variant, seed=seed, size=size, qr=qr)
    _write(service.worksheet(_quiz(quiz), options), output)


@export_cli.command("key")
@click.argument("quiz")
@click.option("--variants", default="A", show_default=True, help="Variants, e.g. A,B,C.")
@_apply(_quiz_options)
@with_appcontext
@_guard
def key_command(quiz, variants, seed, size, output):
    """The answer key of QUIZ: answers, marks, explanations and sources."""
    letters = service.parse_variants(variants)
    options = _options(variant=letters[0], seed=seed, size=size)
    _write(service.answer_key(_quiz(quiz), options, letters), output)


@export_cli.command("class-set")
@click.argument("quiz")
@click.argument("school_class", metavar="CLASS")
@click.option("--variants", default="A", show_default=True, help="Variants dealt in turn: A,B,C.")
@_apply(_quiz_options)
@click.option("--qr", is_flag=True, help="Print a QR code that opens the quiz online.")
@click.option("--workers", type=int, default=None, help="Render processes (default: every core).")
@with_appcontext
@_guard
def class_set_command(quiz, school_class, variants, seed, size, output, qr, workers):
    """One named worksheet per student of CLASS (id or name), and its key with the roster."""
    from quizapp.pdf.render import default_workers, shutdown_pool

    the_quiz = _quiz(quiz)
    the_class = service.find_class(school_class)
    if the_class is None:
        raise click.ClickException(f"No class with the id or name {school_class!r}.")
    letters = service.parse_variants(variants)
    options = _options(variant=letters[0], seed=seed, size=size, qr=qr)
    count = len(service.enrolled_students(the_class))
    with click.progressbar(length=count, label="Rendering worksheets", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(done, total):
            bar.update(done - state["done"])
            state["done"] = done

        try:
            printout = service.class_set(
                the_quiz, the_class, letters, options, workers or default_workers(), progress
            )
        finally:
            shutdown_pool()
    target = _write(printout, output)
    key = service.class_set_key(the_quiz, the_class, letters, options)
    _write(key, str(target.with_name(target.stem + "-key.pdf")))


@export_cli.command("handout")
@click.argument("lesson")
@click.option(
    "--size",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    default="a4",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write the PDF.")
@with_appcontext
@_guard
def handout_command(lesson, size, output):
    """A handout of LESSON (slug or id): text, timeline, key terms and check questions."""
    found = service.find_lesson(lesson)
    if found is None:
        raise click.ClickException(f"No lesson with the slug or id {lesson!r}.")
    _write(service.handout(found, size), output)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst):
    """Serve the background PDF queue (needs REDIS_URL)."""
    from quizapp.pdf import jobs

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("Set REDIS_URL to the Redis server of the job queue.")
    click.echo(f"Serving the queue {jobs.queue_name()} on {current_app.config['REDIS_URL']}")
    jobs.work(burst=burst)
