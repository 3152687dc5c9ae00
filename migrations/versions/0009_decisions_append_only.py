"""Decisions: no foreign key to assignments; the message index holds only the sent stages.

The first pass after a national import records 5.2M decisions (eight stages per
assignment: one sent, the others skipped catch-up). On PostgreSQL each row fired
the foreign key's trigger, a lookup and lock of its assignment: 3.9 s per
million rows, measured, the largest single part of the server's work in that
pass. The check guarded nothing the writer does not already hold: decisions
have one writer (tracker/store/decisions.py, called by the tick's batches),
which records stages only for assignments its own transaction has just claimed
(``FOR UPDATE`` on PostgreSQL, the write lock on SQLite), and no code deletes an
assignment (a retired unit or a dropped obligation is waived), so the cascade
never ran. tests/test_one_writer.py keeps the one writer.

``ix_decisions_outbox_id`` indexed the skipped stages too (no message: NULL,
nine rows in ten); it now holds the sent ones, the only ones looked up by message.

Revision ID: 0009_decisions_append_only
Revises: 0008_next_action_index
"""
from contextlib import contextmanager
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0009_decisions_append_only'
down_revision: Union[str, None] = '0008_next_action_index'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with _links_kept():
        with op.batch_alter_table('decisions', schema=None) as batch_op:
            batch_op.drop_constraint('fk_decisions_assignment_id_assignments', type_='foreignkey')
            batch_op.drop_index('ix_decisions_outbox_id')
            batch_op.create_index('ix_decisions_outbox_id', ['outbox_id'], unique=False,
                                  sqlite_where=sa.text('outbox_id IS NOT NULL'),
                                  postgresql_where=sa.text('outbox_id IS NOT NULL'))


def downgrade() -> None:
    with _links_kept():
        with op.batch_alter_table('decisions', schema=None) as batch_op:
            batch_op.drop_index('ix_decisions_outbox_id')
            batch_op.create_index('ix_decisions_outbox_id', ['outbox_id'], unique=False)
            batch_op.create_foreign_key('fk_decisions_assignment_id_assignments', 'assignments',
                                        ['assignment_id'], ['id'], ondelete='CASCADE')


@contextmanager
def _links_kept():
    """SQLite changes a constraint by rebuilding the table, and dropping the old decisions
    table (foreign keys on) deletes its rows first, which cascades into outbox_copies. The
    links are kept aside and put back (tests/test_store.py upgrades a store with one)."""
    if op.get_bind().dialect.name != 'sqlite':
        yield
        return
    op.execute('CREATE TEMPORARY TABLE kept_outbox_copies AS SELECT outbox_id, decision_id FROM outbox_copies')
    yield
    op.execute('INSERT INTO outbox_copies (outbox_id, decision_id) SELECT outbox_id, decision_id '
               'FROM kept_outbox_copies WHERE NOT EXISTS (SELECT 1 FROM outbox_copies c '
               'WHERE c.outbox_id = kept_outbox_copies.outbox_id AND c.decision_id = kept_outbox_copies.decision_id)')
    op.execute('DROP TABLE kept_outbox_copies')
