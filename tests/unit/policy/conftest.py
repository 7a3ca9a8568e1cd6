"""Shared fixtures for the policy tests: the real packs from `policies/`."""

from __future__ import annotations

import pytest

from custos.policy import Pack, load_pack
from tests.unit.policy.policy_support import POLICIES


@pytest.fixture(scope="session")
def missouri() -> Pack:
    return load_pack(POLICIES / "missouri-dss")
