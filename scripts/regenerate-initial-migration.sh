#!/bin/sh
# Until the first release, the schema lives in one initial migration: regenerate it from the
# models against an empty SQLite database. After a release, write new migrations instead.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f quizapp/migrations/versions/*.py
QUIZAPP_INSTANCE_PATH="$tmp" .venv/bin/quizapp db migrate -m "initial schema" >/dev/null 2>&1
rm -rf "$tmp"
# Alembic leaves out the question -> current version foreign key (a cycle, use_alter=True)
# when it creates the table; add it once both tables exist.
.venv/bin/python - <<'PY'
import glob, re
path = glob.glob("quizapp/migrations/versions/*_initial_schema.py")[0]
text = open(path).read()
fk = re.search(r"\n    sa\.ForeignKeyConstraint\(\['current_version_id'\].*?use_alter=True\),", text)
text = text.replace(fk.group(0), "")
marker = "    # ### end Alembic commands ###"
add = ("    with op.batch_alter_table('question', schema=None) as batch_op:\n"
       "        batch_op.create_foreign_key(batch_op.f('fk_question_current_version_id_question_version'),\n"
       "                                    'question_version', ['current_version_id'], ['id'])\n")
text = text.replace(marker, add + marker, 1)
open(path, "w").write(text)
PY
ls quizapp/migrations/versions/
