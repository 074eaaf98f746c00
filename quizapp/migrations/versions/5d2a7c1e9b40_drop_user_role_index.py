"""drop the index on user_account.role

Almost every user is a student, so the index finds nothing quickly; on PostgreSQL without
statistics the planner chose it for the autosave's sign-in check (every student's row read
on every save) over the primary key.

Revision ID: 5d2a7c1e9b40
Revises: 963b4e79c333
Create Date: 2026-11-25 04:30:00

"""

from alembic import op

revision = "5d2a7c1e9b40"
down_revision = "963b4e79c333"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_role"))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_role"), ["role"], unique=False)
