"""Helpers for the print tests: text extraction, page sizes and a dark-pixel count."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader


def pdf_pages_text(data: bytes) -> list[str]:
    """The extracted text of every page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    """All extracted text, pages joined."""
    return "\n".join(pdf_pages_text(data))


def page_sizes(data: bytes) -> set[tuple[int, int]]:
    """The (width, height) of every page in points, rounded."""
    return {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height)))
        for p in PdfReader(io.BytesIO(data)).pages
    }


def dark_fraction_of_first_page(data: bytes) -> float:
    """Render page 1 with pdftoppm at 50 dpi in grey and return the share of dark pixels."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "doc.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-gray", "-r", "50", "-f", "1", "-l", "1", str(pdf), f"{tmp}/p"],
            check=True,
            capture_output=True,
        )
        (png,) = Path(tmp).glob("p*.png")
        image = Image.open(png).convert("L")
        pixels = image.tobytes()
    return sum(1 for v in pixels if v < 128) / len(pixels)


@pytest.fixture(autouse=True)
def _no_leftover_pool():
    """Stop render processes a test may have started."""
    yield
    from quizapp.pdf.render import shutdown_pool

    shutdown_pool()
