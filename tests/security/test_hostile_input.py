"""Hostile input (Hypothesis): the content loader, the CSV roster import, the question
authoring forms and the quiz answer endpoints survive anything — no 500, no traceback — and
Markdown/HTML from content never brings script into a page or a PDF's HTML."""

from __future__ import annotations

import contextlib
import json
import re
from html.parser import HTMLParser

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quizapp.content import load_content, validate_bundle
from quizapp.content.loader import TOP_LEVEL_KEYS
from quizapp.extensions import db
from quizapp.models import Enrolment, QuestionVersion, SchoolClass
from quizapp.rendering import markdown_inline, markdown_to_html
from quizapp.teaching.roster_import import parse_roster
from tests.helpers import csrf_token
from tests.security.conftest import login_as

FIXTURE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE)
WEB = settings(max_examples=15, deadline=None, suppress_health_check=FIXTURE)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[c](JaVaScRiPt:alert(1))",
    "[c]( javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<p style="color:red" onclick="x()">p</p>',
    "![i](javascript:alert(1))",
    "[d](data:text/html;base64,PHNjcmlwdD4=)",
    "<object data=x></object>",
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
    "`<script>`",
    "&lt;script&gt;",
    "\x00<script>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "[x](vbscript:msgbox)",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40)), min_size=1, max_size=6
).map(lambda parts: "".join(parts))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as the browser's parser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


DANGEROUS_TAGS = {"iframe", "object", "embed", "style", "svg", "math", "base", "frame", "applet"}
PAGE_ONLY_TAGS = {"script", "form", "link", "meta"}  # the layout's own, never from content


def assert_safe_html(
    html: str, where: str = "", *, page: bool = False, printed: bool = False
) -> None:
    """No script-capable tag, event handler, style attribute or script URL. In a whole page
    the layout's own tags are allowed (a script only from /static/); a print document (for
    WeasyPrint, never a browser) has its own stylesheet."""
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        if printed and tag == "style":
            continue
        assert tag not in DANGEROUS_TAGS, (where, tag)
        if tag in PAGE_ONLY_TAGS:
            assert page, (where, tag, html[:300])
            if tag == "script":
                assert (dict(attrs).get("src") or "").startswith("/static/"), (where, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (where, name)
            assert name != "style", (where, tag)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                cleaned = re.sub(r"[\x00-\x20]", "", value or "").lower()
                assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), (where, value)


# --- Markdown and HTML sanitising -------------------------------------------------------------


@FAST
@given(hostile_text)
def test_markdown_never_emits_script(text):
    assert_safe_html(str(markdown_to_html(text)), "block")
    assert_safe_html(str(markdown_inline(text)), "inline")


def test_known_payloads_are_neutralised():
    for payload in PAYLOADS:
        html = str(markdown_to_html(payload)) + str(markdown_inline(payload))
        assert_safe_html(html, payload)
        assert "<script" not in html.lower()


@FAST
@given(prompt=hostile_text, option=hostile_text, explanation=hostile_text)
def test_print_html_of_hostile_questions_is_safe(prompt, option, explanation):
    from quizapp.pdf.documents import PrintQuestion, layout_question
    from quizapp.pdf.html import environment, render_html

    question = PrintQuestion(
        slug="hostile",
        qtype="single_choice",
        prompt=prompt,
        body={
            "options": [
                {"key": "a1b2c3d4", "text": option, "correct": True},
                {"key": "e5f6a7b8", "text": explanation, "correct": False},
            ]
        },
        explanation=explanation,
        stimulus={
            "slug": "s",
            "title": option,
            "body_html": markdown_to_html(prompt),
            "citation_html": markdown_inline(option),
        },
    )
    import random

    laid = layout_question(question, 1, random.Random(1), with_key=True)
    html = environment().get_template("print/_question.html").render(q=laid)
    assert_safe_html(html, "print question")
    del render_html  # the full documents use the same partial (covered in the page test below)


def test_hostile_question_is_safe_on_every_page_and_printout(app, client, world):
    """A teacher's question full of payloads: bank page, preview, student quiz page, PDF HTML."""
    login_as(client, world.teacher)
    payload = " ".join(p for p in PAYLOADS if "\x00" not in p)  # NUL is refused outright
    token = csrf_token(client, "/teach/bank/new/single_choice")
    form = {
        "csrf_token": token,
        "prompt": "Which? " + payload,
        "explanation": "Because " + payload,
        "topic": "night-of-19-20-january",
        "difficulty": "1",
        "cognitive": "remember",
        "points": "1",
        "sources": "DEC",
        "tags": "hostile",
        "stimulus": "",
        "options-0-text": "Right " + PAYLOADS[1],
        "options-0-correct": "y",
        "options-0-feedback": PAYLOADS[2],
        "options-1-text": "Wrong " + PAYLOADS[0],
        "options-1-feedback": PAYLOADS[5],
        "options-2-text": "Also wrong " + PAYLOADS[9],
    }
    response = client.post("/teach/bank/new/single_choice", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    question_url = response.headers["Location"]
    question_id = int(re.search(r"/questions/(\d+)", question_url).group(1))
    for path in (question_url, f"/teach/bank/questions/{question_id}/edit", "/teach/bank/?q=which"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_safe_html(page.get_data(as_text=True), path, page=True)
    # Put it in a quiz, assign it, and take it as a student.
    from quizapp.models import Assignment, Quiz, QuizItem

    with app.app_context():
        quiz = Quiz(title="Hostile quiz", owner_id=world.teacher_id)
        quiz.items = [QuizItem(position=1, question_id=question_id)]
        db.session.add(quiz)
        db.session.flush()
        db.session.add(
            Assignment(class_id=world.class_id, kind="quiz", quiz_id=quiz.id, title="Hostile")
        )
        db.session.commit()
        quiz_id = quiz.id
        from quizapp.pdf import service

        quiz = db.session.get(Quiz, quiz_id)
        options = service.PrintOptions.parse()
        assert_safe_html(
            service.worksheet_html(quiz, options), "worksheet", page=True, printed=True
        )
        assert_safe_html(service.key_html(quiz, ["A"], options), "key", page=True, printed=True)
    preview = client.get(f"/teach/build/quizzes/{quiz_id}/preview")
    assert preview.status_code == 200
    assert_safe_html(preview.get_data(as_text=True), "preview", page=True)
    student = app.test_client()
    login_as(student, world.student)
    home = student.get("/learn/").get_data(as_text=True)
    assignment_id = int(re.findall(r"/learn/assignments/(\d+)", home)[-1])
    token = csrf_token(student, f"/learn/assignments/{assignment_id}")
    started = student.post(f"/learn/assignments/{assignment_id}/start", data={"csrf_token": token})
    page = student.get(started.headers["Location"]).get_data(as_text=True)
    assert "Which?" in page
    assert_safe_html(page, "quiz page", page=True)


# --- content loader ---------------------------------------------------------------------------

known_keys = st.sampled_from(
    [
        "id",
        "type",
        "topic",
        "difficulty",
        "cognitive",
        "prompt",
        "explanation",
        "sources",
        "tags",
        "stimulus",
        "points",
        "options",
        "accept",
        "answer",
        "items",
        "pairs",
        "blanks",
        "text",
        "title",
        "key",
        "questions",
        "seed",
        "blueprint",
        "steps",
        "lessons",
        "quizzes",
        "tolerance",
        "unit",
        "correct",
        "minutes",
        "objectives",
        "sections",
        "body",
        "checks",
    ]
)
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.one_of(known_keys, st.text(max_size=6)), children, max_size=5)
    ),
    max_leaves=25,
)
yaml_documents = st.dictionaries(
    st.one_of(st.sampled_from(TOP_LEVEL_KEYS), st.text(max_size=6)),
    st.lists(st.dictionaries(known_keys, yaml_values, max_size=8), max_size=3) | yaml_values,
    max_size=3,
).map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False))


def _check_problems(bundle):
    for problem in [*bundle.problems, *validate_bundle(bundle)]:
        text = str(problem)
        assert problem.path and isinstance(problem.line, int) and problem.line >= 0, text
        assert re.match(r"^.+:\d+: ", text), text


@FAST
@given(
    content=st.one_of(
        yaml_documents,
        st.text(max_size=300),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    ),
    suffix=st.sampled_from([".yaml", ".yml"]),
)
def test_content_loader_survives_any_yaml(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("content") / f"hostile{suffix}"
    path.write_text(content, encoding="utf-8")
    _check_problems(load_content([path]))


@FAST
@given(
    front=yaml_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    body=st.lists(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(["## Section", "### Check", "---", "```", "checks: [x]", *PAYLOADS]),
        ),
        max_size=8,
    ).map("\n".join),
    broken=st.booleans(),
)
def test_content_loader_survives_any_lesson(tmp_path_factory, front, body, broken):
    path = tmp_path_factory.mktemp("lesson") / "hostile.md"
    text = ("---\n" + front + ("" if broken else "---\n") + body) if front else body
    path.write_text(text, encoding="utf-8")
    _check_problems(load_content([path]))


@FAST
@given(st.binary(max_size=300))
@example(b"questions:\n- type: []\n- type: {a: 1}\n  id: [x]\n")
@example(b"\x00")
@example(b"topics:\n  - id: a\x85b\n")
def test_content_loader_survives_any_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("bytes") / "hostile.yaml"
    path.write_bytes(raw)
    bundle = load_content([path])
    _check_problems(bundle)


# --- CSV roster import ------------------------------------------------------------------------

csv_cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "name",
            "Name",
            "username",
            "=cmd|' /C calc'!A0",
            "+1",
            "@SUM(A1)",
            '"',
            "\ufeff",
            "a;b",
            "x\ty",
        ]
    ),
)
csv_files = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(csv_cells, max_size=4), max_size=12).map(
        lambda rows: "\n".join(st_join(row) for row in rows).encode("utf-8", "surrogatepass")
    ),
)


def st_join(row):
    return ",".join(row)


@FAST
@given(csv_files)
def test_roster_parser_survives_any_file(data):
    with contextlib.suppress(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = parse_roster(data)
    for problem in parsed.problems:
        assert isinstance(problem.message, str) and problem.message
    for row in parsed.rows:
        assert 0 < len(row.name) <= 200


@WEB
@given(csv_files)
def test_roster_import_page_never_fails(app, client, world, data):
    if not getattr(test_roster_import_page_never_fails, "_signed_in", {}).get(id(client)):
        login_as(client, world.teacher)
        test_roster_import_page_never_fails._signed_in = {id(client): True}
    import io

    url = f"/teach/classes/{world.class_id}/import"
    token = csrf_token(client, url)
    with app.app_context():
        before = db.session.scalar(select(func.count()).where(Enrolment.class_id == world.class_id))
    response = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    with app.app_context():
        after = db.session.scalar(select(func.count()).where(Enrolment.class_id == world.class_id))
        school_class = db.session.get(SchoolClass, world.class_id)
        assert school_class is not None
    if response.status_code == 302:
        assert after > before
        client.post(f"/teach/classes/{world.class_id}/cards/dismiss", data={"csrf_token": token})
    else:
        assert after == before  # all or nothing


# --- authoring forms --------------------------------------------------------------------------

FORM_FIELDS = [
    "prompt",
    "explanation",
    "topic",
    "difficulty",
    "cognitive",
    "points",
    "sources",
    "tags",
    "stimulus",
    "accept",
    "case_sensitive",
    "ignore_diacritics",
    "text",
    "blanks",
    "tolerance",
    "answer",
    "unit",
    "options-0-text",
    "options-0-correct",
    "options-0-feedback",
    "options-1-text",
    "options-1-correct",
    "options-7-text",
    "items-0-text",
    "pairs-0-left",
    "pairs-0-right",
    "items-99-text",
]
form_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["1", "0", "-1", "1e309", "nan", "y", "night-of-19-20-january", "remember", *PAYLOADS]
    ),
)


@WEB
@given(
    qtype=st.sampled_from(
        [
            "single_choice",
            "multiple_response",
            "true_false",
            "short_answer",
            "numeric",
            "ordering",
            "matching",
            "cloze",
            "no-such-type",
        ]
    ),
    fields=st.dictionaries(st.sampled_from(FORM_FIELDS), form_values, max_size=12),
)
def test_authoring_forms_never_fail(app, client, world, qtype, fields):
    if client.get("/teach/").status_code != 200:
        login_as(client, world.teacher)
    url = f"/teach/bank/new/{qtype}"
    page = client.get(url)
    if page.status_code == 404:
        assert qtype == "no-such-type"
        return
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, **fields})
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    if response.status_code == 200 or response.status_code == 422:
        assert_safe_html(response.get_data(as_text=True), url, page=True)
    edit = f"/teach/bank/questions/{world.own_question_id}/edit"
    response = client.post(edit, data={"csrf_token": token, **fields})
    assert response.status_code < 500, response.get_data(as_text=True)[:800]


@WEB
@given(st.one_of(st.binary(max_size=200), yaml_documents.map(str.encode)))
@example(b"questions:\n  - id: x\x00\n")
@example(b"\x07\x1b")
def test_bank_yaml_import_never_fails(app, client, world, raw):
    import io

    if client.get("/teach/").status_code != 200:
        login_as(client, world.teacher)
    token = csrf_token(client, "/teach/bank/import")
    response = client.post(
        "/teach/bank/import",
        data={"csrf_token": token, "file": (io.BytesIO(raw), "questions.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:800]


# --- answer endpoints ------------------------------------------------------------------------


def _start(client, world) -> str:
    token = csrf_token(client, f"/learn/assignments/{world.assignment_id}")
    response = client.post(
        f"/learn/assignments/{world.assignment_id}/start", data={"csrf_token": token}
    )
    return re.search(r"/learn/attempts/([^/?]+)", response.headers["Location"]).group(1)


def _ready(client, world, cache={}):  # noqa: B006 - one attempt per client, kept across examples
    key = id(client)
    if key not in cache:
        login_as(client, world.student)
        public_id = _start(client, world)
        cache.clear()
        cache[key] = (public_id, csrf_token(client, f"/learn/attempts/{public_id}"))
    return cache[key]


@WEB
@given(
    body=st.one_of(
        json_values.map(lambda v: json.dumps(v, allow_nan=True)),
        st.fixed_dictionaries(
            {"slot": st.one_of(st.integers(1, 12), json_values), "seq": json_values},
            optional={"answer": json_values, "fields": json_values},
        ).map(lambda v: json.dumps(v, allow_nan=True)),
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    )
)
def test_answer_api_answers_json_and_never_500(app, client, world, body):
    public_id, token = _ready(client, world)
    response = client.post(
        f"/api/attempts/{public_id}/answers",
        data=body.encode("utf-8", "surrogatepass"),
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )
    assert response.status_code < 500, (body, response.get_data(as_text=True)[:500])
    assert response.is_json
    assert 200 <= response.status_code < 300 or "error" in response.get_json()


@WEB
@given(
    fields=st.dictionaries(
        st.one_of(
            st.sampled_from(
                [f"a{n}" for n in range(1, 10)]
                + [f"seq{n}" for n in range(1, 10)]
                + ["a3-0", "a7-x", "a8-1", "go"]
            ),
            st.text(max_size=8),
        ),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ["next", "prev", "finish", "check-1", "page-999", "check-x", "-1", "1e9"]
            ),
        ),
        max_size=10,
    ),
    page=st.one_of(st.integers(-5, 9), st.text(max_size=4)),
)
def test_quiz_page_form_never_fails(app, client, world, fields, page):
    public_id, token = _ready(client, world)
    assume(fields.get("go") != "finish")
    response = client.post(
        f"/learn/attempts/{public_id}?page={page}", data={"csrf_token": token, **fields}
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.status_code in (200, 302, 400)


def test_edge_values_on_every_slot_never_fail(app, client, world):
    """Values one backend stores and another refuses: NaN, infinities, NUL, huge numbers."""
    public_id, token = _ready(client, world)
    with app.app_context():
        from quizapp.models import Attempt

        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        slots = [e["slot"] for e in attempt.layout]
    bodies = [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        '"\\u0000"',
        '"a\\u0000b"',
        '["\\u0000"]',
        '{"0": NaN}',
        "123456789012345678901234567890",
        '"\\ud800"',
    ]
    seq = 1000
    for slot in slots:
        for answer in bodies:
            seq += 1
            body = f'{{"slot": {slot}, "seq": {seq}, "answer": {answer}}}'
            response = client.post(
                f"/api/attempts/{public_id}/answers",
                data=body,
                headers={"X-CSRFToken": token, "Content-Type": "application/json"},
            )
            assert response.status_code < 500 and response.is_json, (
                slot,
                answer,
                response.get_data(as_text=True)[:300],
            )
        for value in (
            "\x00",
            "a\x00b",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        ):
            response = client.post(
                f"/learn/attempts/{public_id}?page={(slot - 1) // 5 + 1}",
                data={
                    "csrf_token": token,
                    f"a{slot}": value,
                    f"seq{slot}": str(seq + 1),
                    "go": "next",
                },
            )
            seq += 1
            assert response.status_code < 500, (slot, value)


def test_nul_and_control_characters_in_forms_and_uploads(app, client, world, backend):
    import io

    login_as(client, world.teacher)
    token = csrf_token(client, f"/teach/classes/{world.class_id}/import")
    for data in (
        b"name\nAl\x1bice Smith\n",
        "Çə\u202eşğ Ü\n".encode(),
        b"Ali\x00ce Smith\nBob Brown\n",
    ):
        response = client.post(
            f"/teach/classes/{world.class_id}/import",
            data={"csrf_token": token, "file": (io.BytesIO(data), "roster.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code < 500, data
        if b"\x00" in data or b"\x1b" in data:
            assert "control or invisible characters" in response.get_data(as_text=True)
    response = client.post(
        f"/teach/classes/{world.class_id}/rename", data={"csrf_token": token, "name": "9A\x00"}
    )
    assert response.status_code == 400
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/join")
    response = anonymous.post(
        "/join",
        data={
            "csrf_token": token,
            "join_code": "AAA-AAA",
            "display_name": "A\x00B",
            "password": "tea-garden-window",
            "confirm": "tea-garden-window",
        },
    )
    assert response.status_code == 400


def test_stored_versions_untouched_by_fuzzing(app, world):
    """Sanity: the fixture's question versions are immutable rows (checked by other tests)."""
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) > 0
