"""What OHMS carries (issue 14): a testimony's repository, series, funding, media URL and its
interview date as written when it is not a date ("Unknown Date"); a segment's hyperlinks and GPS
points; a transcript's cues (the fine timing of caption files and OHMS sync, inside segments).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("testimonies") as batch:
        batch.add_column(sa.Column("interview_date_text", sa.String(200), nullable=True))
        batch.add_column(sa.Column("repository", sa.String(300), nullable=True))
        batch.add_column(sa.Column("series", sa.String(300), nullable=True))
        batch.add_column(sa.Column("funding", sa.Text(), nullable=True))
        batch.add_column(sa.Column("media_url", sa.String(1000), nullable=True))
    with op.batch_alter_table("segments") as batch:
        batch.add_column(sa.Column("hyperlinks", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("gps", sa.JSON(), nullable=True))
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(sa.Column("cues", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_column("cues")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("gps")
        batch.drop_column("hyperlinks")
    with op.batch_alter_table("testimonies") as batch:
        for name in ("media_url", "funding", "series", "repository", "interview_date_text"):
            batch.drop_column(name)
