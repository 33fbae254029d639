"""Confirmed time ranges of transcript redactions on recordings: an audio redaction may name the
transcript redaction it places (one per recording and redaction). Existing ranges name none and
stay ranges drawn by archivists.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audio_redactions") as batch:
        batch.add_column(sa.Column("redaction_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_audio_redactions_asset_id_redaction_key", ["asset_id", "redaction_key"])


def downgrade() -> None:
    with op.batch_alter_table("audio_redactions") as batch:
        batch.drop_constraint("uq_audio_redactions_asset_id_redaction_key", type_="unique")
        batch.drop_column("redaction_key")
