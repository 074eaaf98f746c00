"""Admin pages: teachers, all classes, privacy requests."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
