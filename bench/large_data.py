"""Large-data benchmark: the heavy pages of a big school, and quiz generation over a big bank.

Seeds a fresh SQLite database (or, with ``--backend postgresql``, a fresh schema of the local
PostgreSQL) with bulk inserts (SQLAlchemy Core ``insert()`` with lists of dicts): 10,000
questions (one version each, over the 7 topics and the 8 types, bodies copied from the worked
examples so every one is valid), 2,000 students in 60 classes, 300 assignments and 10,000
submitted attempts holding 200,000 graded responses. Then measures the server time (Flask
test client, production configuration; median of 7 requests after 2 warm-ups) of the student
home, the quiz page, the question bank (first page, and a text search), a class gradebook and
an assignment's item analysis, and of generating a 20-question quiz from a blueprint over the
10,000 cards (``generate_quiz`` itself, and with loading the cards from the database). Targets: each page
≤ 200 ms, generation ≤ 50 ms. The last line of output is one JSON object.

    .venv/bin/python bench/large_data.py [--backend postgresql]

Not a test: nothing is asserted here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.seed import CHEAP_HASH, PASSWORD, fresh_database, make_app, migrate

QUESTIONS = 10_000
STUDENTS = 2_000
CLASSES = 60
QUIZZES = 10
ASSIGNMENTS_PER_CLASS = 5
SLOTS = 20
PAGE_TARGET_MS = 200.0
GENERATION_TARGET_MS = 50.0
BATCH = 5_000


def bulk(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[start : start + BATCH])


def seed(app) -> dict:
    """Bulk-insert the school; returns the ids the measurements need."""
    from sqlalchemy import func, select, text, update

    from quizapp import accounts
    from quizapp.content import load_content
    from quizapp.content.importer import import_bundle
    from quizapp.extensions import db
    from quizapp.models import (
        Assignment,
        Attempt,
        Enrolment,
        Question,
        QuestionVersion,
        Quiz,
        QuizItem,
        Response,
        SchoolClass,
        Topic,
        User,
    )
    from quizapp.models._types import utcnow
    from quizapp.questions import get_type
    from quizapp.resources import resource_path

    rng = random.Random(1990)
    now = utcnow()
    with app.app_context():
        bank = resource_path("question_bank")
        import_bundle(
            db.session,
            load_content([bank / "topics.yaml", bank / "sources.yaml", bank / "examples.yaml"]),
        )
        db.session.commit()
        templates = [
            SimpleNamespace(
                qtype=v.qtype,
                prompt=v.prompt,
                body=v.body,
                explanation=v.explanation,
                source_refs=v.source_refs,
                stimulus_id=v.stimulus_id,
            )
            for v in db.session.scalars(
                select(QuestionVersion).join(
                    Question, Question.current_version_id == QuestionVersion.id
                )
            )
        ]
        topics = list(db.session.scalars(select(Topic.id).order_by(Topic.position)))
        password_hash = accounts.hash_password(PASSWORD)
        teacher = accounts.create_staff(
            db.session, "big.teacher@school.example", "Gülnar Axundova", password=PASSWORD
        )
        db.session.commit()
        teacher_id = teacher.id
        base_q = (db.session.scalar(select(func.max(Question.id))) or 0) + 1
        base_v = (db.session.scalar(select(func.max(QuestionVersion.id))) or 0) + 1
        levels = ["remember", "understand", "apply", "analyse", "evaluate"]
        db.session.commit()  # outside a request SQLite sessions hold the write lock: let it go

        with db.engine.begin() as conn:
            questions, versions = [], []
            for i in range(QUESTIONS):
                template = templates[i % len(templates)]
                prompt = f"{template.prompt} (bank item {i:05d})"
                questions.append(
                    {"id": base_q + i, "slug": f"big-{i:05d}", "retired": False, "created_at": now}
                )
                versions.append(
                    {
                        "id": base_v + i,
                        "question_id": base_q + i,
                        "number": 1,
                        "qtype": template.qtype,
                        "topic_id": topics[i % len(topics)],
                        "difficulty": i % 3 + 1,
                        "cognitive_level": levels[i % len(levels)],
                        "prompt": prompt,
                        "body": template.body,
                        "explanation": template.explanation,
                        "source_refs": template.source_refs,
                        "tags": [f"tag-{i % 40}", template.qtype],
                        "stimulus_id": template.stimulus_id,
                        "points": 1.0,
                        "search_text": prompt.casefold(),
                        "content_hash": hashlib.sha256(prompt.encode()).hexdigest(),
                        "created_at": now,
                    }
                )
            bulk(conn, Question.__table__, questions)
            bulk(conn, QuestionVersion.__table__, versions)
            conn.execute(
                update(Question.__table__)
                .where(Question.__table__.c.id >= base_q)
                .values(current_version_id=Question.__table__.c.id - base_q + base_v)
            )

            users = [
                {
                    "role": "student",
                    "username": f"pupil{i:04d}",
                    "display_name": f"Şagird {i:04d}",
                    "password_hash": password_hash,
                    "is_active": True,
                    "must_change_password": False,
                    "session_generation": 0,
                    "created_at": now,
                }
                for i in range(STUDENTS)
            ]
            bulk(conn, User.__table__, users)
            student_ids = list(
                conn.scalars(select(User.id).where(User.role == "student").order_by(User.id))
            )
            bulk(
                conn,
                SchoolClass.__table__,
                [
                    {
                        "name": f"{7 + c % 5}{'ABCDEFGHIJKL'[c // 5]} Tarix",
                        "join_code": f"B{c:02d}-{c:03d}",
                        "teacher_id": teacher_id,
                        "joining_open": True,
                        "archived": False,
                        "created_at": now,
                    }
                    for c in range(CLASSES)
                ],
            )
            class_ids = list(conn.scalars(select(SchoolClass.id).order_by(SchoolClass.id)))
            bulk(
                conn,
                Enrolment.__table__,
                [
                    {"class_id": class_ids[i % CLASSES], "student_id": sid, "created_at": now}
                    for i, sid in enumerate(student_ids)
                ],
            )

            quiz_questions = rng.sample(range(QUESTIONS), QUIZZES * SLOTS)
            bulk(
                conn,
                Quiz.__table__,
                [
                    {
                        "title": f"Unit test {q + 1}",
                        "kind": "fixed",
                        "published": True,
                        "created_at": now,
                    }
                    for q in range(QUIZZES)
                ],
            )
            quiz_ids = list(conn.scalars(select(Quiz.id).order_by(Quiz.id)))
            layouts, graded = {}, {}
            items = []
            for q, quiz_id in enumerate(quiz_ids):
                layout = []
                for slot in range(1, SLOTS + 1):
                    index = quiz_questions[q * SLOTS + slot - 1]
                    items.append(
                        {"quiz_id": quiz_id, "position": slot, "question_id": base_q + index}
                    )
                    version = templates[index % len(templates)]
                    layout.append(
                        {
                            "slot": slot,
                            "version_id": base_v + index,
                            "points": 1.0,
                            "shuffle_seed": None,
                        }
                    )
                    kind = get_type(version.qtype)
                    right = kind.correct_answer(version.body)
                    graded[(quiz_id, slot)] = [
                        (right, kind.grade(version.body, right)),
                        (None, kind.grade(version.body, None)),
                    ]
                layouts[quiz_id] = layout
            bulk(conn, QuizItem.__table__, items)

            assignments = []
            for c, class_id in enumerate(class_ids):
                for k in range(ASSIGNMENTS_PER_CLASS):
                    quiz_id = quiz_ids[(c + k) % QUIZZES]
                    assignments.append(
                        {
                            "class_id": class_id,
                            "kind": "quiz",
                            "quiz_id": quiz_id,
                            "title": f"Unit test {(c + k) % QUIZZES + 1}",
                            "instructions": "",
                            "open_at": now - timedelta(days=30 - k),
                            "due_at": now - timedelta(days=20 - k),
                            "attempts_allowed": 1,
                            "grading_method": "highest",
                            "shuffle_questions": False,
                            "shuffle_options": False,
                            "review_score": "after_submit",
                            "review_correctness": "after_submit",
                            "review_answers": "after_due",
                            "review_feedback": "after_due",
                            "created_by_id": teacher_id,
                            "created_at": now,
                        }
                    )
            bulk(conn, Assignment.__table__, assignments)
            by_class: dict[int, list[tuple[int, int]]] = {}
            for aid, cid, qid in conn.execute(
                select(Assignment.id, Assignment.class_id, Assignment.quiz_id).order_by(
                    Assignment.id
                )
            ):
                by_class.setdefault(cid, []).append((aid, qid))

            attempts = []
            for i, sid in enumerate(student_ids):
                for aid, qid in by_class[class_ids[i % CLASSES]]:
                    started = now - timedelta(days=25, minutes=rng.randrange(600))
                    attempts.append(
                        {
                            "public_id": f"big{sid:05d}{aid:04d}",
                            "quiz_id": qid,
                            "assignment_id": aid,
                            "student_id": sid,
                            "is_practice": False,
                            "number": 1,
                            "state": "submitted",
                            "layout": layouts[qid],
                            "seed": rng.randrange(2**31),
                            "started_at": started,
                            "submitted_at": started + timedelta(minutes=25),
                            "submitted_by": "student",
                            "current_page": 0,
                        }
                    )
            bulk(conn, Attempt.__table__, attempts)
            responses, totals = [], {}
            for attempt_id, quiz_id, started in conn.execute(
                select(Attempt.id, Attempt.quiz_id, Attempt.started_at).where(
                    Attempt.public_id.like("big%")
                )
            ):
                skill = (attempt_id * 7919) % 100 / 100
                score = 0.0
                for entry in layouts[quiz_id]:
                    answer, grade = graded[(quiz_id, entry["slot"])][
                        0 if rng.random() < 0.35 + 0.6 * skill else 1
                    ]
                    responses.append(
                        {
                            "attempt_id": attempt_id,
                            "slot": entry["slot"],
                            "version_id": entry["version_id"],
                            "answer": answer,
                            "client_seq": 1,
                            "saved_at": started + timedelta(minutes=entry["slot"]),
                            "score": grade.fraction,
                            "max_score": 1.0,
                            "fraction": grade.fraction,
                            "detail": grade.detail,
                        }
                    )
                    score += grade.fraction
                totals[attempt_id] = score
                if len(responses) >= 50_000:
                    bulk(conn, Response.__table__, responses)
                    responses = []
            bulk(conn, Response.__table__, responses)
            table = Attempt.__table__
            from sqlalchemy import bindparam

            conn.execute(
                update(table)
                .where(table.c.id == bindparam("attempt"))
                .values(score=bindparam("total"), max_score=float(SLOTS)),
                [{"attempt": a, "total": round(t, 4)} for a, t in totals.items()],
            )
            if conn.dialect.name == "postgresql":
                for name in ("question", "question_version"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("ANALYZE"))

        # One open attempt for the quiz page: a student of the first class, a new assignment.
        student = db.session.get(User, student_ids[0])
        quiz = db.session.get(Quiz, quiz_ids[0])
        extra = Assignment(
            class_id=class_ids[0],
            kind="quiz",
            quiz_id=quiz.id,
            title="Today's test",
            attempts_allowed=1,
            created_by_id=teacher_id,
        )
        db.session.add(extra)
        db.session.commit()
        from quizapp.quizzes.attempts import save_answer, start_attempt

        attempt = start_attempt(db.session, quiz, student, extra)
        for slot in range(1, 11):
            answer = graded[(quiz.id, slot)][0][0]
            save_answer(db.session, attempt, slot, answer, seq=1, grace_seconds=30)
        db.session.commit()
        counts = {
            "questions": db.session.scalar(select(func.count()).select_from(Question)),
            "students": len(student_ids),
            "classes": len(class_ids),
            "attempts": db.session.scalar(select(func.count()).select_from(Attempt)),
            "responses": db.session.scalar(select(func.count()).select_from(Response)),
        }
        return {
            "student": student.username,
            "teacher": "big.teacher@school.example",
            "class_id": class_ids[0],
            "assignment_id": by_class[class_ids[0]][0][0],
            "attempt": attempt.public_id,
            "counts": counts,
        }


def sign_in(client, login: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    reply = client.post(
        "/sign-in", data={"login": login, "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 302, reply.status_code


def server_ms(client, path: str, runs: int = 7, warm: int = 2) -> float:
    """Median time of ``runs`` GETs of ``path`` (after ``warm`` unmeasured ones), in ms."""
    for _ in range(warm):
        status = client.get(path).status_code
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def generation_ms(app, runs: int = 7) -> tuple[float, float, int]:
    """Median ms of loading the cards and generating a 20-question quiz, of the pure pick, and
    the number of cards."""
    from quizapp.content.importer import question_cards_from_db
    from quizapp.content.specs import Blueprint, BlueprintRow
    from quizapp.extensions import db
    from quizapp.models import Topic
    from quizapp.quizzes.generation import generate_quiz

    with app.app_context():
        topics = list(db.session.scalars(db.select(Topic.slug).order_by(Topic.position)))
        blueprint = Blueprint(
            [
                BlueprintRow(3, topic, difficulty)
                for topic, difficulty in zip(topics, [1, 2, 3, 1, 2, 3], strict=False)
            ]
            + [BlueprintRow(2, None, None, ("ordering", "matching"))]
        )
        assert blueprint.total == 20
        full, pure = [], []
        for run in range(runs + 2):
            started = time.perf_counter()
            cards = question_cards_from_db(db.session)
            loaded = time.perf_counter()
            generated = generate_quiz(cards, blueprint, seed=run)
            done = time.perf_counter()
            assert generated.complete and len(generated.keys) == 20
            if run >= 2:
                full.append(done - started)
                pure.append(done - loaded)
            db.session.rollback()
        return (
            round(statistics.median(full) * 1000, 1),
            round(statistics.median(pure) * 1000, 1),
            len(cards),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="quizapp-large-") as tmp:
        workdir = Path(tmp)
        url, drop = fresh_database(args.backend, workdir, "large")
        try:
            app = make_app(url, workdir / "instance", PASSWORD_HASH_METHOD=CHEAP_HASH)
            migrate(app)
            started = time.perf_counter()
            ids = seed(app)
            print(
                f"backend {args.backend}; seeded {ids['counts']} in {time.perf_counter() - started:.1f}s"
            )
            pages = {}
            student = app.test_client()
            sign_in(student, ids["student"])
            pages["student_home_ms"] = server_ms(student, "/learn/")
            pages["quiz_page_ms"] = server_ms(student, f"/learn/attempts/{ids['attempt']}?page=2")
            teacher = app.test_client()
            sign_in(teacher, ids["teacher"])
            pages["bank_ms"] = server_ms(teacher, "/teach/bank/")
            pages["bank_search_ms"] = server_ms(teacher, "/teach/bank/?q=decree")
            pages["gradebook_ms"] = server_ms(
                teacher, f"/teach/classes/{ids['class_id']}/gradebook"
            )
            pages["item_analysis_ms"] = server_ms(
                teacher, f"/teach/assignments/{ids['assignment_id']}/analysis"
            )
            generate, pick, cards = generation_ms(app)
            with app.app_context():
                from quizapp.extensions import db

                db.engine.dispose()
        finally:
            drop()

    for name, value in pages.items():
        flag = "ok" if value <= PAGE_TARGET_MS else "OVER"
        print(f"{name[:-3]:>16}: {value:7.1f} ms  (target ≤ {PAGE_TARGET_MS:.0f} ms, {flag})")
    flag = "ok" if pick <= GENERATION_TARGET_MS else "OVER"
    print(
        f"{'generate_quiz':>16}: {pick:7.1f} ms  (20 questions over {cards} cards; target "
        f"≤ {GENERATION_TARGET_MS:.0f} ms, {flag}); with loading the cards from the database "
        f"{generate} ms"
    )
    figures = {
        "backend": args.backend,
        **ids["counts"],
        **pages,
        "generate_ms": pick,
        "generate_with_card_load_ms": generate,
        "page_target_ms": PAGE_TARGET_MS,
        "generate_target_ms": GENERATION_TARGET_MS,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
