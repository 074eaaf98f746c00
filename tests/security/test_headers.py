"""Security headers on HTML, JSON, CSV and PDF responses, and no inline script or style anywhere
(the Content-Security-Policy forbids them, so a template that used one would break)."""

from __future__ import annotations

import re

import pytest

from quizapp.resources import resource_path
from tests.security.conftest import login_as

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(value: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, *, signed_in: bool) -> None:
    """The headers every response must carry."""
    headers = response.headers
    csp = csp_directives(headers["Content-Security-Policy"])
    script = csp.get("script-src", csp.get("default-src"))
    assert script is not None and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "*" not in script and "data:" not in script
    assert "'unsafe-inline'" not in csp.get("style-src", csp.get("default-src", []))
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("base-uri") in (["'none'"], ["'self'"])
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in REFERRER_POLICIES
    if signed_in:
        cache = headers.get("Cache-Control", "")
        # Pages, CSV and PDFs (keys and class sets carry answers and names) are never stored.
        assert "no-store" in cache


def assert_no_inline_code(html: str, where: str) -> None:
    """No inline script, event handler, style attribute or javascript: URL."""
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("on*= handler", EVENT_HANDLER),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("<style> block", STYLE_BLOCK),
        ("javascript: URL", JS_URL),
    ):
        match = pattern.search(html)
        assert match is None, (
            f"{where}: {name}: {html[max(0, match.start() - 80) : match.end() + 80]!r}"
        )


def test_html_json_and_error_responses_for_anonymous(client):
    for path, kind in (
        ("/", "text/html"),
        ("/sign-in", "text/html"),
        ("/join", "text/html"),
        ("/no-such-page", "text/html"),
        ("/healthz", "application/json"),
        ("/api/attempts/nope", "application/json"),
    ):
        response = client.get(path)
        assert response.mimetype == kind, path
        assert_security_headers(response, signed_in=False)
        if kind == "text/html":
            assert_no_inline_code(response.get_data(as_text=True), path)


def test_headers_for_student_pages_and_api(client, world):
    login_as(client, world.student)
    for path in ("/learn/", f"/learn/attempts/{world.attempt}/review", "/learn/progress"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, signed_in=True)
        assert_no_inline_code(response.get_data(as_text=True), path)
    api = client.get(f"/api/attempts/{world.attempt}")
    assert api.is_json
    assert_security_headers(api, signed_in=True)


def test_headers_for_teacher_csv_and_pdf(client, world):
    login_as(client, world.teacher)
    csv = client.get(f"/teach/classes/{world.class_id}/gradebook.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert_security_headers(csv, signed_in=True)
    pdf = client.get(f"/print/quiz/{world.quiz_id}/worksheet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert_security_headers(pdf, signed_in=True)


def test_admin_privacy_download_headers(client, world):
    login_as(client, world.admin)
    response = client.get(f"/admin/privacy/learners/{world.student_id}/export.json")
    assert_security_headers(response, signed_in=True)
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(resource_path("templates")))
        for p in resource_path("templates").rglob("*.html")
    ),
)
def test_templates_have_no_inline_script_or_style(template):
    text = (resource_path("templates") / template).read_text(encoding="utf-8")
    if template.startswith("print/") and not template.endswith("job.html"):
        # Print templates become PDFs through WeasyPrint (no browser, no CSP), but still never
        # run script.
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL):
            assert pattern.search(text) is None, template
        return
    assert_no_inline_code(text, template)


def test_static_scripts_do_not_evaluate_strings():
    for script in resource_path("static").rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        for bad in ("eval(", "new Function(", "innerHTML =", "document.write("):
            assert bad not in text, f"{script.name}: {bad}"
