"""scim provisioning: scim_user, scim_group

Revision ID: 5c1d9e7a2b40
Revises: ff38f8f82bee
Create Date: 2026-11-25 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import persistence.types


# revision identifiers, used by Alembic.
revision: str = '5c1d9e7a2b40'
down_revision: Union[str, Sequence[str], None] = 'ff38f8f82bee'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_LIVE = sa.text('deleted_at IS NULL')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('scim_user',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('user_name_key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('person_external_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('representation', sa.JSON(), nullable=False),
    sa.Column('employee', sa.JSON(), nullable=False),
    sa.Column('created_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_modified', persistence.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', persistence.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_scim_user_created', 'scim_user', ['tenant_id', 'created_at'], unique=False)
    op.create_index('ix_scim_user_external_id', 'scim_user', ['tenant_id', 'external_id'], unique=False)
    op.create_index('ux_scim_user_live_person', 'scim_user', ['tenant_id', 'person_external_id'], unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.create_index('ux_scim_user_live_user_name', 'scim_user', ['tenant_id', 'user_name_key'], unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.create_table('scim_group',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('display_name_key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('representation', sa.JSON(), nullable=False),
    sa.Column('created_at', persistence.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_modified', persistence.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_scim_group_created', 'scim_group', ['tenant_id', 'created_at'], unique=False)
    op.create_index('ix_scim_group_display_name', 'scim_group', ['tenant_id', 'display_name_key'], unique=False)
    op.create_index('ix_scim_group_external_id', 'scim_group', ['tenant_id', 'external_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_scim_group_external_id', table_name='scim_group')
    op.drop_index('ix_scim_group_display_name', table_name='scim_group')
    op.drop_index('ix_scim_group_created', table_name='scim_group')
    op.drop_table('scim_group')
    op.drop_index('ux_scim_user_live_user_name', table_name='scim_user', sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.drop_index('ux_scim_user_live_person', table_name='scim_user', sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.drop_index('ix_scim_user_external_id', table_name='scim_user')
    op.drop_index('ix_scim_user_created', table_name='scim_user')
    op.drop_table('scim_user')
