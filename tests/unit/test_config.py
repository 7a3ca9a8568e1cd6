"""Settings: secrets have no working default outside the demo, and offline tools need none."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from custos.config import DEMO_PSEUDONYM_SECRET, ConfigurationError, Settings
from custos.workflow.context import Context


def test_running_over_a_database_needs_the_pseudonym_secret(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigurationError, match="CUSTOS_PSEUDONYM_SECRET"):
        Context.from_settings(settings)


def test_offline_tools_read_settings_without_any_secret() -> None:
    assert Settings().policies_dir == Path("./policies")


def test_the_public_demo_secret_is_refused_outside_the_demo() -> None:
    with pytest.raises(ValidationError, match="demo"):
        Settings(pseudonym_secret=DEMO_PSEUDONYM_SECRET)
    assert Settings(demo=True).pseudonym_key == DEMO_PSEUDONYM_SECRET.encode()


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="16 bytes"):
        Settings(pseudonym_secret="short")


def test_a_mistyped_variable_is_named_not_ignored() -> None:
    environ = {"CUSTOS_DATABSE_URL": "postgresql://prod", "CUSTOS_DEMO": "1", "PATH": "/bin"}
    assert Settings.unknown_variables(environ) == ["CUSTOS_DATABSE_URL"]
