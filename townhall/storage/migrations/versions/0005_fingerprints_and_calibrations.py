"""comment fingerprints for near-duplicates across processes; a network index for flooding; site calibrations

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import townhall.storage.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_fingerprints",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("created_at", townhall.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_fingerprints_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", "band", name=op.f("pk_comment_fingerprints")),
    )
    op.create_index(
        op.f("ix_comment_fingerprints_site_id_band_created_at"),
        "comment_fingerprints",
        ["site_id", "band", "created_at"],
    )
    op.create_index(
        op.f("ix_comments_site_id_ip_hash_created_at"), "comments", ["site_id", "ip_hash", "created_at"]
    )
    op.create_table(
        "site_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("created_at", townhall.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("agreement_before", sa.Float(), nullable=True),
        sa.Column("agreement_after", sa.Float(), nullable=True),
        sa.Column("thresholds_before", sa.JSON(), nullable=False),
        sa.Column("thresholds_after", sa.JSON(), nullable=False),
        sa.Column("head", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_calibrations_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_calibrations")),
    )
    op.create_index(op.f("ix_site_calibrations_site_id"), "site_calibrations", ["site_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_site_calibrations_site_id"), table_name="site_calibrations")
    op.drop_table("site_calibrations")
    op.drop_index(op.f("ix_comments_site_id_ip_hash_created_at"), table_name="comments")
    op.drop_index(op.f("ix_comment_fingerprints_site_id_band_created_at"), table_name="comment_fingerprints")
    op.drop_table("comment_fingerprints")
