"""one vote per address and per signed-in reader; bans that follow a banned author

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import townhall.storage.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("account", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_votes_comment_id_network"), ["comment_id", "network"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_votes_comment_id_account"), ["comment_id", "account"]
        )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reader_key", sa.String(length=64), nullable=True))
    op.create_table(
        "bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("until", townhall.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", townhall.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_bans_author_id_authors"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_bans_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bans")),
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bans_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bans_site_id_kind_key"), ["site_id", "kind", "key"], unique=False
        )


def downgrade() -> None:
    op.drop_table("bans")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("reader_key")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_votes_comment_id_account"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_votes_comment_id_network"), type_="unique")
        batch_op.drop_column("account")
        batch_op.drop_column("network")
