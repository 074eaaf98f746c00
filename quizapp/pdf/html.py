"""HTML for print: the Jinja environment of the print templates and the QR code.

The environment is independent of Flask (same templates folder, autoescaped), so documents are
built identically by the web app, the CLI, background jobs and the benchmark.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape

from quizapp.rendering import markdown_inline, markdown_to_html
from quizapp.resources import resource_path


def _plural(count, singular: str, plural: str | None = None) -> str:
    return singular if str(count) == "1" else (plural or singular + "s")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment for ``templates/print``."""
    env = Environment(
        loader=FileSystemLoader(str(resource_path("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown_to_html
    env.filters["inline"] = markdown_inline
    env.filters["plural"] = _plural
    return env


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render ``templates/print/<template>`` with ``context``."""
    return environment().get_template(f"print/{template}").render(**context)


def qr_code(url: str) -> dict[str, str]:
    """A QR code for ``url`` as an SVG data URI (black on white, scannable from paper)."""
    import segno

    code = segno.make(url, error="m")
    return {"url": url, "svg": code.svg_data_uri(scale=4, border=2, dark="#000", light="#fff")}
