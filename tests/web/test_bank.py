"""The question bank through the browser's eyes: access, filters, preview, authoring, YAML.

Requests run outside any test-held app context (a shared context would share ``g``, and with it
the signed-in user, between requests); the database is read inside short app-context blocks.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Question, QuestionVersion
from quizapp.questions import QUESTION_TYPES
from tests.authoring.factories import VALID_TYPE_DATA, common, load_test_bank
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_student,
    gen_teacher,
    sign_in,
)


def form_fields(data: dict) -> dict:
    """Authoring data as posted by the browser (FieldList rows as 'options-0-text' …)."""
    posted = {}
    for key, value in data.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                for sub, sub_value in row.items():
                    if isinstance(sub_value, bool):
                        if sub_value:
                            posted[f"{key}-{index}-{sub}"] = "y"
                    else:
                        posted[f"{key}-{index}-{sub}"] = sub_value
        elif isinstance(value, bool):
            if value:
                posted[key] = "y"
        else:
            posted[key] = value
    return posted


def version_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QuestionVersion))


def question_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Question.id).where(Question.slug == slug))


def latest_own(app, teacher) -> Question:
    """The teacher's newest question, its versions loaded, detached from the session."""
    with app.app_context():
        question = db.session.scalar(
            select(Question).where(Question.owner_id == teacher.id).order_by(Question.id.desc())
        )
        question.numbers = [v.number for v in question.versions]
        question.body = question.current_version.body
        return question


@pytest.fixture
def bank(app):
    """The test bank, a teacher, and another teacher with a question of their own."""
    from quizapp.authoring.questions import save_question

    with app.app_context():
        load_test_bank()
        teacher, other = gen_teacher(), gen_teacher()
        data = common(prompt="The other teacher's own question?")
        data.update(VALID_TYPE_DATA["true_false"])
        _, saved = save_question(db.session, other, "true_false", data)
        db.session.commit()
        return (
            SimpleNamespace(id=teacher.id, email=teacher.email),
            SimpleNamespace(id=other.id, email=other.email),
            SimpleNamespace(id=saved.question.id),
        )


def signed_in(client, user):
    sign_in(client, user.email, STAFF_PASSWORD)
    return client


def test_pages_need_staff_and_others_questions_are_404(app, client, bank):
    teacher, _, theirs = bank
    assert client.get("/teach/bank/").status_code == 302  # to the sign-in page
    with app.app_context():
        student = gen_student().username
    sign_in(client, student, STUDENT_PASSWORD)
    for path in (
        "/teach/bank/",
        "/teach/bank/new/true_false",
        "/teach/bank/import",
        f"/teach/bank/questions/{theirs.id}",
    ):
        assert client.get(path).status_code == 403, path
    client = signed_in(client.application.test_client(), teacher)
    assert client.get(f"/teach/bank/questions/{theirs.id}").status_code == 404
    assert client.get(f"/teach/bank/questions/{theirs.id}/edit").status_code == 404
    token = csrf_token(client, "/teach/bank/new/true_false")
    response = client.post(f"/teach/bank/questions/{theirs.id}/retire", data={"csrf_token": token})
    assert response.status_code == 404
    curated = question_id(app, "n-city")
    assert client.get(f"/teach/bank/questions/{curated}").status_code == 200
    assert client.get(f"/teach/bank/questions/{curated}/edit").status_code == 404


def test_filters_and_search_on_the_page(client, bank):
    teacher, _, _ = bank
    signed_in(client, teacher)
    html = client.get("/teach/bank/?q=power+unit").get_data(as_text=True)
    assert "n-television" in html and "n-decree" not in html
    html = client.get("/teach/bank/?topic=memory&type=true_false").get_data(as_text=True)
    assert "m-silence" in html and "n-saturday" not in html and "1 question match" in html
    html = client.get("/teach/bank/?tag=places&difficulty=1").get_data(as_text=True)
    assert "n-city" in html and "m-match" in html and "n-decree" not in html
    html = client.get("/teach/bank/?owner=mine").get_data(as_text=True)
    assert "0 questions" in html
    assert client.get("/teach/bank/?difficulty=9&type=bogus&page=-3").status_code == 200


def test_question_page_previews_and_counts(app, client, bank):
    teacher, _, _ = bank
    signed_in(client, teacher)
    html = client.get(f"/teach/bank/questions/{question_id(app, 'm-cloze')}").get_data(as_text=True)
    assert "As students see it" in html and "<fieldset disabled>" in html
    assert 'class="print-preview"' in html and "blank-line" in html
    assert "Correct answer:</strong> (1) National Mourning Day; (2) 12:00" in html
    assert "No submitted attempts yet" in html
    assert 'style="' not in html and "<script>" not in html


@pytest.mark.parametrize("qtype", sorted(QUESTION_TYPES))
def test_authoring_every_type_in_the_browser(app, client, bank, qtype):
    teacher, _, _ = bank
    signed_in(client, teacher)
    page = client.get(f"/teach/bank/new/{qtype}")
    assert page.status_code == 200
    data = common(prompt=f"Browser-written {qtype} question?")
    data.update(VALID_TYPE_DATA[qtype])
    posted = form_fields(data) | {"csrf_token": csrf_token(client, f"/teach/bank/new/{qtype}")}
    response = client.post(f"/teach/bank/new/{qtype}", data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    question = latest_own(app, teacher)
    assert question.numbers == [1]
    assert response.headers["Location"].endswith(f"/teach/bank/questions/{question.id}")
    # The edit form shows what was saved; saving it unchanged makes no new version.
    edit = f"/teach/bank/questions/{question.id}/edit"
    html = client.get(edit).get_data(as_text=True)
    assert f"Browser-written {qtype} question?" in html
    response = client.post(edit, data=posted | {"csrf_token": csrf_token(client, edit)})
    assert response.status_code == 302
    assert latest_own(app, teacher).numbers == [1]


def test_invalid_question_rerenders_with_messages_beside_fields(app, client, bank):
    teacher, _, _ = bank
    signed_in(client, teacher)
    before = version_count(app)
    data = common(prompt="Which heroic body issued the decree?", sources="DEC, NOPE-1")
    data["options"] = [
        {"text": "The Presidium", "correct": True},
        {"text": "None of the above", "correct": False},
        {"text": "", "correct": False},
        {"text": "", "correct": False},
        {"text": "", "correct": False},
    ]
    posted = form_fields(data) | {"csrf_token": csrf_token(client, "/teach/bank/new/single_choice")}
    response = client.post("/teach/bank/new/single_choice", data=posted)
    assert response.status_code == 422
    html = response.get_data(as_text=True)

    def errors_of(field_id):
        match = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', html, re.S)
        assert match, field_id
        return match.group(1)

    assert "evaluative word &#39;heroic&#39;" in errors_of("prompt")
    assert "source &#39;NOPE-1&#39; is not in the source list" in errors_of("sources")
    assert "combines or dodges options" in errors_of("options-1-text")
    assert "has 2 options; give 3 to 5" in errors_of("options")
    assert 'aria-invalid="true"' in html and "Please correct" in html
    assert 'value="None of the above"' in html  # what the teacher typed is kept
    assert version_count(app) == before


def test_editing_in_the_browser_makes_version_2(app, client, bank):
    teacher, _, _ = bank
    signed_in(client, teacher)
    data = common(prompt="How many troops entered, roughly?")
    data.update(VALID_TYPE_DATA["numeric"])
    new = "/teach/bank/new/numeric"
    client.post(new, data=form_fields(data) | {"csrf_token": csrf_token(client, new)})
    edit = f"/teach/bank/questions/{latest_own(app, teacher).id}/edit"
    data["tolerance"] = "2"
    response = client.post(
        edit,
        data=form_fields(data) | {"csrf_token": csrf_token(client, edit)},
        follow_redirects=True,
    )
    assert "Saved as version 2." in response.get_data(as_text=True)
    question = latest_own(app, teacher)
    assert question.numbers == [1, 2] and question.body["tolerance"] == 2


def test_yaml_export_and_import_round_trip(app, client, bank):
    teacher, _, _ = bank
    signed_in(client, teacher)
    for qtype in ("single_choice", "cloze", "matching"):
        data = common(prompt=f"Round trip {qtype}?")
        data.update(VALID_TYPE_DATA[qtype])
        new = f"/teach/bank/new/{qtype}"
        assert (
            client.post(
                new, data=form_fields(data) | {"csrf_token": csrf_token(client, new)}
            ).status_code
            == 302
        )
    exported = client.get("/teach/bank/export.yaml")
    assert exported.status_code == 200 and exported.mimetype == "application/yaml"
    text = exported.get_data(as_text=True)
    assert text.count("- id: t") == 3 and "other teacher" not in text
    before = version_count(app)
    response = client.post(
        "/teach/bank/import",
        data={
            "csrf_token": csrf_token(client, "/teach/bank/import"),
            "file": (io.BytesIO(text.encode()), "mine.yaml"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Imported: 3 unchanged." in response.get_data(as_text=True)
    assert version_count(app) == before

    broken = text.replace("topic: night", "topic: nowhere", 1)
    response = client.post(
        "/teach/bank/import",
        data={
            "csrf_token": csrf_token(client, "/teach/bank/import"),
            "file": (io.BytesIO(broken.encode()), "mine.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "unknown topic &#39;nowhere&#39;" in response.get_data(as_text=True)
    assert version_count(app) == before
