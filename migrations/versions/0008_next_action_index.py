"""The scheduler's due index covers (next_action_at, id), the order its batches
are claimed in.

A pass continues from its cursor with ``(next_action_at, id) > (at, last)``.
With the index on next_action_at alone, PostgreSQL could only start at ``at``
and walk every entry of that instant already passed (after a mass import 55,000
assignments share one instant, and each batch's updates leave their old
entries behind): a real tick with 660k due took 253 s, 108 s with this index.
SQLite's index already ended with the rowid; the new one is the same there.

Revision ID: 0008_next_action_index
Revises: 0007_web_submissions
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008_next_action_index'
down_revision: Union[str, None] = '0007_web_submissions'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_next_action_at')
        batch_op.create_index('ix_assignments_next_action_at', ['next_action_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_next_action_at')
        batch_op.create_index('ix_assignments_next_action_at', ['next_action_at'], unique=False)
