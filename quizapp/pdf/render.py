"""HTML → PDF with WeasyPrint: a restricted URL fetcher, single documents and class sets.

Nothing here touches Flask or the database, so the functions run unchanged in a pool worker.
WeasyPrint may read only the project's own print assets (``export/css``, ``export/fonts``)
and ``data:`` URIs (the QR code); every other URL — http(s), ``file:///etc/passwd``, a path
that climbs out of the assets — is refused.

A class set is rendered in fixed-size chunks of students. Each chunk is laid out student by
student (so "Page X of Y" counts each student's own pages) and written as one PDF with
WeasyPrint's ``Document.copy``; the chunks are then joined with pypdf. Because the chunk size
does not depend on the machine, the bytes are the same whether the chunks were rendered in one
process or spread over every core.
"""

from __future__ import annotations

import io
import mimetypes
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

from quizapp.resources import resource_path

CHUNK_SIZE = 5  # students per chunk: small enough to share among cores, large enough to be cheap
ALLOWED_ASSET_DIRS = ("css", "fonts")


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL outside the project's print assets."""


def assets_dir() -> Path:
    """The folder that holds the print stylesheet and fonts (``export/``)."""
    return resource_path("export").resolve()


def base_url() -> str:
    """The base URL of every printed document: relative links resolve inside ``export/``."""
    return assets_dir().as_uri() + "/"


def allowed_asset(url: str) -> Path | None:
    """The local file a ``file:`` URL names, if it lies inside export/css or export/fonts."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    root = assets_dir()
    for name in ALLOWED_ASSET_DIRS:
        folder = (root / name).resolve()
        if path.is_relative_to(folder) and path.is_file():
            return path
    return None


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        """Serves the project's print assets and data: URIs; refuses everything else."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = allowed_asset(url)
            if path is None:
                raise FetchRefused(f"refused to fetch {url!r}: not one of the print assets")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return RestrictedFetcher


def url_fetcher():
    """A new restricted fetcher for one WeasyPrint document."""
    return _fetcher_class()()


def _document(html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url(), url_fetcher=url_fetcher()).render()


def render_pdf(html: str) -> bytes:
    """Render one HTML document to PDF bytes."""
    return _document(html).write_pdf()


def render_documents(htmls: Sequence[str]) -> bytes:
    """Render several documents (each with its own page numbering) into one PDF."""
    if len(htmls) == 1:
        return render_pdf(htmls[0])
    documents = [_document(html) for html in htmls]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def merge_pdfs(parts: Sequence[bytes]) -> bytes:
    """Join PDFs in order (deterministically: pypdf writes no date or random identifier)."""
    if len(parts) == 1:
        return parts[0]
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Producer": "quizapp (WeasyPrint, pypdf)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def chunked(items: Sequence, size: int = CHUNK_SIZE) -> list[list]:
    """Split ``items`` into consecutive lists of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def default_workers() -> int:
    """How many processes to render with: every core (QUIZAPP_PDF_WORKERS overrides)."""
    configured = os.environ.get("QUIZAPP_PDF_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return os.cpu_count() or 1


def render_pool(workers: int) -> ProcessPoolExecutor:
    """A long-lived pool of render processes, started from a fork server that has WeasyPrint
    imported already (safe in a threaded web server, and quick to start a worker)."""
    global _POOL, _POOL_SIZE
    if _POOL is None or workers != _POOL_SIZE:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["quizapp.pdf.render", "weasyprint"])
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        _POOL_SIZE = workers
    return _POOL


def shutdown_pool() -> None:
    """Stop the render processes (tests and the benchmark call this at the end)."""
    global _POOL, _POOL_SIZE
    if _POOL is not None:
        _POOL.shutdown(cancel_futures=True)
    _POOL, _POOL_SIZE = None, 0


def _iter_chunks(chunks: list[list[str]], workers: int) -> Iterator[bytes]:
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield render_documents(chunk)
        return
    yield from render_pool(workers).map(render_documents, chunks)


def render_class_set(
    htmls: Sequence[str],
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Render one document per student into a single PDF, across ``workers`` processes.

    ``progress(done, total)`` is called after each chunk of students. The output bytes do not
    depend on ``workers``.
    """
    chunks = chunked(list(htmls))
    total, done, parts = len(htmls), 0, []
    for chunk, pdf in zip(chunks, _iter_chunks(chunks, workers), strict=True):
        parts.append(pdf)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return merge_pdfs(parts)
