"""a comment keeps its author's name; a story's close time and reason; TOTP for staff accounts

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import townhall.storage.schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_name", sa.String(length=200), nullable=True))
    # Comments written before this kept no name of their own: give them their author's current one.
    op.execute(
        "UPDATE comments SET author_name = (SELECT authors.name FROM authors WHERE authors.id = comments.author_id)"
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", townhall.storage.schema.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("close_reason", sa.String(length=500), nullable=False, server_default="")
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_column("close_reason")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("author_name")
