"""stories say whether their closing time follows the publication date (auto-close)

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
    # A plain ADD COLUMN: a batch copy of "stories" on SQLite would drop the old table, and with
    # it, through ON DELETE CASCADE, every comment.
    op.add_column("stories", sa.Column("auto_close", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Stories an editor already scheduled or reopened keep their editor's choice.
    op.execute(
        "UPDATE stories SET auto_close = false WHERE id IN"
        " (SELECT story_id FROM story_events WHERE action IN ('scheduled', 'reopened'))"
    )


def downgrade() -> None:
    op.drop_column("stories", "auto_close")  # SQLite 3.35+ drops a column in place
