"""account lifecycle: users can be deactivated, team audit entries keep a name, admin audit log

Existing users stay active (the column's server default). `audit_event.actor_name` is filled when
an actor's account is deleted; `actor_id` already becomes NULL then (ON DELETE SET NULL).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:45:54.838082
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import teamsapp.models.base

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("target_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", teamsapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_admin_audit_event_actor_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["user.id"], name=op.f("fk_admin_audit_event_target_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit_event")),
    )
    with op.batch_alter_table("admin_audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_event_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_audit_event_target_id"), ["target_id"], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        # The server default makes every existing account active, and keeps inserts of older code working.
        batch_op.add_column(sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_active")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("actor_name")

    with op.batch_alter_table("admin_audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_audit_event_target_id"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_event_created_at"))
        batch_op.drop_index(batch_op.f("ix_admin_audit_event_actor_id"))

    op.drop_table("admin_audit_event")
