"""A content-addressed cache of rendered PDFs.

The key is a hash of the final HTML of every document, the page size and the renderer (the
WeasyPrint version and the print stylesheet): an unchanged document is served from disk, a
changed question or stylesheet renders anew. Files are written atomically (temporary file, then
rename), so a half-written PDF is never served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from flask import current_app

from quizapp.resources import resource_path


@lru_cache(maxsize=1)
def renderer_tag() -> bytes:
    """What else shapes the output: WeasyPrint's version and the stylesheet's bytes."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    digest.update(resource_path("export", "css", "print.css").read_bytes())
    return digest.digest()


def cache_key(htmls: Iterable[str], size: str) -> str:
    """The key of a document made of ``htmls`` (one per student, or just one) at ``size``."""
    digest = hashlib.sha256(renderer_tag())
    digest.update(size.encode())
    for html in htmls:
        encoded = html.encode()
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def cache_dir() -> Path:
    """The folder of cached PDFs (``PDF_CACHE_DIR``)."""
    return Path(current_app.config["PDF_CACHE_DIR"])


def path_for(key: str) -> Path:
    """Where the PDF with ``key`` is (or would be) stored."""
    return cache_dir() / key[:2] / f"{key}.pdf"


def lookup(key: str) -> Path | None:
    """The cached file for ``key``, if there is one."""
    path = path_for(key)
    return path if path.is_file() else None


def store(key: str, data: bytes) -> Path:
    """Write ``data`` under ``key`` atomically and return its path."""
    path = path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
