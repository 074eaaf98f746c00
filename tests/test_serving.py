"""The production server launcher: settings from the environment, clear errors for bad values,
and a real granian that serves, respawns a killed worker and dies whole with its process group."""

from __future__ import annotations

import gc
import http.client
import inspect
import os
import signal
import time
from pathlib import Path

import pytest
from granian import Granian
from granian.constants import HTTPModes, Interfaces

from bench.support.ceiling_app import create_table
from bench.support.server import Server
from quizapp import serving
from quizapp.serving import ServerSettings, SettingsError, server_settings


def test_defaults():
    settings = server_settings({})
    assert settings == ServerSettings(
        host="127.0.0.1",
        port=8000,
        unix_socket=None,
        workers=len(os.sched_getaffinity(0)),
        threads=2,
        backlog=2048,
        keep_alive=True,
        graceful_timeout=30,
        worker_lifetime=None,
        worker_max_rss=None,
        access_log="-",
        log_level="info",
    )


def test_every_setting_from_the_environment():
    settings = server_settings(
        {
            "QUIZAPP_BIND": "0.0.0.0:9000",
            "WEB_CONCURRENCY": "3",
            "QUIZAPP_THREADS": "4",
            "QUIZAPP_BACKLOG": "512",
            "QUIZAPP_KEEPALIVE": "off",
            "QUIZAPP_GRACEFUL_TIMEOUT": "10",
            "QUIZAPP_WORKER_LIFETIME": "3600",
            "QUIZAPP_WORKER_MAX_RSS": "800",
            "QUIZAPP_ACCESS_LOG": "/var/log/quizapp/access.log",
            "QUIZAPP_LOG_LEVEL": "WARNING",
        }
    )
    assert settings == ServerSettings(
        host="0.0.0.0",
        port=9000,
        workers=3,
        threads=4,
        backlog=512,
        keep_alive=False,
        graceful_timeout=10,
        worker_lifetime=3600,
        worker_max_rss=800,
        access_log="/var/log/quizapp/access.log",
        log_level="warning",
    )


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("[::1]:8080", ("::1", 8080, None)),
        ("unix:/run/quizapp.sock", ("127.0.0.1", 8000, Path("/run/quizapp.sock"))),
    ],
)
def test_bind_forms(bind, expected):
    settings = server_settings({"QUIZAPP_BIND": bind})
    assert (settings.host, settings.port, settings.unix_socket) == expected


@pytest.mark.parametrize(
    ("value", "keep_alive"), [("0", False), ("5", True), ("on", True), ("no", False)]
)
def test_keep_alive_takes_a_switch_or_the_old_seconds(value, keep_alive):
    assert server_settings({"QUIZAPP_KEEPALIVE": value}).keep_alive is keep_alive


def test_off_values():
    settings = server_settings(
        {"QUIZAPP_ACCESS_LOG": "", "QUIZAPP_WORKER_LIFETIME": "0", "QUIZAPP_WORKER_MAX_RSS": "0"}
    )
    assert (settings.access_log, settings.worker_lifetime, settings.worker_max_rss) == (
        None,
        None,
        None,
    )
    assert settings.granian_options()["log_access"] is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_CONCURRENCY", "two", "WEB_CONCURRENCY must be a whole number, not 'two'"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be at least 1, not 0"),
        ("QUIZAPP_THREADS", "1.5", "QUIZAPP_THREADS must be a whole number"),
        ("QUIZAPP_BACKLOG", "64", "QUIZAPP_BACKLOG must be at least 128"),
        ("QUIZAPP_BIND", "localhost", "QUIZAPP_BIND must be HOST:PORT"),
        ("QUIZAPP_BIND", "127.0.0.1:http", "QUIZAPP_BIND must be HOST:PORT"),
        ("QUIZAPP_BIND", "127.0.0.1:70000", "QUIZAPP_BIND must be HOST:PORT"),
        ("QUIZAPP_BIND", ":8000", "QUIZAPP_BIND must be HOST:PORT"),
        ("QUIZAPP_KEEPALIVE", "sometimes", "QUIZAPP_KEEPALIVE must be on or off"),
        ("QUIZAPP_WORKER_LIFETIME", "30", "QUIZAPP_WORKER_LIFETIME must be 0 (off) or at least 60"),
        ("QUIZAPP_LOG_LEVEL", "loud", "QUIZAPP_LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(SettingsError) as error:
        server_settings({name: value})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_main_reports_a_bad_value_in_one_line(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit) as exit_:
        serving.main([])
    assert exit_.value.code == (
        "quizapp.serving: WEB_CONCURRENCY must be a whole number, not 'many'"
    )


def test_main_refuses_a_target_without_an_attribute(capsys):
    with pytest.raises(SystemExit) as exit_:
        serving.main(["quizapp.wsgi"])
    assert exit_.value.code == 2
    assert "TARGET must be module:attribute" in capsys.readouterr().err


def test_gunicorn_only_settings_are_reported():
    lines = serving.retired_settings({"QUIZAPP_MAX_REQUESTS": "20000", "QUIZAPP_ERROR_LOG": ""})
    assert len(lines) == 1 and lines[0].startswith("QUIZAPP_MAX_REQUESTS is ignored")


def test_granian_options_are_what_the_installed_granian_takes():
    options = server_settings({"WEB_CONCURRENCY": "3", "QUIZAPP_THREADS": "4"}).granian_options()
    inspect.signature(Granian).bind("quizapp.wsgi:app", **options)  # no unknown argument
    assert options["interface"] == Interfaces.WSGI and options["http"] == HTTPModes.http1
    assert options["websockets"] is False and options["respawn_failed_workers"] is True
    assert (options["workers"], options["blocking_threads"]) == (3, 4)
    assert options["workers_kill_timeout"] == 30 and options["log_access"] is True
    loggers = options["log_dictconfig"]["loggers"]
    assert loggers["quizapp"] == {"handlers": ["server"], "level": "INFO", "propagate": False}
    handlers = options["log_dictconfig"]["handlers"]
    assert handlers["server"]["stream"] == "ext://sys.stderr"


def test_access_log_to_a_file():
    config = ServerSettings(access_log="/tmp/access.log").logging_config()
    assert config["handlers"]["access"]["filename"] == "/tmp/access.log"


def test_worker_start_up_loads_the_target_starts_the_sweeper_and_freezes(monkeypatch):
    started = []
    monkeypatch.setattr("quizapp.quizzes.sweeper.start", started.append)
    from bench.support import ceiling_app

    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    gc.unfreeze()
    try:
        app = serving.load_worker_app("bench.support.ceiling_app:app")
        assert app is ceiling_app.app and started == [app]
        assert gc.get_freeze_count() > 0
        # Until granian's handlers, a stop ends the worker (not the master's inherited handler).
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        gc.unfreeze()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])


def _children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": "serving-test/1"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def ceiling_server(tmp_path):
    database = tmp_path / "ceiling.sqlite3"
    create_table(str(database))
    env = {
        "CEILING_DATABASE": str(database),
        "WEB_CONCURRENCY": "2",
        "QUIZAPP_THREADS": "2",
        "QUIZAPP_ACCESS_LOG": "-",
    }
    server = Server(
        "bench.support.ceiling_app:app", env, tmp_path / "server.log", ready_path="/ping"
    )
    yield server
    server.stop()


def test_real_server_serves_respawns_a_killed_worker_and_dies_with_its_group(ceiling_server):
    server = ceiling_server.start()
    assert _get(server.port, "/ping") == (200, "ok")
    workers = _children(server.process.pid)
    assert len(workers) == 2
    # The access log line is written once the response is sent: wait for it.
    access = '127.0.0.1 "GET /ping HTTP/1.1" 200'
    deadline = time.monotonic() + 10
    while '"serving-test/1"' not in server.log_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.log_tail().splitlines() if "serving-test" in line)
    assert access in line and line.endswith('ms "serving-test/1"'), line

    # Every worker's CPU time is counted, not only the master's.
    master_cpu, workers_cpu = _cpu(server.process.pid), sum(_cpu(pid) for pid in workers)
    assert workers_cpu > 0
    assert server.cpu_seconds() >= master_cpu + workers_cpu - 1e-6  # sums of float ticks

    # A worker that dies (out of memory, a crash) is replaced.
    lost = min(workers)
    os.kill(lost, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        current = _children(server.process.pid)
        if lost not in current and len(current) == 2:
            break
        time.sleep(0.1)
    current = _children(server.process.pid)
    assert len(current) == 2 and lost not in current, server.log_tail()
    assert _get(server.port, "/ping") == (200, "ok")

    server.kill()
    assert server.process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in current) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in current)


def test_real_server_stops_gracefully_on_sigterm(ceiling_server):
    server = ceiling_server.start()
    workers = _children(server.process.pid)
    deadline = time.monotonic() + 15
    while server.log_tail().count("Started worker-") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # both workers serving, not one still importing
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(15) == 0
    assert time.monotonic() - began < 10
    assert not any(_alive(pid) for pid in workers)
    assert "shutdown completed" in server.log_tail()
