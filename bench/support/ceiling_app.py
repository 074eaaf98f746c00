"""The ceiling of the load benchmark: a bare Flask app whose one endpoint inserts one row.

Served by the same server set-up as quizapp (``python -m quizapp.serving
bench.support.ceiling_app:app``), driven by the same clients: what this server set-up can do at
best on this machine. SQLite with the same tuning as quizapp (WAL, synchronous=NORMAL, busy
timeout, BEGIN IMMEDIATE); PostgreSQL with psycopg, one connection per thread.
``CEILING_DATABASE`` is a SQLite path or a PostgreSQL conninfo URL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading

from flask import Flask, request

app = Flask(__name__)
TARGET = os.environ.get("CEILING_DATABASE", "")
_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if TARGET.startswith("postgresql"):
            import psycopg

            conn = psycopg.connect(TARGET.replace("postgresql+psycopg", "postgresql"))
        else:
            conn = sqlite3.connect(
                TARGET, timeout=15, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=15000")
        _local.conn = conn
    return conn


@app.get("/ping")
def ping():
    """Ready check."""
    return "ok"


@app.post("/save")
def save():
    """Insert one row (the payload) and answer with its id."""
    payload = request.get_json()
    conn = _connection()
    body = json.dumps(payload)
    if TARGET.startswith("postgresql"):
        with conn.transaction():
            row_id = conn.execute(
                "INSERT INTO ceiling_row (payload) VALUES (%s) RETURNING id", (body,)
            ).fetchone()[0]
    else:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row_id = conn.execute("INSERT INTO ceiling_row (payload) VALUES (?)", (body,)).lastrowid
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return {"saved": True, "id": row_id}


def create_table(target: str) -> None:
    """Create the ceiling's table (called by the benchmark before the server starts)."""
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS ceiling_row (id serial PRIMARY KEY, payload text)"
            )
    else:
        conn = sqlite3.connect(target)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ceiling_row (id INTEGER PRIMARY KEY, payload TEXT)"
        )
        conn.commit()
        conn.close()
