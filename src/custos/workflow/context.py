"""The application context: settings, the database and the clock, built once per process.

Services receive a `Context` instead of reading globals, so tests run the production code
against their own database and clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from custos.config import Settings
from custos.policy import Pack, load_pack
from custos.store.engine import make_engine, session_factory


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(kw_only=True)
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime] = field(default=_utcnow)
    _packs: dict[str, Pack] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None
    ) -> Context:
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=clock or _utcnow,
        )

    def pack(self, name: str | None = None) -> Pack:
        """A policy pack by name (default: the active one), loaded once per process."""
        chosen = name or self.settings.active_pack
        if chosen not in self._packs:
            self._packs[chosen] = load_pack(self.settings.policies_dir / chosen)
        return self._packs[chosen]

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception.

        Services own transactions; repositories and capability code never commit. A state
        change and its ledger entry are written inside the same `transaction()` block.
        """
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with self.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()
