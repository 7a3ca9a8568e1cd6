"""The application context: settings, the database and the clock, built once per process.

Services receive a `Context` instead of reading globals, so tests run the production code
against their own database and clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from custos.config import Settings
from custos.policy import Pack, load_pack
from custos.store.core import Prepared
from custos.store.engine import READ_ONLY, make_engine, session_factory, writer_lock
from custos.store.tables import PackActivation

#: The pack activation in force, read by every decision (built once, issue 18).
_LAST_ACTIVATION = Prepared(
    select(PackActivation.name, PackActivation.content_hash)
    .order_by(PackActivation.id.desc())
    .limit(1)
)


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
        settings.pseudonym_key  # noqa: B018  (fail at start-up, not at the first pseudonym)
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
        with self.sessions() as session, writer_lock(self.engine), session.begin():
            yield session

    @contextmanager
    def writer_lock_if_free(self) -> Iterator[bool]:
        """Whether this thread now holds the database's writer lock, taken without waiting
        (SQLite; always True elsewhere). A `transaction()` opened inside, on the same thread,
        does not wait for it again. For an event loop, which must not block on a writer that
        may hold the lock for minutes (`custos.store.engine.writer_lock`)."""
        with writer_lock(self.engine, wait=False) as held:
            yield held

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session.

        On SQLite it reads a snapshot without taking the write lock, so it may be opened
        while another unit of work is writing, and is rolled back at the end.

        On PostgreSQL the transaction is begun READ ONLY (the server refuses any write in
        it) and a read that succeeds ends with COMMIT: psycopg forgets every prepared
        statement of its connection on a ROLLBACK, so ending reads that way had every
        statement of every later request on that connection planned again (issue 18). A
        read that raises is still rolled back.
        """
        server = self.engine.dialect.name == "postgresql"
        options = {READ_ONLY: True, "postgresql_readonly": True} if server else {READ_ONLY: True}
        with self.engine.connect().execution_options(**options) as conn:
            session = Session(bind=conn, expire_on_commit=False)
            try:
                yield session
                if server:
                    session.commit()
            finally:
                # Closing detaches what was read with its loaded state intact (and rolls
                # back what was not committed).
                session.close()

    def active_pack(self, session: Session | None = None) -> Pack:
        """The pack in force: the last activation, when it is still the same on disk.

        Falls back to the configured `active_pack` when nothing was activated or the
        activated pack's files changed since (a changed pack must be checked and activated
        again before it decides anything). Given the caller's `session`, it reads there: a
        request is decided under the pack its own transaction sees, without a second session.
        """
        if session is None:
            with self.reading() as reader:
                return self.active_pack(reader)
        last = _LAST_ACTIVATION.first(session)
        if last is not None:
            name, content_hash = last
            pack = self.pack(name)
            if pack.content_hash == content_hash:
                return pack
        return self.pack()
