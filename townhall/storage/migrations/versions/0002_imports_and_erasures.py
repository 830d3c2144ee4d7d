"""imported comments and stories remember their source; erasures are recorded

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import townhall.storage.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("stories", "comments"):
        op.add_column(table, sa.Column("import_source", sa.String(length=16), nullable=True))
        op.add_column(table, sa.Column("import_id", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_comments_site_id_import_source_import_id",
        "comments",
        ["site_id", "import_source", "import_id"],
        unique=True,
    )
    op.create_index(
        "ix_stories_site_id_import_source_import_id", "stories", ["site_id", "import_source", "import_id"]
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", townhall.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_erasures_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    op.create_index("ix_erasures_site_id", "erasures", ["site_id"])


def downgrade() -> None:
    op.drop_index("ix_erasures_site_id", table_name="erasures")
    op.drop_table("erasures")
    op.drop_index("ix_stories_site_id_import_source_import_id", table_name="stories")
    op.drop_index("ix_comments_site_id_import_source_import_id", table_name="comments")
    for table in ("comments", "stories"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("import_id")
            batch.drop_column("import_source")
