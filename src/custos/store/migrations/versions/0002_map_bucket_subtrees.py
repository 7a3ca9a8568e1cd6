"""map buckets keep their 16 subtree hashes

Revision ID: 0002
Revises: 0001

A bucket row gains `subtrees`: the hashes of its 16 subtrees four levels below its root, so a
map proof hashes one subtree's people instead of the whole bucket's (issue 18). Existing
buckets are filled in from their records here, so a database made before this revision
upgrades in place; the hashes are derived data, worked out by the same code that writes them
(`custos.ledger._map_buckets.Bucket.subtrees_blob`), and the column is then made NOT NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from custos.ledger._map_buckets import Bucket

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_buckets = sa.table(
    "ledger_map_buckets",
    sa.column("map", sa.Integer()),
    sa.column("bucket", sa.Integer()),
    sa.column("records", sa.LargeBinary()),
    sa.column("subtrees", sa.LargeBinary()),
)


def upgrade() -> None:
    with op.batch_alter_table("ledger_map_buckets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subtrees", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    # At most 8,192 rows (two maps of 4,096 buckets): read the keys, then each row's records.
    keys = connection.execute(sa.select(_buckets.c.map, _buckets.c.bucket)).all()
    for kind, bucket in keys:
        where = sa.and_(_buckets.c.map == kind, _buckets.c.bucket == bucket)
        records = connection.execute(sa.select(_buckets.c.records).where(where)).scalar_one()
        subtrees = Bucket.from_blob(bytes(records)).subtrees_blob()
        connection.execute(sa.update(_buckets).where(where).values(subtrees=subtrees))
    with op.batch_alter_table("ledger_map_buckets", schema=None) as batch_op:
        batch_op.alter_column("subtrees", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_map_buckets", schema=None) as batch_op:
        batch_op.drop_column("subtrees")
