"""A published testimony held back from readers: a sensitive term registered, or a narrator's name
entered, after it was published now shows unredacted in it. Held testimonies reach no audience below
archivist until the occurrences are redacted; the dashboard lists them.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("testimonies") as batch:
        batch.add_column(sa.Column("held", sa.DateTime(), nullable=True))
        batch.create_index("ix_testimonies_held", ["held"])


def downgrade() -> None:
    with op.batch_alter_table("testimonies") as batch:
        batch.drop_index("ix_testimonies_held")
        batch.drop_column("held")
