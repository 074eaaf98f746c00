"""Portable backups: ``quizapp backup [PATH]`` and ``quizapp restore PATH [--force]``.

An archive is a zip file holding ``manifest.json`` (format version, schema revision, the
backend it came from, creation time, every table's columns and row count) and one JSON-lines
file per table, ``tables/<name>.jsonl``, written in foreign-key order with SQLAlchemy Core.
It restores into an empty, migrated database of either backend (SQLite → PostgreSQL and back),
so it doubles as the way to move a school from one to the other.

- Datetimes are stored as ISO 8601 in UTC; JSON columns keep the difference between SQL NULL
  and JSON ``null``.
- The backup reads one consistent snapshot (PostgreSQL REPEATABLE READ; a SQLite read
  transaction in WAL mode) and does not block the writers of a running server.
- A restore runs in one transaction: a corrupt or truncated archive changes nothing.
  Foreign keys that point forwards or to their own table (``question.current_version_id``,
  ``quiz.parent_id``) are written after every row exists; PostgreSQL sequences are moved past
  the restored ids.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    MetaData,
    Table,
    bindparam,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

FORMAT = "quizapp-backup"
FORMAT_VERSION = 1
BATCH = 2000
_JSON_NULL = {"$json": "null"}  # a JSON null (as opposed to SQL NULL) in a JSON column


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote or a restore loaded."""

    path: Path
    tables: dict[str, int]
    schema_revision: str | None

    @property
    def rows(self) -> int:
        """Rows over all tables."""
        return sum(self.tables.values())


def _tables() -> list[Table]:
    import quizapp.models  # noqa: F401  (registers every table on the metadata)
    from quizapp.extensions import db

    return list(db.metadata.sorted_tables)


def _late_columns(table: Table, order: dict[str, int]) -> list[str]:
    """Foreign-key columns to fill after all rows exist: self-references and forward references."""
    late = []
    for fk in table.foreign_keys:
        target = fk.column.table.name
        if target == table.name or fk.constraint.use_alter or order[target] >= order[table.name]:
            late.append(fk.parent.name)
    return sorted(set(late))


def _is_json(column) -> bool:
    return isinstance(column.type, JSON)


def _is_datetime(column) -> bool:
    return isinstance(column.type, DateTime) or isinstance(
        getattr(column.type, "impl_instance", None), DateTime
    )


def _is_date(column) -> bool:
    return isinstance(column.type, Date) and not _is_datetime(column)


def _encode(value: Any, column, sql_null: bool) -> Any:
    if value is None:
        return None if sql_null or not _is_json(column) else _JSON_NULL
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if _is_json(column):
        return {"$json": value} if isinstance(value, dict) and "$json" in value else value
    return value


def _decode(value: Any, column) -> Any:
    from sqlalchemy import JSON as _JSON

    if _is_json(column):
        if value == _JSON_NULL:
            return _JSON.NULL
        if isinstance(value, dict) and set(value) == {"$json"}:
            return value["$json"]
        return value
    if value is None:
        return None
    if _is_datetime(column):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if _is_date(column):
        return date.fromisoformat(value)
    return value


def _schema_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _read_snapshot(engine: Engine) -> Connection:
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        conn = conn.execution_options(quizapp_read_only=True)  # BEGIN, not BEGIN IMMEDIATE
    return conn


def default_backup_path(instance_path: str) -> Path:
    """``<instance>/backups/quizapp-YYYYmmdd-HHMMSS.zip`` (UTC)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(instance_path) / "backups" / f"quizapp-{stamp}.zip"


def create_backup(engine: Engine, path: Path) -> BackupSummary:
    """Write every table of the database behind ``engine`` to a new archive at ``path``."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose another name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = _tables()
    counts: dict[str, int] = {}
    partial = path.with_name(path.name + ".partial")
    conn = _read_snapshot(engine)
    try:
        with conn.begin(), zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            revision = _schema_revision(conn)
            for table in tables:
                counts[table.name] = _write_table(conn, archive, table)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": datetime.now(UTC).isoformat(),
                "schema_revision": revision,
                "source_backend": engine.dialect.name,
                "tables": [
                    {"name": t.name, "columns": [c.name for c in t.columns], "rows": counts[t.name]}
                    for t in tables
                ],
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        partial.replace(path)  # a backup that stopped half-way never looks like a good one
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    return BackupSummary(path, counts, revision)


def _write_table(conn: Connection, archive: zipfile.ZipFile, table: Table) -> int:
    columns = list(table.columns)
    json_columns = [c for c in columns if _is_json(c)]
    null_flags = [c.is_(None).label(f"__null_{c.name}") for c in json_columns]
    order = [c for c in table.primary_key.columns] or columns[:1]
    result = conn.execution_options(yield_per=BATCH).execute(
        select(*columns, *null_flags).order_by(*order)
    )
    count = 0
    with archive.open(f"tables/{table.name}.jsonl", "w") as handle:
        for row in result:
            mapping = row._mapping
            record = {
                c.name: _encode(mapping[c.name], c, bool(mapping.get(f"__null_{c.name}", True)))
                for c in columns
            }
            handle.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
    return count


def read_manifest(path: Path) -> dict:
    """The archive's manifest, checked; ``BackupError`` for anything that is not a backup."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _check_manifest(archive)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file.") from None
    except zipfile.BadZipFile as exc:
        raise BackupError(
            f"{path} is not a quizapp backup (not a readable zip file: {exc})."
        ) from None


def _check_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise BackupError("Not a quizapp backup: the archive has no manifest.json.") from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"The backup's manifest is damaged ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("Not a quizapp backup: the manifest does not name the format.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {manifest.get('format_version')}; this quizapp "
            f"reads version {FORMAT_VERSION}. Restore it with the quizapp version that wrote it."
        )
    if not isinstance(manifest.get("tables"), list):
        raise BackupError("The backup's manifest lists no tables.")
    return manifest


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[dict]:
    try:
        handle = archive.open(f"tables/{name}.jsonl")
    except KeyError:
        raise BackupError(f"The backup is incomplete: tables/{name}.jsonl is missing.") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except ValueError:
                raise BackupError(
                    f"The backup is damaged: tables/{name}.jsonl line {number} is not JSON."
                ) from None
            if not isinstance(record, dict):
                raise BackupError(f"The backup is damaged: tables/{name}.jsonl line {number}.")
            yield record


def _insert_table(table: Table) -> Table:
    """A copy of ``table`` whose JSON columns write Python ``None`` as SQL NULL."""
    copy = table.to_metadata(MetaData())
    for column in copy.columns:
        if _is_json(column):
            column.type = JSON(none_as_null=True).with_variant(
                JSONB(none_as_null=True), "postgresql"
            )
    return copy


def is_empty(conn: Connection) -> bool:
    """True when no table of the app holds a row."""
    existing = set(inspect(conn).get_table_names())
    for table in _tables():
        if table.name in existing and conn.scalar(select(1).select_from(table).limit(1)):
            return False
    return True


def _wipe(conn: Connection, tables: list[Table], order: dict[str, int]) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in tables:
        late = _late_columns(table, order)
        if late:
            conn.execute(update(table).values(dict.fromkeys(late)))
    for table in reversed(tables):
        conn.execute(table.delete())


def _fix_sequences(conn: Connection, tables: list[Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement:
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        )
        if sequence:
            top = conn.scalar(select(func.max(pk[0])))
            conn.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )


def restore_backup(engine: Engine, path: Path, force: bool = False) -> BackupSummary:
    """Load an archive into the (migrated) database behind ``engine``, in one transaction.

    Refuses a database that holds rows unless ``force``, which empties it first.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file.") from None
    except zipfile.BadZipFile as exc:
        raise BackupError(
            f"{path} is not a quizapp backup (not a readable zip file: {exc})."
        ) from None
    try:
        with archive, engine.begin() as conn:
            manifest = _check_manifest(archive)
            counts = _restore_into(conn, archive, manifest, force)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise BackupError(f"The backup is damaged ({exc}); nothing was restored.") from None
    except (IntegrityError, DataError) as exc:
        raise BackupError(
            f"The backup does not fit this database ({exc.orig}); nothing was restored."
        ) from None
    wanted = manifest.get("schema_revision")
    return BackupSummary(path, counts, wanted)


def _restore_into(
    conn: Connection, archive: zipfile.ZipFile, manifest: dict, force: bool
) -> dict[str, int]:
    tables = _tables()
    by_name = {t.name: t for t in tables}
    order = {t.name: i for i, t in enumerate(tables)}
    existing = set(inspect(conn).get_table_names())
    missing = [t.name for t in tables if t.name not in existing]
    if missing:
        raise BackupError(
            "The database has no tables yet (missing: "
            + ", ".join(missing[:5])
            + "). Run `quizapp db upgrade` first, then restore."
        )
    revision = _schema_revision(conn)
    wanted = manifest.get("schema_revision")
    if revision and wanted and revision != wanted:
        raise BackupError(
            f"The backup is of schema revision {wanted}; this database is at {revision}. "
            "Restore into a database at the backup's revision, then run `quizapp db upgrade`."
        )
    listed = {entry.get("name"): entry for entry in manifest["tables"]}
    unknown = sorted(set(listed) - set(by_name))
    if unknown:
        raise BackupError(f"The backup has tables this quizapp does not know: {unknown}.")
    if not is_empty(conn):
        if not force:
            raise BackupError(
                "The database is not empty; restoring would mix two databases. Restore into "
                "a new, migrated database, or pass --force to erase this one first."
            )
        _wipe(conn, tables, order)
    counts = _load(conn, archive, tables, listed, order)
    _fix_sequences(conn, tables)
    return counts


def _load(
    conn: Connection,
    archive: zipfile.ZipFile,
    tables: list[Table],
    listed: dict[str, dict],
    order: dict[str, int],
) -> dict[str, int]:
    counts: dict[str, int] = {}
    later: dict[Table, list[dict]] = {}
    for table in tables:
        entry = listed.get(table.name)
        if entry is None:
            counts[table.name] = 0
            continue
        columns = {c.name: c for c in table.columns}
        unknown = sorted(set(entry.get("columns", [])) - set(columns))
        if unknown:
            raise BackupError(
                f"The backup's table {table.name} has columns this database lacks: {unknown}."
            )
        late = _late_columns(table, order)
        pk = [c.name for c in table.primary_key.columns]
        target = _insert_table(table)
        batch: list[dict] = []
        count = 0
        for record in _lines(archive, table.name):
            row = {name: _decode(value, columns[name]) for name, value in record.items()}
            if late:
                deferred = {name: row.pop(name, None) for name in late}
                if any(v is not None for v in deferred.values()):
                    later.setdefault(table, []).append({**{k: row[k] for k in pk}, **deferred})
                row.update(dict.fromkeys(late))
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                conn.execute(target.insert(), batch)
                batch = []
        if batch:
            conn.execute(target.insert(), batch)
        if count != entry.get("rows"):
            raise BackupError(
                f"The backup is damaged: table {table.name} has {count} rows, "
                f"its manifest says {entry.get('rows')}; nothing was restored."
            )
        counts[table.name] = count
    for table, rows in later.items():
        pk = [c.name for c in table.primary_key.columns]
        late = _late_columns(table, order)
        stmt = update(table).values({name: bindparam(f"v_{name}") for name in late})
        for name in pk:
            stmt = stmt.where(table.c[name] == bindparam(f"k_{name}"))
        params = [
            {**{f"k_{k}": row[k] for k in pk}, **{f"v_{k}": row[k] for k in late}} for row in rows
        ]
        for start in range(0, len(params), BATCH):
            conn.execute(stmt, params[start : start + BATCH])
    return counts


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write the whole database to a portable archive (default: instance/backups/)."""
    from quizapp.extensions import db

    target = Path(path) if path else default_backup_path(current_app.instance_path)
    try:
        summary = create_backup(db.engine, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up {summary.rows} rows in {len(summary.tables)} tables "
        f"(schema {summary.schema_revision or 'unversioned'}) to {summary.path}"
    )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Erase a database that already holds data first.")
@with_appcontext
def restore_command(path, force):
    """Load an archive written by `quizapp backup` into this (migrated, empty) database."""
    from quizapp.extensions import db

    try:
        summary = restore_backup(db.engine, Path(path), force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {summary.rows} rows in {len(summary.tables)} tables from {path}")


def init_app(app: Flask) -> None:
    """Register ``quizapp backup`` and ``quizapp restore``."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
