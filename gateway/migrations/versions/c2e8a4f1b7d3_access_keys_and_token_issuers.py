"""access: integrator keys expire after rotation and record their last use; token issuers for
end-user access

Revision ID: c2e8a4f1b7d3
Revises: 60e9fe5b0153
Create Date: 2026-12-02 12:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import persistence.types


# revision identifiers, used by Alembic.
revision: str = 'c2e8a4f1b7d3'
down_revision: Union[str, Sequence[str], None] = '60e9fe5b0153'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', persistence.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', persistence.types.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        'token_issuer',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('jwks_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column('public_key_pem', sa.Text(), nullable=True),
        sa.Column('algorithms', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('person_claim', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('person_match', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('created_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'audience', name='uq_token_issuer_iss_aud'),
    )
    with op.batch_alter_table('token_issuer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_issuer_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('token_issuer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_issuer_tenant_id'))
    op.drop_table('token_issuer')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')
