"""What OAI-PMH harvesters have been shown: one row per testimony that ever reached the public, with
the datestamp of the last change of its public view (or of its deletion), its set (collection) and a
fingerprint of that view. A testimony withdrawn, purged or otherwise gone from the public keeps its row,
marked deleted: harvesters learn of it (deletedRecord persistent). Never-public testimonies have none.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oai_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("accession_id", sa.String(64), nullable=False, unique=True),
        sa.Column("set_spec", sa.String(120), nullable=False),
        sa.Column("datestamp", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("fingerprint", sa.String(64), nullable=True),
    )
    op.create_index("ix_oai_records_datestamp", "oai_records", ["datestamp", "accession_id"])
    op.create_index("ix_oai_records_set_datestamp", "oai_records", ["set_spec", "datestamp", "accession_id"])


def downgrade() -> None:
    op.drop_index("ix_oai_records_set_datestamp", "oai_records")
    op.drop_index("ix_oai_records_datestamp", "oai_records")
    op.drop_table("oai_records")
