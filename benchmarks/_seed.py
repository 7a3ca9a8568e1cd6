"""A fresh SQLite store for a benchmark: migrated, holding `people` generated recipients, with
an administrator. Intake and the staff queue start from the same store, so their figures
describe the same data."""

from __future__ import annotations

from pathlib import Path

from custos import records
from custos.config import Settings
from custos.domain.principals import StaffPrincipal
from custos.domain.roles import Role
from custos.store.migrate import upgrade
from custos.workflow import accounts
from custos.workflow.context import Context

PASSWORD = "benchmark-password"  # nosec B105  (a throwaway benchmark store's staff password)


def seeded_store(root: Path, people: int) -> tuple[Context, StaffPrincipal]:
    """The store in `root`, and its administrator."""
    settings = Settings(
        database_url=f"sqlite:///{root / 'bench.db'}",
        data_dir=root,
        pseudonym_secret="benchmark-pseudonym-secret-0001",
        policies_dir=Path(__file__).resolve().parents[1] / "policies",
    )
    ctx = Context.from_settings(settings)
    upgrade(ctx.engine)
    with ctx.transaction() as s:
        records.load(s, records.generate(people, seed=1))
    admin = accounts.create_staff(
        ctx, actor=None, username="admin", display_name="", password=PASSWORD, roles={Role.ADMIN}
    )
    return ctx, admin
