"""The production server (``python -m quizapp.serving``: granian) on 127.0.0.1 for benchmarks and
fault tests, in its own process group.

``Server.kill()`` sends SIGKILL to the master and every worker at once (the process group),
the way a crash or an out-of-memory kill ends a server; ``stop()`` is a graceful SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m quizapp.serving app_spec`` (the production settings, from ``env`` over this
    process's environment) on a free port of 127.0.0.1."""

    def __init__(
        self,
        app_spec: str,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        ready_path: str = "/sign-in",
    ):
        self.app_spec = app_spec
        self.port = port or free_port()
        self.log_path = Path(log_path)
        self.ready_path = ready_path
        self.env = {
            **os.environ,
            "QUIZAPP_BIND": f"127.0.0.1:{self.port}",
            "QUIZAPP_ACCESS_LOG": "",
            "PYTHONPATH": str(REPO),
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        """Start the server and wait until it answers ``ready_path``."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quizapp.serving", self.app_spec],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches every worker
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll until the server answers (any status below 500)."""
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", self.ready_path)
                if conn.getresponse().status < 500:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer in {timeout}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server: the master, every process below
        it, and the children they have already reaped (a respawned worker) (Linux)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [self.process.pid]
        while pids:
            pid = pids.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                if pid == self.process.pid:
                    return float("nan")  # the server is gone
                continue  # a worker that has just exited
            # utime, stime, and cutime, cstime: what its reaped children used
            total += sum(int(value) for value in fields[11:15]) / ticks
            pids += _children(pid)
        return total

    def kill(self) -> None:
        """SIGKILL the master and every worker at once; no cleanup runs."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """Graceful stop (SIGTERM), then SIGKILL for anything left in the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    """The processes that any thread of ``pid`` started (Linux)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except OSError:
            continue
    return found
