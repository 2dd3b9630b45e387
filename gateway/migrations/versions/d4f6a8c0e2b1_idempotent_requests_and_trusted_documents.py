"""idempotent requests (Idempotency-Key answers, 24 h) and trusted documents

Revision ID: d4f6a8c0e2b1
Revises: c2e8a4f1b7d3
Create Date: 2026-12-02 17:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import persistence.types


# revision identifiers, used by Alembic.
revision: str = 'd4f6a8c0e2b1'
down_revision: Union[str, Sequence[str], None] = 'c2e8a4f1b7d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'idempotent_request',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('principal', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('created_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'principal', 'idempotency_key', name='uq_idempotent_request_key'),
    )
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotent_request_expires_at'), ['expires_at'], unique=False)
    op.create_table(
        'trusted_document',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'document_id', name='uq_trusted_document_id'),
    )
    with op.batch_alter_table('trusted_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_document_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('trusted_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_document_tenant_id'))
    op.drop_table('trusted_document')
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotent_request_expires_at'))
    op.drop_table('idempotent_request')
