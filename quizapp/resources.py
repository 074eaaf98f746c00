"""Where the files that live outside the Python package are found.

In a checkout they sit at the repository's top level (``templates/``, ``lessons/`` …); in an
installed wheel they are bundled under ``quizapp/_bundled/``. Every lookup goes through here so
that the two layouts behave the same.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "_bundled"
_CHECKOUT = PACKAGE_DIR.parent


def resource_path(*parts: str) -> Path:
    """Return the path of a bundled resource such as ``resource_path("templates")``."""
    bundled = _BUNDLED.joinpath(*parts)
    if bundled.exists():
        return bundled
    return _CHECKOUT.joinpath(*parts)


def content_paths() -> list[Path]:
    """The curated content folders imported by ``quizapp content import`` without arguments."""
    return [resource_path("question_bank"), resource_path("lessons")]
