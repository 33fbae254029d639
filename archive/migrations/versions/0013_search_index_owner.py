"""Several servers (issue 13): who keeps the search index of this database. A local engine's index
(whoosh, sqlite) is a folder only its own instance writes; a second instance folder on the same database
would answer searches from an index that never sees the first one's writes. The row says which instance
folder that is (or that the index is in the database itself: engine postgresql, any number of servers).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_index_owner",
        sa.Column("id", sa.Integer(), primary_key=True),   # always 1: one row
        sa.Column("engine", sa.String(20), nullable=False),
        # host and absolute INDEX_DIR of the instance whose local index it is; "" for engine postgresql
        sa.Column("owner", sa.String(1000), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_index_owner")
