"""Periodic reports: an obligation's deadline may count working days after its
data cut-off (due_after_cutoff), and it may carry its data period rule.

Revision ID: 0002_periodic_reports
Revises: 0001
Create Date: 2026-11-29 20:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002_periodic_reports'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_after_cutoff', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('data_period', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_column('data_period')
        batch_op.drop_column('due_after_cutoff')
