"""A plan's year: its validity (valid_until) and where units send their work
(obligations.submit_to); a plan's own units are filled in for plans imported
before "responsible: all" stopped meaning every unit in the store.

Revision ID: 0004_plan_year
Revises: 0003_inbox
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_plan_year"
down_revision: Union[str, None] = "0003_inbox"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        # NULL: the end of the plan's year.
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submit_to", sa.Text(), nullable=True))
    # A plan that listed no units used to take every unit in the store: it keeps
    # the units it already has work for (and its coordinator), and no others.
    conn = op.get_bind()
    plans = sa.table("plans", sa.column("id", sa.Integer), sa.column("unit_codes", sa.JSON),
                     sa.column("coordinator_code", sa.String))
    rows = conn.execute(sa.select(plans.c.id, plans.c.unit_codes, plans.c.coordinator_code)).all()
    for plan_id, codes, coordinator in rows:
        if codes:
            continue
        found = conn.execute(sa.text(
            "SELECT DISTINCT u.code FROM assignments a JOIN obligations o ON o.id = a.obligation_id "
            "JOIN units u ON u.id = a.unit_id WHERE o.plan_id = :p ORDER BY u.code"), {"p": plan_id}).scalars().all()
        own = sorted(set(found) | {coordinator})
        conn.execute(sa.update(plans).where(plans.c.id == plan_id).values(unit_codes=own))


def downgrade() -> None:
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_column("submit_to")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
