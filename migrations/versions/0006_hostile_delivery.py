"""Outbox: the claim's time on the database clock (leased_at), attempts of unknown
outcome (unknown_outcomes), and the recipients still owed after a partial
delivery (pending_recipients). Issue 21.

Revision ID: 0006_hostile_delivery
Revises: 0005_digest_attachments
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import tracker.store.types


revision: str = '0006_hostile_delivery'
down_revision: Union[str, None] = '0005_digest_attachments'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('leased_at', tracker.store.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('unknown_outcomes', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('pending_recipients', sa.JSON(), nullable=True))
    # A row claimed before the upgrade keeps its claim's time as its lease.
    op.execute("UPDATE outbox SET leased_at = claimed_at WHERE state = 'sending'")


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('pending_recipients')
        batch.drop_column('unknown_outcomes')
        batch.drop_column('leased_at')
