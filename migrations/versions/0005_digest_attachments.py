"""Digests that stay readable: the outbox row carries an attachment (the full
list of a digest over [mail] max_items, as CSV), and outbox_copies links a
decided stage to every message beyond the first that carries it, so a message
can be composed from the store once per pass.

Revision ID: 0005_digest_attachments
Revises: 0004_plan_year
Create Date: 2026-11-29 20:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005_digest_attachments'
down_revision: Union[str, None] = '0004_plan_year'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('attachment', sa.LargeBinary(), nullable=True))
    op.create_table('outbox_copies',
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_outbox_copies_decision_id_decisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_outbox_copies_outbox_id_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outbox_id', 'decision_id', name=op.f('pk_outbox_copies'))
    )


def downgrade() -> None:
    op.drop_table('outbox_copies')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attachment')
        batch_op.drop_column('attachment_name')
