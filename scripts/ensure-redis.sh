#!/bin/sh
# Make sure the Redis the PDF job tests use (127.0.0.1:6379) answers; start a throwaway
# in-memory one if redis-server is installed but not running.
set -eu
ready() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
command -v redis-cli >/dev/null 2>&1 || { echo "Redis missing. Run: sudo apt-get install -y redis-server" >&2; exit 1; }
ready && exit 0
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do ready && exit 0; sleep 1; done
echo "Redis is not answering on 127.0.0.1:6379. Start it: redis-server --daemonize yes --port 6379" >&2
exit 1
