"""gunicorn settings for quizapp: ``gunicorn -c gunicorn.conf.py quizapp.wsgi:app``.

Threads in a few processes suit this app: a request spends its time waiting for the database
(autosaves are small writes), and threads share one connection pool per process. The defaults
fit a 2-core machine; every value can be changed from the environment (see docs/operations.md).
"""

import multiprocessing
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_cores = multiprocessing.cpu_count()

bind = os.environ.get("QUIZAPP_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# WEB_CONCURRENCY is the common convention of platforms (Heroku, Render, Dokku …).
workers = _env_int("WEB_CONCURRENCY", _cores + 1)
threads = _env_int("QUIZAPP_THREADS", 4)
# Each worker imports the app itself: no database connection or thread is shared across fork.
preload_app = False
# A request that runs longer than this is stuck (a PDF render runs in the job queue instead).
timeout = _env_int("QUIZAPP_WORKER_TIMEOUT", 60)
graceful_timeout = _env_int("QUIZAPP_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("QUIZAPP_KEEPALIVE", 5)
# Recycle workers now and then (memory hygiene), at different moments so they never all restart.
max_requests = _env_int("QUIZAPP_MAX_REQUESTS", 20000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
backlog = _env_int("QUIZAPP_BACKLOG", 2048)
limit_request_line = 8190

# Logs to stderr by default (systemd/journald or the container collects them).
# QUIZAPP_ACCESS_LOG="" turns the access log off (benchmarks); a path writes to a file.
accesslog = os.environ.get("QUIZAPP_ACCESS_LOG", "-") or None
errorlog = os.environ.get("QUIZAPP_ERROR_LOG", "-")
loglevel = os.environ.get("QUIZAPP_LOG_LEVEL", "info")
# Client address, request line, status, bytes, duration in ms, user agent. No cookies, no bodies.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "quizapp"


def post_worker_init(worker):
    """Send the app's log to gunicorn's error log; start this worker's expired-attempt sweeper
    (one in every worker of every server is safe: see quizapp/quizzes/sweeper.py); freeze
    what start-up allocated."""
    import gc
    import logging

    from quizapp.quizzes import sweeper

    # What the app loaded at start-up lives as long as the worker: keep it out of the garbage
    # collector's full passes (less CPU per request; measured in bench/load.py).
    gc.collect()
    gc.freeze()

    app = worker.wsgi
    if not hasattr(app, "config"):
        return
    quizapp_log = logging.getLogger("quizapp")
    quizapp_log.handlers = list(worker.log.error_log.handlers)
    quizapp_log.setLevel(worker.log.error_log.level)
    quizapp_log.propagate = False
    sweeper.start(app)
