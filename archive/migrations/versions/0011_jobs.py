"""Slow work off the request (issue 16): a job record per queued piece of work (a recording's
derivatives after a redaction or at intake), which any server reads for the job pages. The queue
itself (Huey) only carries the job's id; the row is the truth, written in the unit of work that
made the work necessary.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("testimony", sa.String(200), nullable=True),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("heartbeat", sa.DateTime(), nullable=True),
        sa.Column("who", sa.String(200), nullable=False),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_index("ix_jobs_target", "jobs", ["target"])
    op.create_index("ix_jobs_testimony", "jobs", ["testimony"])


def downgrade() -> None:
    op.drop_index("ix_jobs_testimony", "jobs")
    op.drop_index("ix_jobs_target", "jobs")
    op.drop_index("ix_jobs_state", "jobs")
    op.drop_table("jobs")
