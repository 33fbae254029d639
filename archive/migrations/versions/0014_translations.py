"""Translations (issue 14): a transcript may be the translation of another transcript of the same
testimony (its key), with its translator (free text or a person authority's key) and whether a machine
made it.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(sa.Column("translation_of", sa.String(40), nullable=True))
        batch.add_column(sa.Column("translator", sa.String(300), nullable=True))
        batch.add_column(sa.Column("translator_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("machine", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        for name in ("machine", "translator_key", "translator", "translation_of"):
            batch.drop_column(name)
