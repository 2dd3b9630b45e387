"""erasure: a request to forget a person, and each service's confirmation

Revision ID: d4a9c2e7f1b8
Revises: d4f6a8c0e2b1
Create Date: 2026-12-02 16:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import persistence.types


# revision identifiers, used by Alembic.
revision: str = 'd4a9c2e7f1b8'
down_revision: Union[str, Sequence[str], None] = 'd4f6a8c0e2b1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'person_erasure',
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('requested_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'person_id'),
        sa.UniqueConstraint('request_id'),
    )
    op.create_table(
        'erasure_confirmation',
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('confirmed_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'person_id', 'service'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('erasure_confirmation')
    op.drop_table('person_erasure')
