"""Indexes on the foreign keys that loads follow: without them every load of a transcript's segments
(or of a testimony's sensitive terms) read the whole table, and a large archive slowed with its size.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = (("segments", "transcript_id"), ("redactions", "transcript_id"),
           ("sensitive_terms", "testimony_id"), ("testimonies", "collection_id"))


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
