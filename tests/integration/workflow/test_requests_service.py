"""The requests service's public face: its names, its permission checks, its imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from custos.domain.errors import PermissionDeniedError
from custos.workflow import requests
from tests.integration.conftest import World

_PACKAGE = Path(requests.__file__).parent


def test_every_exported_name_resolves() -> None:
    missing = [name for name in requests.__all__ if not hasattr(requests, name)]
    assert missing == []


def test_the_lapse_sweep_needs_its_permission(world: World) -> None:
    with pytest.raises(PermissionDeniedError, match="request:lapse-sweep"):
        requests.lapse_expired_as(world.ctx, actor=world.staff["intake"])
    assert requests.lapse_expired_as(world.ctx, actor=world.staff["admin"]) == 0


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for path in sorted(_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("custos"):
                offenders += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and a.name != "__future__"
                ]
    assert offenders == []
