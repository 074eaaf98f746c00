"""The session cookie and the CSRF token, verified once per process rather than on every request.

Every student's page autosaves every few seconds, and each request carries the same signed
session cookie and the same signed CSRF token as the one before. Verifying a signature and
decoding a cookie is most of what such a request costs besides its one database write, so a
signature this process has already verified is remembered, keyed by the exact signed text and
the keys it was checked with. Nothing about the rules changes:

- a cookie or token is only ever remembered after Flask / Flask-WTF verified it in full;
- the session's age limit is still applied to every request, from the time inside the cookie;
- a CSRF token is only good together with the session token it was checked against;
- a changed secret key is a different cache key, so nothing verified before counts for it.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, same_origin
from itsdangerous import BadData, BadSignature, URLSafeTimedSerializer

from quizapp.caching import remember

FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Values that can be shared between requests: a cached session is copied one level deep.
_IMMUTABLE = (str, int, float, bool, bytes, type(None), datetime)
_LIMIT = 20_000


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; a cookie verified before is not verified again."""

    def __init__(self) -> None:
        self._verified: dict[tuple, tuple[int, dict]] = {}

    def _key(self, app: Flask, cookie: str) -> tuple:
        return (cookie, app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def remembered(self, app: Flask, cookie: str) -> dict | None:
        """The data of a session cookie verified before and not expired (to read, not to
        change); None if this process has not verified it, or it has expired since."""
        known = self._verified.get(self._key(app, cookie))
        if known is None:
            return None
        signed_at, data = known
        max_age = app.permanent_session_lifetime.total_seconds()
        return data if 0 <= time.time() - signed_at <= max_age else None

    def verified(self, app: Flask, cookie: str) -> dict | None:
        """The data of a session cookie, verified now if this process has not verified it
        before (and remembered), to read, not to change; None if it does not verify, has
        expired, or holds a value that cannot be shared between requests (the caller then
        leaves the request to Flask)."""
        key = self._key(app, cookie)
        if key in self._verified:
            return self.remembered(app, cookie)
        found = self._verify(app, cookie)
        return found if found is not None and key in self._verified else None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        if self._key(app, cookie) in self._verified:
            data = self.remembered(app, cookie)
            # None: expired, as itsdangerous would say (an empty session).
            return self.session_class(data) if data is not None else self.session_class()
        data = self._verify(app, cookie)
        return self.session_class(data) if data is not None else self.session_class()

    def _verify(self, app: Flask, cookie: str) -> dict | None:
        """Verify a cookie as Flask does (signature and age); remember it if every value in it
        can be shared. None: a bad signature or an expired cookie (an empty session)."""
        if not app.secret_key:
            return None
        max_age = int(app.permanent_session_lifetime.total_seconds())
        serializer = self.get_signing_serializer(app)
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return None
        if all(isinstance(value, _IMMUTABLE) for value in data.values()):
            remember(self._verified, self._key(app, cookie), (signed_at.timestamp(), data), _LIMIT)
        return data


class RememberingCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection. A JSON request's token is read from its header without
    parsing the body as a form, and a token verified before against the same session token
    is not verified again (tokens do not expire here: ``WTF_CSRF_TIME_LIMIT`` is None, and a
    time limit, if one is set, turns the remembering off). A token this process signed for a
    page is remembered as it is sent: it is good by construction, and the page's first
    autosave, which usually reaches the same process, need not verify it."""

    def __init__(self, app: Flask | None = None) -> None:
        self._verified: dict[tuple, bool] = {}
        super().__init__(app)

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.after_request(self._remember_issued)

    def _remember_issued(self, response):
        config = current_app.config
        field = config["WTF_CSRF_FIELD_NAME"]
        issued, session_token = g.get(field), session.get(field)
        if config["WTF_CSRF_TIME_LIMIT"] is None and issued and session_token:
            remember(self._verified, self._key(issued, session_token), True, _LIMIT)
        return response

    def _get_csrf_token(self):
        if request.mimetype in FORM_MIMETYPES:
            return super()._get_csrf_token()
        return csrf_header_token(current_app.config, request.headers.get)

    @staticmethod
    def _key(token: str | None, session_token: str | None) -> tuple:
        return (
            token,
            session_token,
            current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key,
        )

    def remembered(self, token: str | None, session_token: str | None) -> bool:
        """Whether this token was verified before against this session token (and may be
        taken as good without verifying it again: no time limit is set)."""
        return (
            current_app.config["WTF_CSRF_TIME_LIMIT"] is None
            and bool(token and session_token)
            and self._key(token, session_token) in self._verified
        )

    def verified(self, token: str | None, session_token: str | None) -> bool:
        """Whether a token is good for this session token, as Flask-WTF's ``validate_csrf``
        decides (its signature, and the session token it signs), outside a request: remembered,
        or verified now and remembered. Always False when a time limit is set (then only
        Flask-WTF decides). The HTTPS Referer rule is the caller's (``referrer_problem``)."""
        if self.remembered(token, session_token):
            return True
        config = current_app.config
        if config["WTF_CSRF_TIME_LIMIT"] is not None or not (token and session_token):
            return False
        if not self._signs(token, session_token):
            return False
        remember(self._verified, self._key(token, session_token), True, _LIMIT)
        return True

    @staticmethod
    def _signs(token: str, session_token: str) -> bool:
        """Flask-WTF's check: the token is this app's signature of the session's token."""
        secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        if not secret:
            return False
        try:
            signed = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token)
        except BadData:
            return False
        return (
            isinstance(signed, str)
            and isinstance(session_token, str)
            and hmac.compare_digest(session_token, signed)
        )

    def protect(self, apply_exemptions: bool = False) -> None:
        config = current_app.config
        if config["WTF_CSRF_TIME_LIMIT"] is not None:
            return super().protect(apply_exemptions)
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return None
        if request.method not in config["WTF_CSRF_METHODS"]:
            return None
        key = self._key(self._get_csrf_token(), session.get(config["WTF_CSRF_FIELD_NAME"]))
        if not (key[0] and key[1]) or key not in self._verified:
            super().protect()  # raises on a bad token; else it was good
            if key[0] and key[1]:
                remember(self._verified, key, True, _LIMIT)
            return None
        problem = referrer_problem(config, request.is_secure, request.referrer, request.host)
        if problem:
            self._error_response(problem)
        g.csrf_valid = True
        return None


def csrf_header_token(config, header) -> str | None:
    """The CSRF token sent in a header (``header(name)`` reads one), as Flask-WTF looks for it."""
    return next(filter(None, (header(name) for name in config["WTF_CSRF_HEADERS"])), None)


def referrer_problem(config, is_secure: bool, referrer: str | None, host: str) -> str | None:
    """Flask-WTF's strict HTTPS rule: over HTTPS the Referer must be this site. The reason a
    request breaks it, or None."""
    if not (is_secure and config["WTF_CSRF_SSL_STRICT"]):
        return None
    if not referrer:
        return "The referrer header is missing."
    if not same_origin(referrer, f"https://{host}/"):
        return "The referrer does not match the host."
    return None
