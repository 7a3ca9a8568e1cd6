"""The pieces every page shares: forms echoed back, buttons that follow the permission table,
and the language a public URL is in."""

from __future__ import annotations

import io
import re

import pytest
from fastapi import UploadFile
from pydantic import Field

from custos.domain.permissions import PERMISSIONS, Action
from custos.domain.principals import StaffPrincipal
from custos.domain.roles import Role
from custos.web import public
from custos.web._i18n import LANGUAGES, language_of
from custos.web._render import TEMPLATES_DIR, FormData, _env


class _Form(FormData):
    document: UploadFile | None = None
    title: str = ""
    fields: list[str] = Field(default_factory=list)


def test_a_form_echoes_its_values_but_not_its_upload() -> None:
    upload = UploadFile(io.BytesIO(b"%PDF"), filename="mou.pdf")
    form = _Form(document=upload, title="MOU", fields=["snap.address"])
    echoed = form.echo()
    assert echoed == {"title": "MOU", "fields": ["snap.address"]}
    echoed["fields"].append("x")
    assert form.fields == ["snap.address"]


def _staff(*roles: Role) -> StaffPrincipal:
    return StaffPrincipal(id="st_1", username="pat", roles=frozenset(roles))


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_can_in_a_template_is_the_permission_table(action: Action, role: Role) -> None:
    shown = _env.from_string('{{ can(me, "' + action.value + '") }}').render(me=_staff(role))
    assert shown == str(role in PERMISSIONS[action])


def test_can_refuses_an_unknown_action_and_a_missing_actor() -> None:
    with pytest.raises(ValueError, match="request:approv"):
        _env.from_string('{{ can(me, "request:approv") }}').render(me=_staff(Role.APPROVER))
    assert _env.from_string('{{ can(me, "request:read") }}').render(me=None) == "False"


def test_staff_templates_name_only_actions_of_the_table() -> None:
    named = set()
    for path in (TEMPLATES_DIR / "staff").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "Role." not in text, path.name
        named |= set(re.findall(r"""can\(me, ["']([^"']+)["']\)""", text))
    assert named
    assert named <= {a.value for a in Action}


def test_the_mount_a_url_came_through_names_its_language() -> None:
    assert LANGUAGES == {"en": "", "es": "/es"}
    assert [language_of(p) for p in ("/", "/me", "/es", "/es/", "/es/me", "/estate")] == [
        "en",
        "en",
        "es",
        "es",
        "es",
        "en",
    ]
    assert set(public.translators) == set(LANGUAGES)
