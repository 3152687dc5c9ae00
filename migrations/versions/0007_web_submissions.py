"""The loop of a submission: submission states (received, accepted, returned),
where a submission came from, the files it carries, the unit link's version,
and when an assignment was returned.

Existing submissions were recorded by the coordinator: they are accepted.

Revision ID: 0007_web_submissions
Revises: 0006_hostile_delivery
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import tracker.store.types


revision: str = '0007_web_submissions'
down_revision: Union[str, None] = '0006_hostile_delivery'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_at', tracker.store.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='accepted'))
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='coordinator'))
        batch_op.add_column(sa.Column('client', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('source_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('decided_at', tracker.store.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_submissions_source_key'), ['source_key'])

    op.create_table('submission_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', tracker.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_files_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_files'))
    )
    with op.batch_alter_table('submission_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_files_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submission_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_files_submission_id'))
    op.drop_table('submission_files')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_submissions_source_key'), type_='unique')
        for name in ('reason', 'decided_by', 'decided_at', 'source_key', 'client', 'source', 'state'):
            batch_op.drop_column(name)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('returned_at')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('link_version')
