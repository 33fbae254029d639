"""Sensitive terms get an audience: a term's text (name and variants) is itself as sensitive as the
name it protects, so an admin-only term must not be shown to archivists. Existing terms keep being
shown to every archivist, as before.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sensitive_terms") as batch:
        batch.add_column(sa.Column("visible_to", sa.String(length=20), nullable=False,
                                   server_default="archivist"))


def downgrade() -> None:
    with op.batch_alter_table("sensitive_terms") as batch:
        batch.drop_column("visible_to")
