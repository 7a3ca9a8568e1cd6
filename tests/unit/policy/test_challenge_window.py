"""A pack, or one of its rules, may give people a longer (or shorter) challenge window; a
mistyped window is refused when the pack loads, not found out when a release waits years."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from custos.domain.decisions import Effect, Notify
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import PolicyError
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import Program
from custos.policy import decide, load_pack
from tests.unit.policy.policy_support import POLICIES, context, person, refs

RULE = '@id("mo-program-administration")'


def _copy(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(POLICIES / "missouri-dss", pack)
    return pack


def _with_rule_window(pack: Path, value: str, *, rule: str = RULE) -> None:
    permits = pack / "policies" / "10-permits.cedar"
    text = permits.read_text("utf-8")
    permits.write_text(text.replace(rule, f'{rule}\n@challenge_window_days("{value}")', 1))


def test_a_pack_sets_its_window_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    assert load_pack(POLICIES / "missouri-dss").challenge_window_days is None
    pack = _copy(tmp_path)
    toml = pack / "pack.toml"
    original = toml.read_text("utf-8")
    toml.write_text("challenge_window_days = 30\n" + original)
    assert load_pack(pack).challenge_window_days == 30
    for bad in ("0", "366", '"14"', "true"):
        toml.write_text(f"challenge_window_days = {bad}\n" + original)
        with pytest.raises(PolicyError) as info:
            load_pack(pack)
        assert "challenge_window_days must be" in info.value.diagnostics()


def test_a_rule_that_notifies_before_carries_its_window_into_the_decision(
    tmp_path: Path,
) -> None:
    pack = _copy(tmp_path)
    _with_rule_window(pack, "21")
    loaded = load_pack(pack)
    ctx = context(
        requester=RequesterKind.STATE,
        purpose=Purpose.PROGRAM_ADMINISTRATION,
        process=LegalProcessKind.WRITTEN_REQUEST,
        fields=refs("snap/address"),
        requester_programs=frozenset({Program.SNAP}),
    )
    [row] = decide(loaded, ctx, [person("snap")])
    [address] = row
    assert address.effect is Effect.DISCLOSE
    assert address.obligations.notify is Notify.BEFORE
    assert address.obligations.challenge_window_days == 21


@pytest.mark.parametrize(
    ("value", "rule"), [("0", RULE), ("400", RULE), ("x", RULE), ("20", '@id("mo-gao-audit")')]
)
def test_a_bad_rule_window_is_refused(tmp_path: Path, value: str, rule: str) -> None:
    pack = _copy(tmp_path)
    _with_rule_window(pack, value, rule=rule)  # mo-gao-audit notifies nobody: no window
    with pytest.raises(PolicyError) as info:
        load_pack(pack)
    assert "@challenge_window_days is 1 to 365 days" in info.value.diagnostics()
