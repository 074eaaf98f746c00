"""No N+1: the heaviest pages run as many SQL statements with a few rows as with many.

Each test loads a page, grows the data behind it (more assignments, attempts, questions,
students, responses), loads it again, and compares the statement counts (SQLAlchemy's
``before_cursor_execute`` on the app's engine). A page whose count grows with the rows issues
a query per row. Counts only: speed targets live in bench/.

Requests from the test client share the test's database session (one app context), so each
count starts from an expired session: nothing the test loaded is reused unseen.
"""

from __future__ import annotations

import contextlib

import pytest
from flask import g
from sqlalchemy import event, select

from quizapp.extensions import db
from quizapp.models import Assignment, Enrolment, Question, QuestionVersion, Quiz, QuizItem
from quizapp.questions import get_type
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt, versions_for
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_class,
    gen_student,
    gen_teacher,
    import_curated_content,
    import_examples,
    sign_in,
)


@contextlib.contextmanager
def counting(app):
    """Count the SQL statements sent while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Statements(list):
    """The statements of one page load; equal when their counts are (shown in full if not)."""

    def __eq__(self, other):
        return len(self) == len(other)

    def __hash__(self):
        return len(self)

    def __repr__(self):
        return f"{len(self)} statements:\n  " + "\n  ".join(s.split("\n")[0][:150] for s in self)


def statements_for(app, client, path: str) -> Statements:
    """Statements of one GET of ``path`` (after a warm-up GET), which must answer 200."""
    assert client.get(path).status_code == 200
    # The requests share the test's session: forget every loaded row, so the page has to
    # load what it shows (an identity map warmed by the test would hide an N+1).
    db.session.commit()
    db.session.expire_all()
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    assert len(statements) > 0
    return Statements(statements)


def make_quiz(title: str, questions: list[Question]) -> Quiz:
    """A fixed quiz of ``questions``."""
    quiz = Quiz(title=title, kind="fixed")
    db.session.add(quiz)
    db.session.flush()
    for position, question in enumerate(questions, start=1):
        db.session.add(QuizItem(quiz_id=quiz.id, position=position, question_id=question.id))
    db.session.commit()
    return quiz


def assign(quiz: Quiz, school_class, **rules) -> Assignment:
    """Set ``quiz`` for ``school_class``."""
    assignment = Assignment(
        class_id=school_class.id, kind="quiz", quiz_id=quiz.id, title=quiz.title, **rules
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


def sit(quiz, student, assignment, answered: int | None = None, submit: bool = True):
    """An attempt with ``answered`` right answers (all by default), submitted unless told."""
    attempt = start_attempt(db.session, quiz, student, assignment)
    versions = versions_for(db.session, attempt)
    for entry in attempt.layout[:answered]:
        version = versions[entry["version_id"]]
        answer = get_type(version.qtype).correct_answer(version.body)
        save_answer(db.session, attempt, entry["slot"], answer, seq=1, grace_seconds=30)
    if submit:
        submit_attempt(db.session, attempt)
    db.session.commit()
    return attempt


def curated_questions(count: int, offset: int = 0) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.current_version_id.is_not(None), Question.slug.not_like("example-%"))
            .order_by(Question.id)
            .offset(offset)
            .limit(count)
        )
    )


@pytest.fixture
def school(ctx):
    """Curated content, a teacher and one class with two students."""
    import_examples()
    import_curated_content()
    teacher = gen_teacher()
    school_class = gen_class(teacher)
    students = [gen_student(school_class) for _ in range(2)]
    return {"teacher": teacher, "class": school_class, "students": students}


def as_student(client, student):
    sign_in(client, student.username, STUDENT_PASSWORD)
    return client


def as_teacher(client, teacher):
    sign_in(client, teacher.email, STAFF_PASSWORD)
    return client


def test_student_home(app, client, school):
    student = school["students"][0]
    for number in range(2):
        quiz = make_quiz(f"Quiz {number}", curated_questions(4, offset=4 * number))
        assignment = assign(quiz, school["class"])
        sit(quiz, student, assignment)
    as_student(client, student)
    few = statements_for(app, client, "/learn/")

    other_class = gen_class(school["teacher"], name="9B")
    db.session.add(Enrolment(class_id=other_class.id, student_id=student.id))
    db.session.commit()
    for number in range(2, 10):
        quiz = make_quiz(f"Quiz {number}", curated_questions(4, offset=4 * number))
        target = school["class"] if number % 2 else other_class
        assignment = assign(quiz, target, attempts_allowed=2)
        if number % 3:
            sit(quiz, student, assignment, submit=number % 2 == 0, answered=2)
    many = statements_for(app, client, "/learn/")
    assert many == few


def with_stimulus(count: int) -> list[Question]:
    """Questions whose current version quotes a source excerpt (its own query to load)."""
    return list(
        db.session.scalars(
            select(Question)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(QuestionVersion.stimulus_id.is_not(None))
            .order_by(Question.id)
            .limit(count)
        )
    )


def test_quiz_page(app, client, school):
    student = school["students"][0]
    quoted = with_stimulus(2)
    plain = [q for q in curated_questions(40) if q not in quoted]
    short = make_quiz("Short", [quoted[0], *plain[:4]])
    long = make_quiz("Long", [*plain[4:24], quoted[1], *plain[24:28]])
    first = sit(short, student, assign(short, school["class"]), answered=1, submit=False)
    second = sit(long, student, assign(long, school["class"]), answered=25, submit=False)
    as_student(client, student)
    few = statements_for(app, client, f"/learn/attempts/{first.public_id}?page=1")
    many = statements_for(app, client, f"/learn/attempts/{second.public_id}?page=5")
    assert many == few


def test_question_bank(app, client, school):
    from quizapp.authoring import bank as bank_service

    teacher = school["teacher"]
    as_teacher(client, teacher)
    everything = curated_questions(1000)
    shown = with_stimulus(1) + [q for q in everything if q.current_version.stimulus_id is None][:2]
    for question in everything:
        question.retired = question not in shown
    db.session.commit()
    few = statements_for(app, client, "/teach/bank/")

    for question in everything:
        question.retired = False
    db.session.commit()
    # A page of 25 rows that shows a quoted source too, as the small page did.
    page = next(
        number
        for number in range(1, 50)
        if any(
            row.version.stimulus_id
            for row in bank_service.search_bank(
                db.session, teacher, bank_service.BankFilters(), number
            ).rows
        )
    )
    many = statements_for(app, client, f"/teach/bank/?page={page}")
    assert many == few


def test_gradebook(app, client, school):
    teacher, school_class = school["teacher"], school["class"]
    quiz = make_quiz("Exam", curated_questions(6))
    first = assign(quiz, school_class)
    for student in school["students"]:
        sit(quiz, student, first)
    as_teacher(client, teacher)
    path = f"/teach/classes/{school_class.id}/gradebook"
    few = statements_for(app, client, path)

    more = [gen_student(school_class) for _ in range(10)]
    for number in range(3):
        other = make_quiz(f"Test {number}", curated_questions(5, offset=6 + 5 * number))
        assignment = assign(other, school_class, attempts_allowed=3)
        for student in [*school["students"], *more][number::2]:
            sit(other, student, assignment)
            sit(other, student, assignment, answered=2)
    many = statements_for(app, client, path)
    assert many == few


def test_item_analysis(app, client, school):
    teacher, school_class = school["teacher"], school["class"]
    quiz = make_quiz("Exam", curated_questions(8))
    assignment = assign(quiz, school_class, attempts_allowed=0)
    for student in school["students"]:
        sit(quiz, student, assignment, answered=4)
    as_teacher(client, teacher)
    path = f"/teach/assignments/{assignment.id}/analysis"
    few = statements_for(app, client, path)

    for number in range(12):
        student = gen_student(school_class)
        sit(quiz, student, assignment, answered=number % 8 + 1)
    many = statements_for(app, client, path)
    assert many == few


def test_autosave_is_one_statement_once_the_attempt_is_known(app, client, school):
    """The request every student sends every few seconds. The first save of an attempt on a
    server reads it (one SELECT that also checks the session's sign-in) and writes; every later
    save is a single INSERT … ON CONFLICT that checks the sign-in, the attempt and the deadline
    itself. No user load, no ORM. A replayed save still answers "stale"."""
    student = school["students"][0]
    quiz = make_quiz("Autosave", curated_questions(6))
    attempt = sit(quiz, student, assign(quiz, school["class"]), answered=0, submit=False)
    as_student(client, student)
    g.pop("csrf_token", None)  # Flask-WTF keeps it in g, which this module's requests share
    token = csrf_token(client, "/account/password")
    entry = attempt.layout[0]
    version = db.session.get(QuestionVersion, entry["version_id"])
    answer = get_type(version.qtype).correct_answer(version.body)
    url = f"/api/attempts/{attempt.public_id}/answers"
    headers = {"X-CSRFToken": token}

    def save(seq):
        db.session.commit()
        with counting(app) as statements:
            reply = client.post(
                url, json={"slot": entry["slot"], "answer": answer, "seq": seq}, headers=headers
            )
        assert reply.status_code == 200, reply.json
        return reply.json, statements

    first, statements = save(1)
    assert first["saved"] is True
    assert statements[0].startswith("SELECT") and "user_account" in statements[0]
    assert statements[-1].startswith("INSERT")
    later, statements = save(2)
    assert later["saved"] is True
    assert len(statements) == 1, Statements(statements)
    assert statements[0].startswith("INSERT") and "ON CONFLICT" in statements[0]
    assert "user_account" in statements[0] and "session_generation" in statements[0]
    replay, _ = save(2)
    assert replay["saved"] is False and replay["stale"] is True


def test_submission_statements_do_not_grow_with_questions(app, client, school):
    """Grading reads the versions and responses in one query each and writes the grades in
    batches, however many questions the quiz has."""
    student = school["students"][0]
    counts = []
    for size, offset in ((4, 0), (24, 4)):
        quiz = make_quiz(f"Submit {size}", curated_questions(size, offset=offset))
        attempt = sit(quiz, student, assign(quiz, school["class"]), answered=size - 2, submit=False)
        db.session.expire_all()
        with counting(app) as statements:
            submit_attempt(db.session, db.session.get(type(attempt), attempt.id))
            db.session.commit()
        counts.append(Statements(statements))
    assert counts[0] == counts[1]


def test_api_submission_reads_the_attempt_in_one_query_and_loads_no_user(app, client, school):
    """The submission a whole class sends at once: the attempt is read in the autosave's one
    query, which checks the session's sign-in itself (no user row loaded by Flask-Login), then
    the responses once; then the close and the grades (on PostgreSQL one statement, without
    BEGIN and COMMIT). Submitting again writes nothing."""
    student = school["students"][0]
    quiz = make_quiz("API submit", curated_questions(6))
    attempt = sit(quiz, student, assign(quiz, school["class"]), answered=4, submit=False)
    as_student(client, student)
    g.pop("csrf_token", None)  # Flask-WTF keeps it in g, which this module's requests share
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    url = f"/api/attempts/{attempt.public_id}/submit"
    db.session.commit()
    with counting(app) as statements:
        reply = client.post(url, json={}, headers=headers)
    assert reply.status_code == 200 and reply.json["state"] == "submitted", reply.json
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert "session_generation" in reads[0] and "attempt" in reads[0], Statements(statements)
    assert not [s for s in reads if "FROM user_account" in s], Statements(statements)
    writes = [s for s in statements if s.lstrip().startswith(("UPDATE", "INSERT", "WITH"))]
    if db.engine.dialect.name == "postgresql":
        assert len(writes) == 1, Statements(statements)  # the close and the grades at once
        assert writes[0].startswith("WITH changed AS (UPDATE attempt")
    else:
        assert len(writes) == 2, Statements(statements)
    with counting(app) as again:
        assert client.post(url, json={}, headers=headers).json == reply.json
    assert not [s for s in again if s.lstrip().startswith(("UPDATE", "INSERT", "WITH"))]


def test_starting_an_attempt_does_not_grow_with_questions(app, client, school):
    """The synchronised start: the question order is built from one query of the quiz's
    questions and their current versions, however many questions the quiz has."""
    counts = []
    for number, (size, offset) in enumerate(((4, 0), (24, 4))):
        quiz = make_quiz(f"Start {size}", curated_questions(size, offset=offset))
        assignment = assign(quiz, school["class"])
        student = school["students"][number]
        db.session.commit()
        db.session.expire_all()
        with counting(app) as statements:
            attempt = start_attempt(db.session, quiz, student, assignment)
            db.session.commit()
        assert len(attempt.layout) == size
        counts.append(Statements(statements))
    assert counts[0] == counts[1]


def test_grading_reuses_the_versions_the_autosave_read(app, client, school):
    """Question versions never change: once this server's autosaves have read them, grading
    takes them from memory (a submission then reads no question_version row)."""
    student = school["students"][0]
    quiz = make_quiz("Submit cached", curated_questions(6))
    attempt = sit(quiz, student, assign(quiz, school["class"]), answered=6, submit=False)
    db.session.expire_all()
    with counting(app) as statements:
        submit_attempt(db.session, db.session.get(type(attempt), attempt.id))
        db.session.commit()
    assert not [s for s in statements if "question_version" in s], Statements(statements)
    graded = db.session.get(type(attempt), attempt.id)
    assert graded.state == "submitted" and graded.max_score > 0
    assert graded.score == graded.max_score  # every answer right, graded from the cache


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_autosave_reads_one_user_row_however_many_students(app, client, school):
    """The autosave's statement finds the student by primary key: on a database whose
    statistics are not yet gathered (a school's first exam after importing its classes),
    PostgreSQL once preferred an index on the role and read every student's row per save."""
    for _ in range(60):
        gen_student(school["class"])
    student = school["students"][0]
    quiz = make_quiz("Plan", curated_questions(2))
    attempt = sit(quiz, student, assign(quiz, school["class"]), answered=0, submit=False)
    as_student(client, student)
    g.pop("csrf_token", None)
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    entry = attempt.layout[0]
    version = db.session.get(QuestionVersion, entry["version_id"])
    answer = get_type(version.qtype).correct_answer(version.body)
    url = f"/api/attempts/{attempt.public_id}/answers"
    db.session.commit()
    client.post(url, json={"slot": entry["slot"], "answer": answer, "seq": 1}, headers=headers)
    sent = []
    engine = db.engine
    listener = lambda conn, cursor, statement, parameters, context, many: sent.append(  # noqa: E731
        (statement, parameters)
    )
    event.listen(engine, "before_cursor_execute", listener)
    try:
        body = {"slot": entry["slot"], "answer": answer, "seq": 2}
        assert client.post(url, json=body, headers=headers).json["saved"] is True
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    ((statement, parameters),) = sent
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0][0]["Plan"]
        conn.rollback()
    scans = [n for n in _plan_nodes(plan) if n.get("Relation Name") == "user_account"]
    assert scans, plan
    for scan in scans:
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        assert read <= 1, f"{scan['Node Type']} {scan.get('Index Name')} read {read} rows"
