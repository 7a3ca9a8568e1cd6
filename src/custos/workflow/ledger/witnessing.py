"""Witnesses: the log submits checkpoints to them (C2SP tlog-witness) and keeps their
cosignatures (C2SP tlog-cosignature); a witness keeps its own state in its own database.

The log's side. Each witness the log trusts (`add_witness`, by its cosignature/v1 verifier
key) and that has a submission URL receives every new checkpoint through `add-checkpoint`,
with a consistency proof from the size it last cosigned. Its answers:

- 200: the cosignature lines are checked against the witness's key and stored, and served
  with the checkpoint from then on;
- 409 with a smaller size: the witness's record is behind ours (a lost answer, a restored
  database): submitted again once, from that size;
- 409 for the size it holds, 409 with a size beyond our latest checkpoint, 422: the witness
  holds a history this log did not sign — evidence of a fork or a rollback. It is kept as a
  `witness_alarms` row and raised at once as a `witness_inconsistent_checkpoint` alert;
- 400, 403 (our key not trusted there), 404 (our origin unknown there), no answer: recorded
  as the witness's `last_status`, retried with the next checkpoint.

The witness's side is `custos.ledger.Cosigner` over `SqlWitnessMemory`, served by
`custos witness` (`custos.api.witness`). The older pull protocol (`custos.ledger.Witness`
fetching `/v1/ledger/checkpoint` and posting to `/v1/ledger/cosignatures`) still works.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError, InvalidInputError, NotFoundError
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.ledger import (
    ALG_COSIGNATURE_V1,
    AddCheckpoint,
    Checkpoint,
    NoteError,
    OpenedNote,
    Seen,
    VerifierKey,
    Witnessed,
    WitnessReply,
    open_note_full,
    parse_note,
    parse_size_body,
    post_add_checkpoint,
)
from custos.store.engine import make_engine, session_factory
from custos.store.ledger_tables import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerWitness,
    WitnessAlarm,
    WitnessState,
)
from custos.workflow.context import Context
from custos.workflow.ledger.checkpoints import (
    PublishedCheckpoint,
    latest_checkpoint,
    latest_row,
    publish_checkpoint,
)
from custos.workflow.ledger.reads import consistency

#: How a witness's answer is posted: (URL, request, timeout) → reply. Tests may pass another.
Poster = Callable[[str, AddCheckpoint, float], WitnessReply]


def _post(url: str, request: AddCheckpoint, timeout: float) -> WitnessReply:
    return post_add_checkpoint(url, request, timeout=timeout)


def add_witness(ctx: Context, verifier_key: str, *, url: str | None = None) -> str:
    """Trust a witness's cosignatures (its alg 0x04 verifier key); returns its name.

    With `url` (its tlog-witness submission prefix) every new checkpoint is submitted to it.
    """
    try:
        parsed = VerifierKey.parse(verifier_key)
    except NoteError as exc:
        raise InvalidInputError(f"not a witness verifier key: {exc}") from None
    if parsed.alg != ALG_COSIGNATURE_V1:
        raise InvalidInputError("a witness key must be a cosignature/v1 (0x04) key")
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInputError("a witness URL must be http or https")
    with ctx.transaction() as session:
        existing = session.scalars(
            select(LedgerWitness).where(LedgerWitness.verifier_key == verifier_key)
        ).first()
        if existing is None:
            session.add(
                LedgerWitness(
                    name=parsed.name,
                    verifier_key=verifier_key,
                    active=True,
                    added_at=ctx.now(),
                    url=url,
                    cosigned_size=0,
                )
            )
        elif url is not None:
            existing.url = url
    return parsed.name


def _store_cosignatures(ctx: Context, session: Session, size: int, opened: OpenedNote) -> int:
    times = {(name, kid): t for name, kid, t in opened.cosigned_at}
    stored = 0
    for sig in opened.verified:
        when = times.get((sig.name, sig.key_id))
        if when is None:
            continue
        exists = session.scalars(
            select(LedgerCosignature).where(
                LedgerCosignature.checkpoint_size == size,
                LedgerCosignature.witness_name == sig.name,
                LedgerCosignature.key_id == sig.key_id.hex(),
            )
        ).first()
        if exists is not None:
            continue
        session.add(
            LedgerCosignature(
                checkpoint_size=size,
                witness_name=sig.name,
                key_id=sig.key_id.hex(),
                line=sig.line(),
                cosigned_at=dt.datetime.fromtimestamp(when, dt.UTC),
                received_at=ctx.now(),
            )
        )
        stored += 1
    return stored


def add_cosignature(ctx: Context, cosigned_note: str) -> int:
    """Store the cosignatures of trusted witnesses found on a published checkpoint.

    The note's text must be exactly a checkpoint the log signed; returns how many new
    cosignatures were stored. Unknown witnesses are ignored; a bad signature by a known one
    is an error.
    """
    try:
        text, _ = parse_note(cosigned_note)
        checkpoint = Checkpoint.parse(text)
    except IntegrityError as exc:
        raise InvalidInputError(f"not a checkpoint: {exc}") from None
    with ctx.transaction() as session:
        row = session.get(LedgerCheckpoint, checkpoint.size)
        if row is None or parse_note(row.note)[0] != text:
            raise NotFoundError("this log signed no such checkpoint")
        witnesses = list(session.scalars(select(LedgerWitness).where(LedgerWitness.active)))
        if not witnesses:
            return 0
        try:
            opened = open_note_full(
                note=cosigned_note, verifier_keys=[w.verifier_key for w in witnesses]
            )
        except NoteError as exc:
            raise InvalidInputError(f"cosignature rejected: {exc}") from None
        return _store_cosignatures(ctx, session, row.size, opened)


# --- submitting to witnesses (tlog-witness, the log's side) ------------------------------------


@dataclass(frozen=True, kw_only=True)
class WitnessOutcome:
    """What one witness answered to one checkpoint."""

    witness: str
    #: The HTTP status of its last answer; None when it could not be reached.
    status: int | None
    cosigned: bool
    detail: str
    #: True when the answer shows a history this log did not sign (an alarm was raised).
    alarm: bool = False


@dataclass(frozen=True, kw_only=True)
class _Target:
    id: int
    name: str
    url: str
    verifier_key: str
    cosigned_size: int


def submit_to_witnesses(ctx: Context, *, post: Poster = _post) -> list[WitnessOutcome]:
    """Submit the latest checkpoint to every active witness with a URL (C2SP tlog-witness).

    No database transaction is held while a witness is asked. Raises nothing for a witness's
    answer: each outcome is recorded on the witness and returned.
    """
    with ctx.reading() as session:
        row = latest_row(session)
        if row is None:
            return []
        size, note = row.size, row.note
        targets = [
            _Target(
                id=w.id,
                name=w.name,
                url=w.url,
                verifier_key=w.verifier_key,
                cosigned_size=w.cosigned_size,
            )
            for w in session.scalars(
                select(LedgerWitness)
                .where(LedgerWitness.active, LedgerWitness.url.is_not(None))
                .order_by(LedgerWitness.id)
            )
            if w.url is not None
        ]
    outcomes = [_submit(ctx, t, size, note, post) for t in targets]
    if any(o.alarm for o in outcomes):
        from custos.workflow import oversight  # imports this package: import when needed

        oversight.check_alerts(ctx)
    return outcomes


def publish_and_witness(ctx: Context, *, post: Poster = _post) -> PublishedCheckpoint:
    """Publish a checkpoint, submit it to the witnesses, return it with their cosignatures."""
    publish_checkpoint(ctx)
    submit_to_witnesses(ctx, post=post)
    return latest_checkpoint(ctx)


def publish_checkpoint_as(ctx: Context, *, actor: StaffPrincipal) -> PublishedCheckpoint:
    """`publish_and_witness` started by hand by a member of staff who may publish."""
    require(actor, Action.CHECKPOINT_PUBLISH)
    return publish_and_witness(ctx)


def _submit(ctx: Context, target: _Target, size: int, note: str, post: Poster) -> WitnessOutcome:
    old = target.cosigned_size
    if old == size and _has_cosignature(ctx, target, size):
        return WitnessOutcome(witness=target.name, status=200, cosigned=True, detail="up to date")
    if old > size:
        old = 0  # ask again from nothing: the witness answers 409 with what it holds
    for _ in range(2):
        proof = consistency(ctx, old, size) if 0 < old < size else []
        request = AddCheckpoint(old_size=old, proof=proof, note=note)
        try:
            reply = post(target.url, request, ctx.settings.witness_timeout_seconds)
        except (OSError, ValueError) as exc:
            return _record(ctx, target, None, f"not reachable ({type(exc).__name__})")
        if reply.status == 200:  # noqa: PLR2004 - HTTP status
            return _accept(ctx, target, size, note, reply.body)
        if reply.status != 409:  # noqa: PLR2004 - HTTP status
            break
        try:
            theirs = parse_size_body(reply.body)
        except ValueError:
            return _record(ctx, target, 409, "409 without a tree size")
        if theirs == old or theirs > size:
            held = "another root for" if theirs == old else "a checkpoint beyond ours, of"
            return _alarm(ctx, target, 409, f"the witness holds {held} size {theirs}", request)
        old = theirs
    return _refused(ctx, target, reply, old, request)


def _refused(
    ctx: Context, target: _Target, reply: WitnessReply, old: int, request: AddCheckpoint
) -> WitnessOutcome:
    if reply.status == 422:  # noqa: PLR2004 - HTTP status
        reason = f"the witness found our checkpoint inconsistent with its size {old}"
        return _alarm(ctx, target, 422, reason, request)
    known = {
        400: "the witness refused the request as malformed",
        403: "the witness does not trust this log's key",
        404: "the witness does not follow this log's origin",
        409: "the witness answered 409 again",
    }
    return _record(ctx, target, reply.status, known.get(reply.status, "unexpected answer"))


def _has_cosignature(ctx: Context, target: _Target, size: int) -> bool:
    with ctx.reading() as session:
        return (
            session.scalars(
                select(LedgerCosignature.id).where(
                    LedgerCosignature.checkpoint_size == size,
                    LedgerCosignature.witness_name == target.name,
                )
            ).first()
            is not None
        )


def _accept(ctx: Context, target: _Target, size: int, note: str, body: bytes) -> WitnessOutcome:
    try:
        opened = open_note_full(
            note=note + body.decode("utf-8"), verifier_keys=[target.verifier_key]
        )
    except (NoteError, UnicodeDecodeError):
        return _record(ctx, target, 200, "the answer holds no valid cosignature by this witness")
    with ctx.transaction() as session:
        _store_cosignatures(ctx, session, size, opened)
        witness = session.get(LedgerWitness, target.id)
        if witness is not None:
            witness.cosigned_size, witness.last_status = size, "200 cosigned"
            witness.last_attempt_at = ctx.now()
    return WitnessOutcome(witness=target.name, status=200, cosigned=True, detail="cosigned")


def _record(ctx: Context, target: _Target, status: int | None, detail: str) -> WitnessOutcome:
    with ctx.transaction() as session:
        witness = session.get(LedgerWitness, target.id)
        if witness is not None:
            witness.last_status = f"{status or '-'} {detail}"[:400]
            witness.last_attempt_at = ctx.now()
    return WitnessOutcome(witness=target.name, status=status, cosigned=False, detail=detail)


def _alarm(
    ctx: Context, target: _Target, status: int, reason: str, request: AddCheckpoint
) -> WitnessOutcome:
    with ctx.transaction() as session:
        session.add(
            WitnessAlarm(
                origin=ctx.settings.ledger_origin,
                reason=f"witness {target.name} refused our checkpoint ({status}): {reason}",
                previous_note="",
                offered_note=request.note,
                proof=" ".join(base64.b64encode(p).decode() for p in request.proof),
                at=ctx.now(),
            )
        )
    outcome = _record(ctx, target, status, reason)
    return WitnessOutcome(
        witness=outcome.witness, status=status, cosigned=False, detail=reason, alarm=True
    )


# --- a witness's own storage --------------------------------------------------------------------


class SqlWitnessMemory:
    """A witness's state in its own database (`witness_state`, `witness_alarms`).

    Serves both the tlog-witness server (`custos.ledger.CosignerState`: `transact`, `alarm`)
    and the older pull witness (`custos.ledger.WitnessMemory`: `last`, `accept`, `alarm`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @classmethod
    def from_url(cls, url: str) -> SqlWitnessMemory:
        from custos.store.base import Base

        engine = make_engine(url)
        Base.metadata.create_all(engine, tables=[WitnessState.__table__, WitnessAlarm.__table__])  # type: ignore[list-item]  # __table__ is typed as FromClause
        return cls(engine)

    def transact(self, origin: str, decide: Callable[[Witnessed | None], Witnessed]) -> None:
        """Read, decide and store in one transaction holding the row (tlog-witness: the check
        of the old size and the update are atomic)."""
        with self.sessions() as session, session.begin():
            row = session.get(WitnessState, origin, with_for_update=True)
            last = (
                None
                if row is None
                else Witnessed(size=row.size, root=bytes(row.root), text=row.note)
            )
            new = decide(last)
            now = dt.datetime.now(dt.UTC)
            if row is None:
                session.add(
                    WitnessState(
                        origin=origin, size=new.size, root=new.root, note=new.text, updated_at=now
                    )
                )
            else:
                row.size, row.root, row.note, row.updated_at = new.size, new.root, new.text, now

    def last(self, origin: str) -> Seen | None:
        with self.sessions() as session:
            row = session.get(WitnessState, origin)
            if row is None:
                return None
            return Seen(size=row.size, root=bytes(row.root), note=row.note)

    def accept(self, origin: str, seen: Seen) -> None:
        self.transact(origin, lambda _: Witnessed(size=seen.size, root=seen.root, text=seen.note))

    def alarm(
        self,
        *,
        origin: str,
        reason: str,
        previous: str,
        offered: str,
        proof: list[bytes] | None = None,
    ) -> None:
        with self.sessions() as session, session.begin():
            session.add(
                WitnessAlarm(
                    origin=origin,
                    reason=reason,
                    previous_note=previous,
                    offered_note=offered,
                    proof=" ".join(base64.b64encode(p).decode() for p in proof or []),
                    at=dt.datetime.now(dt.UTC),
                )
            )

    def alarms(self) -> list[tuple[str, str]]:
        """(origin, reason) of every refusal kept, oldest first."""
        with self.sessions() as session:
            return [
                (a.origin, a.reason)
                for a in session.scalars(select(WitnessAlarm).order_by(WitnessAlarm.id))
            ]


class LocalLogClient:
    """A pull witness's `LogClient` calling this process's services directly (tests)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def latest_checkpoint(self) -> str:
        return latest_checkpoint(self.ctx).note

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return consistency(self.ctx, size1, size2)

    def submit_cosignature(self, note: str) -> None:
        add_cosignature(self.ctx, note)
