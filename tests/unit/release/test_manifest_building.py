"""What a release manifest says, built from the facts a service gathered (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from custos import ledger, release
from custos.domain.decisions import Effect
from custos.domain.legal import LegalProcess, LegalProcessKind
from custos.release import (
    Contents,
    Disclosure,
    LedgerAnchor,
    PayloadFormat,
    Sealed,
    StoredDecision,
    build_manifest,
    plan_release,
)

SEALED = Sealed(sha256="a" * 64, size=10, ciphertext_sha256="b" * 64, ciphertext_size=20)
ANCHOR = LedgerAnchor(
    origin="agency.example/ledger",
    checkpoint={"size": 7, "root": "cm9vdA=="},
    accounting_first=8,
    accounting_count=2,
)
CONTENTS = Contents(format=PayloadFormat.CSV, sealed=SEALED, people=2, rows=2)
AT = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def _disclosure(*, no_onward_sharing: bool) -> Disclosure:
    decisions = [
        StoredDecision(
            class_key="c1",
            field="snap/full_name",
            effect=Effect.DISCLOSE,
            rule_ids=("r1",),
            obligations={"no_onward_sharing": no_onward_sharing, "retention_days": 30},
        ),
        StoredDecision(
            class_key="c1",
            field="snap/address",
            effect=Effect.GENERALIZE,
            obligations={"generalize_to": "county", "no_onward_sharing": no_onward_sharing},
        ),
    ]
    plan = plan_release(
        decisions,
        requested_fields=["snap/full_name", "snap/address"],
        default_retention_days=365,
    )
    return Disclosure(
        request_id="req_1",
        requester_id="rqr_1",
        requester_name="Field Office",
        requester_kind="local_law_enforcement",
        process=LegalProcess(
            kind=LegalProcessKind.COURT_ORDER, issuer="Court", docket_number="4:26-cv-1"
        ),
        purpose="fugitive_felon",
        purpose_text="locate a named fugitive",
        pack_name="missouri",
        pack_version="1.0",
        pack_hash="c" * 64,
        plan=plan,
    )


def _manifest(**extra: str) -> dict[str, object]:
    return build_manifest(
        kind="release",
        release_id="rel_1",
        disclosure=_disclosure(no_onward_sharing=True),
        contents=CONTENTS,
        retention_until=dt.date(2026, 3, 31),
        anchor=ANCHOR,
        created_at=AT,
        signers=["verifier-key"],
        extra=extra or None,
    )


def test_the_manifest_names_parties_authority_fields_and_payload() -> None:
    m = _manifest()
    assert m["format"] == release.manifest.MANIFEST_FORMAT
    assert (m["kind"], m["release"], m["request"]) == ("release", "rel_1", "req_1")
    assert m["requester"] == {
        "id": "rqr_1",
        "name": "Field Office",
        "kind": "local_law_enforcement",
    }
    assert m["legal_process"] == {
        "kind": "court_order",
        "issuer": "Court",
        "docket_number": "4:26-cv-1",
        "document_sha256": None,
    }
    assert m["fields"] == ["snap/full_name", "snap/address"]
    assert m["generalized"] == {"snap/address": "county"}
    assert m["payload"] == {
        "format": "csv",
        "name": "payload.csv",
        "media_type": PayloadFormat.CSV.media_type,
        "sha256": SEALED.sha256,
        "size": 10,
        "ciphertext_sha256": SEALED.ciphertext_sha256,
        "ciphertext_size": 20,
    }
    assert m["ledger"] == {
        "origin": "agency.example/ledger",
        "checkpoint": {"size": 7, "root": "cm9vdA=="},
        "accounting_first": 8,
        "accounting_count": 2,
    }
    assert m["created_at"] == "2026-03-01T15:30:15+00:00"
    assert m["retention_until"] == "2026-03-31"


@pytest.mark.parametrize("onward", [True, False])
def test_the_use_limitation_always_binds_and_no_onward_sharing_when_planned(
    onward: bool,
) -> None:
    m = build_manifest(
        kind="release",
        release_id="rel_1",
        disclosure=_disclosure(no_onward_sharing=onward),
        contents=CONTENTS,
        retention_until=dt.date(2026, 3, 31),
        anchor=ANCHOR,
        created_at=AT,
        signers=[],
    )
    assert m["terms"] == {
        "use_limitation": release.manifest.USE_LIMITATION,
        "no_onward_sharing": release.manifest.NO_ONWARD_SHARING if onward else None,
    }


def test_a_correction_adds_what_it_corrects() -> None:
    m = _manifest(corrects="rel_0", reason="wrong address")
    assert (m["corrects"], m["reason"]) == ("rel_0", "wrong address")


def test_a_built_manifest_signs_and_verifies() -> None:
    signer, verifier = ledger.generate_key("agency.example/ledger")
    data = release.manifest.canonical(_manifest())
    signature = release.manifest.sign("rel_1", data, [signer])
    assert release.manifest.verify(data, signature, [verifier]) == _manifest()
