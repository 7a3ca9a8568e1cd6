"""The permission table is the one place staff roles are checked, and its page is up to date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from custos.domain import permissions
from custos.domain.errors import PermissionDeniedError
from custos.domain.permissions import PERMISSIONS, Action, allowed, require
from custos.domain.principals import StaffPrincipal
from custos.domain.roles import Role

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "custos"
TABLE = SRC / "domain" / "permissions.py"


def test_the_generated_page_matches_the_table() -> None:
    page = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert page == permissions.markdown(), (
        "docs/permissions.md is stale: python -m custos.domain.permissions > docs/permissions.md"
    )


def test_every_action_has_a_row_and_a_description() -> None:
    assert set(PERMISSIONS) == set(Action)
    for action in Action:
        assert PERMISSIONS[action], f"{action} allows no role"
        assert action.value in permissions.markdown()


def _role_checks(path: Path) -> list[str]:
    """Places in a module that check a staff role by hand instead of through the table."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "require"
            and any(isinstance(a, ast.Starred) or "Role." in ast.unparse(a) for a in node.args)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.In | ast.NotIn) for op in node.ops
        ):
            text = ast.unparse(node)
            if "Role." in text and ".roles" in text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {text}")
    return found


def test_no_service_or_layer_checks_a_role_outside_the_table() -> None:
    offenders = [
        hit for path in sorted(SRC.rglob("*.py")) if path != TABLE for hit in _role_checks(path)
    ]
    templates = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted(SRC.rglob("*.html"))
        for match in re.finditer(r"Role\.\w+ (?:not )?in \w+\.roles", path.read_text("utf-8"))
    ]
    assert offenders + templates == [], "check roles with custos.domain.permissions only"


def test_every_action_is_enforced_by_a_service() -> None:
    used = "\n".join(p.read_text(encoding="utf-8") for p in (SRC / "workflow").rglob("*.py"))
    unused = [a.name for a in Action if f"Action.{a.name}" not in used]
    assert unused == [], f"rows no service enforces: {unused}"


def _member(*roles: Role) -> StaffPrincipal:
    return StaffPrincipal(id="s1", username="someone", roles=frozenset(roles))


@pytest.mark.parametrize("action", list(Action))
def test_the_table_decides_every_action(action: Action) -> None:
    for role in Role:
        member = _member(role)
        assert allowed(member, action) == (role in PERMISSIONS[action])
        if role in PERMISSIONS[action]:
            require(member, action)
        else:
            with pytest.raises(PermissionDeniedError, match="needs one of the roles"):
                require(member, action)


def test_admin_is_not_a_wildcard() -> None:
    with pytest.raises(PermissionDeniedError):
        require(_member(Role.ADMIN), Action.REQUEST_APPROVE)
