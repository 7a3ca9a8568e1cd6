"""The requester form's own checks: every problem at once, in page order, each linked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custos.domain.programs import FieldRef, FieldSpec, Program, Sensitivity
from custos.web import _request_form as rf

CATALOGUE = {
    FieldRef(program=Program.SNAP, name=n): FieldSpec(
        ref=FieldRef(program=Program.SNAP, name=n),
        sensitivity=Sensitivity.CONTACT,
        label=n.title(),
        column=n,
    )
    for n in ("address", "phone")
}
TEXT = (
    *("full_name", "birth_date", "case_number", "ssn", "purpose", "purpose_text", "kind"),
    *("issued_on", "expires_on", "document_sha256"),
)


def test_an_empty_form_names_all_six_problems() -> None:
    problems = rf.own_problems(rf.RequestForm(), CATALOGUE)
    assert set(problems) == {"subject", "purpose", "purpose_text", "fields", "kind", "document"}
    targets = [target for target, _ in rf.summary(problems)]
    assert targets == [
        "f-full_name",
        "f-purpose",
        "f-purpose_text",
        "f-fields",
        "f-kind",
        "f-document",
    ]


def test_a_complete_form_makes_a_request() -> None:
    form = rf.RequestForm(
        case_number="12345",
        purpose="other",
        purpose_text="Checking.",
        kind="none",
        fields=["snap/address"],
    )
    data, problems = rf.check(form, CATALOGUE, "rq_1")
    assert problems == {}
    assert data is not None
    assert [s.case_number for s in data.subjects] == ["12345"]


@settings(max_examples=200, deadline=None)
@given(
    values=st.fixed_dictionaries({k: st.text(max_size=12) for k in TEXT}),
    fields=st.lists(st.sampled_from(["snap/address", "snap/phone", "snap/nope", "x"]), max_size=3),
)
def test_any_form_gets_an_answer_and_every_problem_a_link(
    values: dict[str, str], fields: list[str]
) -> None:
    form = rf.RequestForm(**values, fields=fields)
    data, problems = rf.check(form, CATALOGUE, "rq_1")
    assert (data is None) == bool(problems)
    listed = rf.summary(problems)
    assert sorted(m for _, m in listed) == sorted(problems.values())
    for target, _ in listed:
        assert target == "" or target.startswith("f-")
