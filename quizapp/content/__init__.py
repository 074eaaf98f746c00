"""Content files: parsing (loader), cross-checks (validator), database import (importer)."""

from quizapp.content.loader import load_content
from quizapp.content.specs import ContentBundle, ContentProblem
from quizapp.content.validator import content_stats, validate_bundle

__all__ = ["ContentBundle", "ContentProblem", "content_stats", "load_content", "validate_bundle"]
