#!/bin/sh
# Make sure the PostgreSQL server the tests use (127.0.0.1:5432, user postgres, database test)
# answers; start the local cluster if it is installed but stopped.
set -eu
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
command -v pg_isready >/dev/null 2>&1 || { echo "PostgreSQL client missing. Run: sudo apt-get install -y postgresql" >&2; exit 1; }
ready && exit 0
if [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do ready && exit 0; sleep 1; done
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432. Start it (e.g. sudo pg_ctlcluster 15 main start) or run: make test-sqlite" >&2
exit 1
