"""an email address is unique among verified accounts only

Revision ID: 0013
Revises: 0001
Create Date: 2026-12-08 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_email"))
        batch_op.create_index(batch_op.f("ix_user_email"), ["email"], unique=False)
        batch_op.create_index(
            "uq_user_verified_email",
            ["email"],
            unique=True,
            postgresql_where=sa.text("is_verified"),
            sqlite_where=sa.text("is_verified"),
        )


def downgrade() -> None:
    # Unverified accounts that name a confirmed address go first: the old unique index forbids them.
    op.execute(
        sa.text(
            'DELETE FROM "user" WHERE NOT is_verified AND email IN '
            '(SELECT email FROM "user" GROUP BY email HAVING COUNT(*) > 1)'
        )
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index("uq_user_verified_email")
        batch_op.drop_index(batch_op.f("ix_user_email"))
        batch_op.create_index(batch_op.f("ix_user_email"), ["email"], unique=True)
