"""A student's browser, reduced to what the quiz needs: cookies, CSRF tokens, JSON autosave.

Built on ``http.client`` with one keep-alive connection per client thread (like a proxy's
upstream pool), so the client costs little CPU next to the server on a small machine.
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

TOKEN_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class HTTPFailure(Exception):
    """A request that did not get the expected answer (status, or no answer at all)."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class Reply:
    """Status, headers and body of one answer, and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON."""
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to 127.0.0.1:port that reconnects when the server closes it."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> Reply:
        """Send one request; one retry on a connection the server had already closed (idle
        keep-alive), never on a request the server may have received."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=headers)
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise HTTPFailure(f"{method} {path}: cannot send ({exc})") from None
                continue
            try:
                response = self._conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()
                if (
                    attempt == 1
                    and isinstance(exc, http.client.RemoteDisconnected)
                    and method == "GET"
                ):
                    continue
                raise HTTPFailure(f"{method} {path}: no answer ({exc!r})") from None
            elapsed = time.perf_counter() - started
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()}
                | {"set-cookie-all": "\n".join(response.headers.get_all("Set-Cookie") or [])},
                data,
                elapsed,
            )
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class Student:
    """One simulated student: sign-in name, cookies, and what the server acknowledged."""

    login: str
    password: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    attempt_id: str = ""
    acked: dict[int, tuple[int, object]] = field(default_factory=dict)  # slot → (seq, answer)

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Host": "127.0.0.1", "User-Agent": "quizapp-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers | (extra or {})

    def _keep_cookies(self, reply: Reply) -> None:
        for line in reply.headers.get("set-cookie-all", "").splitlines():
            pair = line.split(";", 1)[0]
            name, _, value = pair.partition("=")
            expired = "expires=thu, 01 jan 1970" in line.lower() or "max-age=0" in line.lower()
            if expired or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()

    def send(self, conn: Connection, method: str, path: str, body=None, headers=None) -> Reply:
        """One request with this student's cookies; cookies in the answer are kept."""
        reply = conn.request(method, path, body, self._headers(headers))
        self._keep_cookies(reply)
        return reply

    def sign_in(self, conn: Connection) -> Reply:
        """Open the sign-in page and send the form; expects the redirect of a good sign-in."""
        page = self.send(conn, "GET", "/sign-in")
        token = TOKEN_INPUT.search(page.text)
        if page.status != 200 or not token:
            raise HTTPFailure(f"sign-in page: {page.status}", page.status, page.text[:300])
        form = urlencode(
            {"login": self.login, "password": self.password, "csrf_token": token.group(1)}
        )
        reply = self.send(
            conn,
            "POST",
            "/sign-in",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if reply.status != 302:
            raise HTTPFailure(f"sign-in: {reply.status}", reply.status, reply.text[:300])
        return reply

    def open_assignment(self, conn: Connection, assignment_id: int) -> str:
        """The assignment page; returns the start form's CSRF token."""
        page = self.send(conn, "GET", f"/learn/assignments/{assignment_id}")
        token = TOKEN_INPUT.search(page.text)
        if page.status != 200 or not token:
            raise HTTPFailure(f"assignment page: {page.status}", page.status, page.text[:300])
        return token.group(1)

    def start(self, conn: Connection, assignment_id: int, token: str) -> Reply:
        """Press 'Start': expects a redirect to the new attempt, whose id is kept."""
        reply = self.send(
            conn,
            "POST",
            f"/learn/assignments/{assignment_id}/start",
            urlencode({"csrf_token": token}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        location = reply.headers.get("location", "")
        match = re.search(r"/learn/attempts/([^/?#]+)", location)
        if reply.status != 302 or not match:
            raise HTTPFailure(f"start: {reply.status} {location}", reply.status, reply.text[:300])
        self.attempt_id = match.group(1)
        return reply

    def open_quiz(self, conn: Connection) -> Reply:
        """The quiz page; keeps the page's CSRF token for the autosave script."""
        reply = self.send(conn, "GET", f"/learn/attempts/{self.attempt_id}")
        token = TOKEN_META.search(reply.text)
        if reply.status != 200 or not token:
            raise HTTPFailure(f"quiz page: {reply.status}", reply.status, reply.text[:300])
        self.csrf = token.group(1)
        return reply

    def _api(self, conn: Connection, path: str, payload: dict) -> Reply:
        return self.send(
            conn,
            "POST",
            path,
            json.dumps(payload).encode(),
            {
                "Content-Type": "application/json",
                "X-CSRFToken": self.csrf,
                "Accept": "application/json",
            },
        )

    def save(self, conn: Connection, slot: int, answer, seq: int) -> Reply:
        """Autosave one answer; an acknowledged save (200, saved or stale) is remembered."""
        reply = self._api(
            conn,
            f"/api/attempts/{self.attempt_id}/answers",
            {"slot": slot, "answer": answer, "seq": seq},
        )
        if reply.status != 200:
            raise HTTPFailure(f"save: {reply.status}", reply.status, reply.text[:300])
        data = reply.json()
        if data.get("saved"):
            self.acked[slot] = (seq, answer)
        return reply

    def submit(self, conn: Connection) -> Reply:
        """Submit the attempt through the API."""
        reply = self._api(conn, f"/api/attempts/{self.attempt_id}/submit", {})
        if reply.status != 200:
            raise HTTPFailure(f"submit: {reply.status}", reply.status, reply.text[:300])
        return reply


def path_of(url: str) -> str:
    """The path and query of a URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
