"""The leader lock: of several server processes over one database, exactly one leads, and the
lock is free again once its holder lets go (or dies: see tests/integration/api/test_workers.py
for real processes)."""

from __future__ import annotations

from custos.workflow.context import Context
from custos.workflow.leader import Leadership


def test_only_one_holder_leads_until_it_lets_go(ctx: Context) -> None:
    first, second = Leadership(ctx), Leadership(ctx)
    try:
        assert first.try_take()
        assert not second.try_take()
        assert first.try_take(), "the leader keeps the lead on its next check"
        assert not second.try_take()
        first.release()
        assert second.try_take()
        assert not first.try_take()
    finally:
        first.release()
        second.release()
