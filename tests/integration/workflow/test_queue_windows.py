"""The staff queue gives every request told before disclosure its challenge window in the
same few queries, however many such requests a page holds, and the same dates as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from custos.workflow import requests
from custos.workflow.requests import QueueQuery, release_window_of
from custos.workflow.requests.state import load
from tests.integration.conftest import World, send_pending_letters
from tests.integration.release.conftest import admin_request, approve


@contextmanager
def _statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = world.ctx.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _page(world: World) -> tuple[requests.QueuePage, int]:
    with _statements(world) as seen:
        page = requests.search_queue(
            world.ctx, actor=world.staff["counsel"], query=QueueQuery(tab="approved")
        )
    return page, len(seen)


def _approved(world: World) -> str:
    rid = admin_request(world)
    approve(world, rid)
    return rid


def test_a_page_costs_the_same_queries_however_many_requests_have_a_window(
    world: World,
) -> None:
    first = _approved(world)
    send_pending_letters(world, days_ago=3)
    one, cost_of_one = _page(world)
    assert [r.id for r in one.rows] == [first]
    for _ in range(4):
        _approved(world)  # their letters are not sent yet
    many, cost_of_many = _page(world)
    assert len(many.rows) == 5
    assert cost_of_many == cost_of_one
    # Each row's dates are those of the request's own window, as the release reads it.
    with world.ctx.reading() as s:
        for row in many.rows:
            window = release_window_of(world.ctx, s, load(s, row.id))
            assert window.noticed == 1
            ends = window.earliest - dt.timedelta(days=1) if window.earliest else None
            assert row.due.challenge_window_ends == ends
            assert row.due.letters_unsent == (window.unsent > 0)
    [told] = [r for r in many.rows if r.id == first]
    assert told.due.challenge_window_ends is not None
    assert not told.due.letters_unsent
    assert all(r.due.letters_unsent for r in many.rows if r.id != first)
