"""hris connection sealed secrets: the signing secret and provider settings sealed (the
plaintext columns emptied by the gateway at start-up, which holds the key), and the last
error reaching the provider's API

Revision ID: a7c3e5f19b2d
Revises: fbfa3c68c831
Create Date: 2026-12-09 10:12:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import persistence.types


# revision identifiers, used by Alembic.
revision: str = 'a7c3e5f19b2d'
down_revision: Union[str, Sequence[str], None] = 'fbfa3c68c831'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('hris_connection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sealed_settings', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('last_error_at', persistence.types.UtcDateTime(timezone=True), nullable=True))
        # Emptied once sealed: the migration has no key, the gateway's start-up has.
        batch_op.alter_column('signing_secret',
               existing_type=sa.VARCHAR(length=200),
               type_=sa.String(length=200),
               nullable=True)


def downgrade() -> None:
    """Downgrade schema. Rows already sealed keep no plaintext: a release before this one
    cannot read them (restore a backup taken before the upgrade instead)."""
    with op.batch_alter_table('hris_connection', schema=None) as batch_op:
        batch_op.alter_column('signing_secret',
               existing_type=sa.String(length=200),
               type_=sa.VARCHAR(length=200),
               nullable=False)
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('sealed_settings')
        batch_op.drop_column('sealed_secret')
