"""The WeasyPrint layer without an app: restricted fetcher, fonts, determinism, class sets."""

from __future__ import annotations

import pytest

from quizapp.pdf import render
from quizapp.pdf.documents import PrintQuestion, sheet_context
from quizapp.pdf.html import qr_code, render_html
from tests.pdf.conftest import page_sizes, pdf_pages_text, pdf_text

AZ = "ə ğ ı ö ş ü ç Ə Ğ İ Ö Ş Ü Ç"
RU = "Чрезвычайное положение в Баку"


def _questions() -> list[PrintQuestion]:
    return [
        PrintQuestion(
            slug="q-az",
            qtype="short_answer",
            prompt=f"Write the name of the alley: {AZ}",
            body={
                "accept": ["Şəhidlər Xiyabanı"],
                "case_sensitive": False,
                "ignore_diacritics": True,
            },
            explanation="Secret explanation text.",
        ),
        PrintQuestion(
            slug="q-ru",
            qtype="true_false",
            prompt=f"The headline read «{RU}».",
            body={"answer": True},
        ),
        PrintQuestion(
            slug="q-sc",
            qtype="single_choice",
            prompt="Pick one.",
            body={
                "options": [
                    {"key": "k1", "text": "Alpha option", "correct": True},
                    {"key": "k2", "text": "Beta option", "correct": False},
                    {"key": "k3", "text": "Gamma option", "correct": False},
                ]
            },
        ),
    ]


def _html(size="a4", variant="A", student=None, seed=7, qr=None):
    context = sheet_context(
        title="Test sheet",
        questions=_questions(),
        seed=seed,
        variant=variant,
        size=size,
        student_name=student,
        qr=qr,
    )
    return render_html("worksheet.html", context)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/evil.css",
        "https://example.com/font.ttf",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ],
)
def test_fetcher_refuses_anything_outside_the_assets(url):
    with pytest.raises(render.FetchRefused):
        render.url_fetcher().fetch(url)


def test_fetcher_refuses_paths_that_climb_out_of_the_assets():
    escape = render.base_url() + "css/../../pyproject.toml"
    with pytest.raises(render.FetchRefused):
        render.url_fetcher().fetch(escape)
    with pytest.raises(render.FetchRefused):
        render.url_fetcher().fetch(render.base_url() + "fonts/../../quizapp/config.py")


def test_fetcher_serves_the_stylesheet_fonts_and_data_uris():
    css = render.url_fetcher().fetch(render.base_url() + "css/print.css")
    assert b"@font-face" in css.read()
    font = render.url_fetcher().fetch(render.base_url() + "fonts/DejaVuSans.ttf")
    assert font.read(4) in (b"\x00\x01\x00\x00", b"true")
    data = render.url_fetcher().fetch("data:text/plain;base64,aGk=")
    assert data.read() == b"hi"


def test_a_document_linking_outside_the_assets_still_renders_without_fetching(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    html = (
        f'<link rel="stylesheet" href="{secret.as_uri()}">'
        '<img src="http://127.0.0.1:9/tracker.png" alt="x"><p>Still printed</p>'
    )
    assert "Still printed" in pdf_text(render.render_pdf(html))


def test_azerbaijani_and_cyrillic_letters_come_out_in_the_text():
    text = pdf_text(render.render_pdf(_html()))
    for letter in AZ.split():
        assert letter in text
    assert RU in text


def test_the_student_sheet_has_no_answer_or_explanation():
    text = pdf_text(render.render_pdf(_html()))
    assert "Pick one." in text
    assert "Şəhidlər Xiyabanı" not in text
    assert "Secret explanation" not in text


@pytest.mark.parametrize(("size", "points"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_page_size(size, points):
    assert page_sizes(render.render_pdf(_html(size=size))) == {points}


def test_same_seed_gives_identical_bytes_and_variants_differ():
    first = render.render_pdf(_html(variant="B", seed=11))
    again = render.render_pdf(_html(variant="B", seed=11))
    other = render.render_pdf(_html(variant="C", seed=11))
    assert first == again
    assert first != other


def test_qr_code_is_an_svg_data_uri_and_renders():
    qr = qr_code("http://127.0.0.1:5000/quizzes/example-quiz")
    assert qr["svg"].startswith("data:image/svg+xml")
    text = pdf_text(render.render_pdf(_html(qr=qr)))
    assert "quizzes/example-quiz" in text


def test_class_set_bytes_do_not_depend_on_the_number_of_processes():
    htmls = [_html(student=f"Student {n}", variant="AB"[n % 2]) for n in range(7)]
    one = render.render_class_set(htmls, workers=1)
    two = render.render_class_set(htmls, workers=2)
    assert one == two
    pages = pdf_pages_text(one)
    single = len(pdf_pages_text(render.render_pdf(htmls[0])))
    assert len(pages) == 7 * single
    for n in range(7):
        assert f"Student {n}" in pages[n * single]


def test_progress_is_reported_per_chunk():
    htmls = [_html(student=f"S{n}") for n in range(render.CHUNK_SIZE + 1)]
    seen = []
    render.render_class_set(htmls, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(render.CHUNK_SIZE, len(htmls)), (len(htmls), len(htmls))]
