"""Building a release: only approved fields of approved people leave, encrypted, accounted for."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select, update

from custos import records, release
from custos.domain.errors import ConflictError
from custos.domain.events import EventTag
from custos.release import PayloadFormat, ReleaseVerificationError
from custos.store import tables as t
from custos.workflow import releases
from tests.integration.conftest import World
from tests.integration.release.conftest import approved_bulk, approved_felon, requester

AGE = shutil.which("age")


def save_package(world: World, key: str, release_id: str, path: Path) -> Path:
    pkg = releases.download(world.ctx, actor=requester(world, key), release_id=release_id)
    data = b"".join(pkg.chunks)
    assert len(data) == pkg.size
    path.write_bytes(data)
    return path


def age_decrypt(world: World, key: str, ciphertext: bytes, tmp: Path) -> bytes:
    """Decrypt with the real `age` command-line tool, as a recipient would."""
    assert AGE is not None, "the age command-line tool is required (Debian package age)"
    identity = tmp / f"{key}.key"
    identity.write_text(str(world.identities[key]) + "\n")
    done = subprocess.run(
        [AGE, "-d", "-i", str(identity)], input=ciphertext, capture_output=True, check=True
    )
    return done.stdout


def member(package: Path, name: str) -> bytes:
    with tarfile.open(package) as tar:
        f = tar.extractfile(name)
        assert f is not None
        return f.read()


def accounting(world: World, request_id: str) -> list[tuple[str | None, dict[str, object]]]:
    with world.ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.subject_ref, t.LedgerEntry.body)
            .where(
                t.LedgerEntry.request_id == request_id,
                t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value,
            )
            .order_by(t.LedgerEntry.idx)
        ).all()
    return [(ref, json.loads(body)) for ref, body in rows]


def test_fleeing_felon_release_decrypts_with_age_and_holds_only_the_approved_fields(
    world: World, verifier: str, tmp_path: Path
) -> None:
    rid = approved_felon(world)
    built = releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    assert built.format is PayloadFormat.CSV
    assert built.people == built.rows == 1
    assert list(built.fields) == ["snap/address", "snap/ssn", "snap/photo"]

    package = save_package(world, "police", built.id, tmp_path / "release.tar")
    plain = age_decrypt(world, "police", member(package, "payload.csv.age"), tmp_path)
    rows = pl.read_csv(io.BytesIO(plain), infer_schema=False).to_dicts()
    person = world.person("snap_fleeing_felon")
    assert rows == [
        {
            "row": "1",
            "snap/address": rows[0]["snap/address"],
            "snap/ssn": person.ssn,
            "snap/photo": rows[0]["snap/photo"],
        }
    ]
    assert rows[0]["snap/address"].endswith(f"MO {person.zip}") if hasattr(person, "zip") else True
    assert "benefit" not in plain.decode()
    assert person.full_name not in plain.decode()

    # The manifest verifies, offline, with the agency key and the recipient's identity.
    verified = release.verify_package(
        package, verifier_keys=[verifier], identities=[world.identities["police"]]
    )
    assert verified.decrypted
    m = verified.manifest
    assert m["request"] == rid
    assert m["people"] == m["rows"] == 1
    assert m["legal_process"]["kind"] == "written_request"
    assert m["purpose"]["code"] == "fleeing_felon"
    assert m["terms"]["no_onward_sharing"]
    assert m["payload"]["sha256"] == __import__("hashlib").sha256(plain).hexdigest()
    assert m["retention_until"] == "2031-03-01"
    assert m["ledger"]["accounting_count"] == 1

    # One accounting entry for the person, under their pseudonym, no personal data in it.
    [(ref, body)] = accounting(world, rid)
    with world.ctx.reading() as s:
        subject_ref = s.scalars(
            select(t.RequestSubject.subject_ref).where(t.RequestSubject.request_id == rid)
        ).one()
    assert ref == subject_ref
    data = body["data"]
    assert isinstance(data, dict)
    assert data["subject"] == subject_ref  # inside the hashed entry, not only the column
    assert data["release"] == built.id
    assert data["fields"] == ["snap/address", "snap/ssn", "snap/photo"]
    assert data["generalized"] == []
    assert data["requester_kind"] == "local_law_enforcement"
    assert data["retention_until"] == "2031-03-01"
    assert person.ssn is not None
    assert person.ssn not in json.dumps(body)

    # The request moved on, and the status is readable by release id.
    with world.ctx.reading() as s:
        assert s.get(t.Request, rid).status == "released"  # type: ignore[union-attr]
        assert releases.status_of(s, [built.id, "rel_nope"]) == {built.id: "released"}


def test_a_flipped_byte_fails_verification(world: World, verifier: str, tmp_path: Path) -> None:
    rid = approved_felon(world)
    built = releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    good = save_package(world, "police", built.id, tmp_path / "good.tar")
    ids = [world.identities["police"]]
    release.verify_package(good, verifier_keys=[verifier], identities=ids)

    for name in ("manifest.json", "payload.csv.age", "manifest.sig"):
        directory = tmp_path / name
        directory.mkdir()
        with tarfile.open(good) as tar:
            tar.extractall(directory, filter="data")
        target = directory / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        with pytest.raises(ReleaseVerificationError):
            release.verify_package(directory, verifier_keys=[verifier], identities=ids)


def test_a_bulk_release_generalizes_addresses_to_counties_and_skips_excluded_people(
    world: World, tmp_path: Path
) -> None:
    rid = approved_bulk(world)
    with world.ctx.transaction() as s:
        disclosing = set(
            s.scalars(
                select(t.DecisionRow.class_key).where(
                    t.DecisionRow.request_id == rid, t.DecisionRow.effect != "withhold"
                )
            )
        )
        subjects = s.execute(
            select(t.RequestSubject.id, t.RequestSubject.subject_ref)
            .where(
                t.RequestSubject.request_id == rid,
                t.RequestSubject.class_key.in_(disclosing),
            )
            .order_by(t.RequestSubject.position)
        ).all()
        assert len(subjects) >= 2
        excluded_id, excluded_ref = subjects[0]
        count = len(subjects)
        s.execute(
            update(t.RequestSubject).where(t.RequestSubject.id == excluded_id).values(excluded=True)
        )
    built = releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    assert built.format is PayloadFormat.PARQUET
    assert built.people == count - 1

    package = save_package(world, "usda", built.id, tmp_path / "bulk.tar")
    plain = age_decrypt(world, "usda", member(package, "payload.parquet.age"), tmp_path)
    frame = pl.read_parquet(io.BytesIO(plain))
    assert frame.columns == ["row", "snap/full_name", "snap/address", "snap/benefit_amount"]
    assert frame.height == built.rows
    counties = set(frame["snap/address"].to_list())
    assert counties
    assert counties <= set(records.COUNTY_NAMES)
    assert frame["row"].to_list() == list(range(1, frame.height + 1))

    entries = accounting(world, rid)
    assert len(entries) == built.people
    assert excluded_ref not in {ref for ref, _ in entries}
    assert all(e["data"]["generalized"] == ["snap/address"] for _, e in entries)  # type: ignore[index]
    assert all(e["data"]["subject"] == ref for ref, e in entries)  # type: ignore[index]


def test_only_an_approved_request_is_released(world: World) -> None:
    rid = approved_felon(world)
    releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    with pytest.raises(ConflictError):
        releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    with world.ctx.reading() as s:
        assert (
            s.scalar(
                select(__import__("sqlalchemy").func.count())
                .select_from(t.LedgerEntry)
                .where(t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value)
            )
            == 1
        )
