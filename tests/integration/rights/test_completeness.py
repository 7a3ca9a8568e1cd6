"""A person's accounting proves itself complete: "these are all N disclosures of your data".

A real accounting document, downloaded by the person, verifies — and each way the agency
could show a shorter or someone else's list fails: a dropped disclosure, a map proof for
another person or from an older checkpoint, an altered count or list.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from custos.domain.errors import IntegrityError
from custos.ledger import verify_export
from custos.rights import verify_accounting
from custos.workflow import ledger as ledger_service
from tests.integration.conftest import World
from tests.integration.rights.conftest import account, sign_in
from tests.integration.web.conftest import person_browser

Doc = dict[str, Any]


def _download(client: TestClient, world: World, key: str) -> Doc:
    doc: Doc = client.get("/v1/me/disclosures", headers=sign_in(client, world, key)).json()
    return doc


def _history(world: World) -> None:
    """Three disclosures of one person across two checkpoints, one of someone else."""
    account(world, "snap_noncitizen", release_id="rel_1")
    account(world, "household_head", release_id="rel_1")
    ledger_service.publish_checkpoint(world.ctx)
    account(world, "snap_noncitizen", release_id="rel_2")
    account(world, "snap_noncitizen", release_id="rel_3")
    ledger_service.publish_checkpoint(world.ctx)


def test_the_list_is_proven_complete_and_a_person_with_none_is_proven_absent(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    _history(world)
    # The auditor recomputes both committed roots from the exported log.
    ledger_service.export(world.ctx, tmp_path / "export")
    assert verify_export(tmp_path / "export", verifier_keys=[verifier]).map_commits == 2
    doc = _download(client, world, "snap_noncitizen")
    assert doc["completeness"]["count"] == 3
    assert doc["completeness"]["statement"]["en"].startswith(
        "These are all 3 disclosures of your data recorded up to "
    )
    assert doc["completeness"]["statement"]["es"].endswith("3 en total.")
    assert verify_accounting(doc, verifier_keys=[verifier]).complete.count == 3
    nobody = _download(client, world, "household_spouse")
    assert nobody["disclosures"] == []
    assert nobody["completeness"]["statement"]["en"].startswith("No disclosure of your data")
    assert verify_accounting(nobody, verifier_keys=[verifier]).complete.count == 0


def _drop_disclosure(d: Doc, _: dict[str, Doc]) -> None:
    d["disclosures"].pop(1)


def _drop_and_unlist(d: Doc, _: dict[str, Doc]) -> None:
    index = d["disclosures"].pop(1)["index"]
    c = d["completeness"]
    c["entries"] = [e for e in c["entries"] if e["index"] != index]
    c["count"] -= 1


def _other_persons_proof(d: Doc, others: dict[str, Doc]) -> None:
    d["completeness"]["map_proof"] = others["head"]["completeness"]["map_proof"]


def _other_persons_section(d: Doc, others: dict[str, Doc]) -> None:
    d["completeness"] = others["head"]["completeness"]


def _older_checkpoint_section(d: Doc, others: dict[str, Doc]) -> None:
    d["completeness"] = others["old"]["completeness"]


def _older_map_commit(d: Doc, others: dict[str, Doc]) -> None:
    d["completeness"]["commit"] = others["old"]["completeness"]["commit"]


def _older_list_and_proof(d: Doc, others: dict[str, Doc]) -> None:
    old = others["old"]["completeness"]
    d["completeness"].update(entries=old["entries"], count=old["count"], map_proof=old["map_proof"])


def _absence_claimed(d: Doc, others: dict[str, Doc]) -> None:
    d["completeness"]["entries"], d["completeness"]["count"] = [], 0
    d["completeness"]["map_proof"] = others["nobody"]["completeness"]["map_proof"]


def _set(path: str, value: Any) -> Callable[[Doc, dict[str, Doc]], None]:
    def mutate(d: Doc, _: dict[str, Doc]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value

    mutate.__name__ = f"set {path}"
    return mutate


def _swap_entries(d: Doc, _: dict[str, Doc]) -> None:
    e = d["completeness"]["entries"]
    e[0], e[1] = e[1], e[0]


def _flip_leaf(d: Doc, _: dict[str, Doc]) -> None:
    leaf = bytearray(base64.b64decode(d["completeness"]["entries"][0]["leaf_hash"]))
    leaf[0] ^= 1
    d["completeness"]["entries"][0]["leaf_hash"] = base64.b64encode(bytes(leaf)).decode()


def _commit_root_swapped(d: Doc, others: dict[str, Doc]) -> None:
    body = json.loads(base64.b64decode(d["completeness"]["commit"]["entry"]))
    old = json.loads(base64.b64decode(others["old"]["completeness"]["commit"]["entry"]))
    body["data"]["root"] = old["data"]["root"]
    d["completeness"]["commit"]["entry"] = base64.b64encode(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).decode()


def _truncate_proof(d: Doc, _: dict[str, Doc]) -> None:
    raw = base64.b64decode(d["completeness"]["map_proof"])
    d["completeness"]["map_proof"] = base64.b64encode(raw[:-32]).decode()


def _drop_section(d: Doc, _: dict[str, Doc]) -> None:
    d["completeness"] = None


MUTATIONS: list[Callable[[Doc, dict[str, Doc]], None]] = [
    _drop_disclosure,
    _drop_and_unlist,
    _other_persons_proof,
    _other_persons_section,
    _older_checkpoint_section,
    _older_map_commit,
    _older_list_and_proof,
    _absence_claimed,
    _swap_entries,
    _flip_leaf,
    _commit_root_swapped,
    _truncate_proof,
    _drop_section,
    _set("person", "p_" + "0" * 32),
    _set("completeness.count", 2),
    _set("completeness.count", 4),
    _set("completeness.entries.0.index", 0),
    _set("completeness.commit.index", 0),
    _set("completeness.commit.inclusion", []),
    _set("completeness.map_proof", "AAAA"),
    _set("completeness.entries", []),
    _set("withheld", [{"count": -1, "until": "2026-01-01"}]),
    _set("disclosures.0.index", 1),
]


def test_every_way_to_shorten_or_swap_the_list_is_detected(
    world: World, client: TestClient, verifier: str
) -> None:
    account(world, "snap_noncitizen", release_id="rel_1")
    account(world, "household_head", release_id="rel_1")
    ledger_service.publish_checkpoint(world.ctx)
    others = {"old": _download(client, world, "snap_noncitizen")}
    account(world, "snap_noncitizen", release_id="rel_2")
    account(world, "snap_noncitizen", release_id="rel_3")
    ledger_service.publish_checkpoint(world.ctx)
    doc = _download(client, world, "snap_noncitizen")
    others["head"] = _download(client, world, "household_head")
    others["nobody"] = _download(client, world, "household_spouse")
    verify_accounting(doc, verifier_keys=[verifier])
    assert len(MUTATIONS) >= 20
    undetected = [m.__name__ for m in MUTATIONS if not _rejected(doc, others, m, verifier)]
    assert undetected == []


def _rejected(
    doc: Doc, others: dict[str, Doc], mutate: Callable[[Doc, dict[str, Doc]], None], key: str
) -> bool:
    bad = copy.deepcopy(doc)
    mutate(bad, others)
    try:
        verify_accounting(bad, verifier_keys=[key])
    except IntegrityError:
        return True
    return False


def test_the_page_says_in_plain_words_that_the_list_is_complete(world: World) -> None:
    _history(world)
    for lang, prefix, words, none in [
        ("en", "", "These are all 3 disclosures of your data recorded up to", "No disclosure"),
        (
            "es",
            "/es",
            "Estas son todas las divulgaciones de sus datos registradas hasta el",
            "No hay ninguna divulgación",
        ),
    ]:
        assert words in person_browser(world, "snap_noncitizen", lang=lang).get(f"{prefix}/me").text
        assert none in person_browser(world, "household_spouse", lang=lang).get(f"{prefix}/me").text
