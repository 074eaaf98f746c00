"""JSON API used by the quiz page's autosave (and by scripts)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
