"""Markdown to safe HTML, for lesson text, stimuli and prompts (on screen and in print)."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "blockquote",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "abbr",
    "cite",
    "q",
    "small",
    "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "td": set()}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # CommonMark without raw HTML: '<script>' in content is shown as text, never run.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable(
        "table"
    )


def sanitise_html(html: str) -> str:
    """Keep only harmless tags and attributes; links get rel=noopener and http(s)/mailto only."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def markdown_to_html(text: str | None) -> Markup:
    """Render Markdown content to sanitised HTML."""
    if not text:
        return Markup("")
    return Markup(sanitise_html(_markdown().render(text)))


def markdown_inline(text: str | None) -> Markup:
    """Render one line of Markdown (a prompt, an option) without a wrapping paragraph."""
    if not text:
        return Markup("")
    return Markup(sanitise_html(_markdown().renderInline(text)))
