"""`quizapp backup` / `quizapp restore`: a round trip keeps every row, on both backends."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp import backup
from quizapp.extensions import db
from quizapp.models import Assignment, Question, QuestionVersion, Quiz
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt, versions_for
from tests.conftest import BACKENDS, PG_URL
from tests.helpers import gen_class, gen_student, gen_teacher, import_examples


@pytest.fixture
def fresh_engine(backend, tmp_path, request):
    """An empty database of the same backend with the app's tables (a 'migrated' new server)."""
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        sa.event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA foreign_keys=ON"))
        db.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    schema = request.getfixturevalue("postgres_schema") + "_restore"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    db.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def school(ctx):
    """A small school: staff and students with diacritics, questions with two versions,
    a submitted attempt with graded responses and one in progress."""
    quiz = import_examples()
    teacher = gen_teacher(name="Gülnar Axundova")
    school_class = gen_class(teacher, name="9Ə Tarix")
    aysel = gen_student(school_class, name="Aysel Məmmədova")
    ivan = gen_student(school_class, name="Иван Петров")
    question = db.session.scalar(sa.select(Question).order_by(Question.id))
    first = question.current_version
    second = QuestionVersion(
        question_id=question.id,
        number=2,
        qtype=first.qtype,
        topic_id=first.topic_id,
        difficulty=first.difficulty,
        cognitive_level=first.cognitive_level,
        prompt=first.prompt + " (düzəliş: «yenilənmiş»)",
        body=first.body,
        explanation=first.explanation,
        source_refs=first.source_refs,
        tags=["şəhər", "1990"],
        stimulus_id=first.stimulus_id,
        points=2.5,
        search_text=first.search_text,
        content_hash="b" * 64,
        author_id=teacher.id,
    )
    db.session.add(second)
    db.session.flush()
    question.current_version_id = second.id
    child = Quiz(title="Variant B", kind="fixed", parent_id=quiz.id, variant="B", seed=7)
    db.session.add(child)
    assignment = Assignment(
        class_id=school_class.id,
        kind="quiz",
        quiz_id=quiz.id,
        title="Yanvar hadisələri — yoxlama",
        close_at=utcnow() + timedelta(days=3),
        time_limit_minutes=40,
    )
    db.session.add(assignment)
    db.session.commit()
    done = start_attempt(db.session, quiz, aysel, assignment)
    for entry in done.layout[:5]:
        version = versions_for(db.session, done)[entry["version_id"]]
        answer = get_type(version.qtype).correct_answer(version.body)
        save_answer(db.session, done, entry["slot"], answer, seq=3, grace_seconds=30)
    submit_attempt(db.session, done)
    open_attempt = start_attempt(db.session, quiz, ivan, assignment)
    version = versions_for(db.session, open_attempt)[open_attempt.layout[0]["version_id"]]
    answer = get_type(version.qtype).correct_answer(version.body)
    save_answer(db.session, open_attempt, 1, answer, seq=1, grace_seconds=30)
    db.session.commit()
    return {"quiz": quiz, "teacher": teacher}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, with SQL NULL told from JSON null."""
    out = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            flags = [
                c.is_(None).label(f"null_{c.name}")
                for c in table.columns
                if isinstance(c.type, sa.JSON)
            ]
            rows = conn.execute(
                sa.select(*table.columns, *flags).order_by(*table.primary_key.columns)
            )
            out[table.name] = [tuple(row) for row in rows]
    return out


def test_round_trip_keeps_every_row(app, school, fresh_engine, tmp_path):
    archive = tmp_path / "school.zip"
    summary = backup.create_backup(db.engine, archive)
    before = snapshot(db.engine)
    assert summary.tables["response"] == len(before["response"]) > 5
    assert summary.tables["question_version"] == len(before["question_version"]) >= 10

    restored = backup.restore_backup(fresh_engine, archive)

    assert restored.tables == summary.tables
    after = snapshot(fresh_engine)
    assert after == before
    names = {row[4] for row in after["user_account"]}
    assert {"Aysel Məmmədova", "Иван Петров", "Gülnar Axundova"} <= names
    # New rows get fresh ids after a restore (PostgreSQL sequences moved past the restored ids).
    with fresh_engine.begin() as conn:
        new_id = conn.execute(
            sa.insert(db.metadata.tables["topic"]).values(
                slug="new-topic", title="Yeni", description="", position=9
            )
        ).inserted_primary_key[0]
    assert new_id > max(row[0] for row in before["topic"])


def test_cli_backup_then_restore_refuses_a_database_with_data(app, runner, school, tmp_path):
    archive = tmp_path / "cli.zip"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
    assert manifest["format"] == "quizapp-backup"
    assert {t["name"]: t["rows"] for t in manifest["tables"]}["user_account"] == 3

    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output

    before = snapshot(db.engine)
    db.session.remove()
    forced = runner.invoke(args=["restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert snapshot(db.engine) == before


def test_force_restore_replaces_other_data(app, school, fresh_engine, tmp_path):
    archive = tmp_path / "school.zip"
    backup.create_backup(db.engine, archive)
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.insert(db.metadata.tables["topic"]).values(
                slug="stray", title="Stray", description="", position=1
            )
        )
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore_backup(fresh_engine, archive)
    backup.restore_backup(fresh_engine, archive, force=True)
    assert snapshot(fresh_engine) == snapshot(db.engine)


def _rewrite(source, target, change):
    """Copy an archive, letting ``change(name, data)`` alter each member's bytes."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated", "not a readable zip"),
        ("not_zip", "not a readable zip"),
        ("no_manifest", "no manifest"),
        ("missing_rows", "manifest says"),
        ("bad_line", "is not JSON"),
        ("missing_table", "is missing"),
    ],
)
def test_corrupt_archive_gives_a_clear_error_and_changes_nothing(
    app, school, fresh_engine, tmp_path, damage, message
):
    good = tmp_path / "good.zip"
    backup.create_backup(db.engine, good)
    bad = tmp_path / "bad.zip"
    if damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "not_zip":
        bad.write_text("hello, I am a text file")
    elif damage == "no_manifest":
        _rewrite(good, bad, lambda name, data: None if name == "manifest.json" else data)
    elif damage == "missing_rows":
        _rewrite(
            good,
            bad,
            lambda name, data: (
                b"\n".join(data.splitlines()[:-1]) + b"\n"
                if name == "tables/response.jsonl"
                else data
            ),
        )
    elif damage == "bad_line":
        _rewrite(
            good,
            bad,
            lambda name, data: data + b"{not json\n" if name == "tables/attempt.jsonl" else data,
        )
    else:
        _rewrite(good, bad, lambda name, data: None if name == "tables/quiz.jsonl" else data)

    with pytest.raises(backup.BackupError, match=message):
        backup.restore_backup(fresh_engine, bad)
    assert all(rows == [] for rows in snapshot(fresh_engine).values())


@pytest.mark.skipif(
    "postgresql" not in BACKENDS,
    reason="moving between backends needs the PostgreSQL backend (QUIZAPP_TEST_BACKENDS=sqlite)",
)
def test_backup_moves_between_backends(app, backend, school, tmp_path, request):
    """A SQLite backup restores into PostgreSQL, and a PostgreSQL backup into SQLite."""
    archive = tmp_path / "move.zip"
    backup.create_backup(db.engine, archive)
    admin = schema = None
    if backend == "sqlite":
        schema = request.getfixturevalue("postgres_schema") + "_move"
        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        target = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    else:
        target = sa.create_engine(f"sqlite:///{tmp_path / 'moved.sqlite3'}")
    try:
        db.metadata.create_all(target)
        backup.restore_backup(target, archive)
        assert snapshot(target) == snapshot(db.engine)
    finally:
        target.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
