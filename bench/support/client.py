"""A student's browser, reduced to what the quiz needs: cookies, CSRF tokens, JSON autosave.

One keep-alive connection per client thread (like a proxy's upstream pool), on a bare socket
so that the client costs little CPU next to the server on a small machine.
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import socket
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
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port that reconnects when the server
    closes it.

    Written on a bare socket rather than ``http.client``: the clients share the server's two
    cores, and ``http.client`` spends about 0.2 ms of CPU per request parsing headers with the
    e-mail parser — CPU the server under test would otherwise have (the benchmark prints the
    clients' CPU per request). It reads what quizapp and the ceiling send: a body with a
    Content-Length, a chunked body, or a body that ends when the server closes.
    """

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> Reply:
        """Send one request; one retry on a connection the server had already closed (idle
        keep-alive), never on a request the server may have received."""
        head = [f"{method} {path} HTTP/1.1"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            head.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")
        for attempt in (1, 2):
            fresh = self._sock is None
            started = time.perf_counter()
            try:
                self._connect().sendall(data)
            except OSError as exc:
                self.close()
                if attempt == 2 or fresh:
                    raise HTTPFailure(f"{method} {path}: cannot send ({exc})") from None
                continue
            try:
                status, reply_headers, cookies, content = self._read_reply(method)
            except (OSError, ValueError) as exc:
                self.close()
                # Nothing at all came back on a reused connection: the server had closed it
                # while idle. Only a GET is sent again (it changes nothing).
                if attempt == 1 and not fresh and isinstance(exc, _Closed) and method == "GET":
                    continue
                raise HTTPFailure(f"{method} {path}: no answer ({exc!r})") from None
            elapsed = time.perf_counter() - started
            if reply_headers.get("connection", "").lower() == "close":
                self.close()
            reply_headers["set-cookie-all"] = "\n".join(cookies)
            return Reply(status, reply_headers, content, elapsed)
        raise AssertionError("unreachable")

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._buffer = sock, b""
        return self._sock

    def _receive(self) -> bytes:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise _Closed("the server closed the connection")
        return chunk

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._buffer += self._receive()
        found, _, self._buffer = self._buffer.partition(marker)
        return found

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += self._receive()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _read_reply(self, method: str) -> tuple[int, dict[str, str], list[str], bytes]:
        lines = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            headers[name] = value
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, headers, cookies, b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while size := int(self._read_until(b"\r\n").split(b";", 1)[0], 16):
                parts.append(self._read_exactly(size))
                self._read_exactly(2)
            while self._read_until(b"\r\n"):  # trailers, up to the empty line
                pass
            return status, headers, cookies, b"".join(parts)
        if "content-length" in headers:
            return status, headers, cookies, self._read_exactly(int(headers["content-length"]))
        parts = [self._buffer]  # no length given: the body ends when the server closes
        self._buffer = b""
        try:
            while True:
                parts.append(self._receive())
        except _Closed:
            self.close()
        return status, headers, cookies, b"".join(parts)

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""


class _Closed(OSError):
    """The server closed the connection before the answer was complete."""


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
