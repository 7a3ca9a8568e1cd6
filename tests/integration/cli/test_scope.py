"""`custos request scope`: counsel records from the command line whom and what a legal
document names, with the same effect as the staff form and the API; malformed input changes
nothing and exits non-zero, naming each bad option."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from custos.cli import _scope
from custos.cli import app as cli
from custos.domain.errors import InvalidInputError, PermissionDeniedError
from custos.workflow import requests
from tests.integration.conftest import World, greene_county_order


@pytest.fixture
def run(world: World, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(_scope, "context", lambda: world.ctx)
    return CliRunner()


def _scope_cmd(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["request", "scope", *args])


def _words(result: Result) -> str:
    """The output word by word: Rich wraps lines at the terminal's width."""
    return " ".join(result.output.split())


def _view(world: World, rid: str) -> requests.StaffRequestView:
    return requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)


def test_counsel_records_the_people_an_order_names(world: World, run: CliRunner) -> None:
    named = world.person("tanf_determination")
    other = world.person("household_head")
    rid = greene_county_order(
        world,
        subjects=[
            {"full_name": named.full_name, "birth_date": str(named.birth_date)},
            {"case_number": other.dcn},
            {"case_number": "1234567890"},  # matches nobody
        ],
    )
    # The order names one person, written as on the paper (capitals).
    on_paper = f"{named.full_name.upper()}, {named.birth_date}"
    done = _scope_cmd(
        run, rid, "--as", "counsel", "--program", "tanf", "--name", on_paper, "--note", "p. 2"
    )
    assert done.exit_code == 0, done.output
    words = _words(done)
    assert "1 of 3 person(s) asked about are named by the document" in words
    assert "2 withheld as outside the document's scope" in words
    assert f"request {rid}: in_review" in words

    view = _view(world, rid)
    assert view.classified_process is not None
    scope = view.classified_process["scope"]
    assert scope["programs"] == ["tanf"]
    [person] = scope["people"]
    assert (person["full_name"], person["birth_date"]) == (
        named.full_name.upper(),
        str(named.birth_date),
    )
    by_class = {(c.matched, c.outside_scope): c for c in view.classes}
    inside = {f.field: f.effect.value for f in by_class[(True, False)].fields}
    assert inside["tanf/address"] == "disclose"
    assert {f.rule_ids[0] for f in by_class[(False, True)].fields} == {"custos-outside-scope"}


def test_an_order_naming_none_of_the_subjects_closes_the_request(
    world: World, run: CliRunner
) -> None:
    rid = greene_county_order(world)
    done = _scope_cmd(
        run, rid, "--as", "counsel", "--field", "tanf/address", "--ssn", "123-45-6789"
    )
    assert done.exit_code == 0, done.output
    assert "0 of 1 person(s) asked about are named" in _words(done)
    assert "the request is denied" in _words(done)
    assert _view(world, rid).status.value == "denied"


def test_fields_a_period_and_a_corrected_kind(world: World, run: CliRunner) -> None:
    person = world.person("tanf_determination")
    rid = greene_county_order(world)
    args = ["--field", "tanf/address", "--case-number", person.dcn]
    args += ["--from", "2025-01-01", "--until", "2026-06-30", "--kind", "judicial_warrant"]
    done = _scope_cmd(run, rid, "--as", "counsel", *args)
    assert done.exit_code == 0, done.output
    process = _view(world, rid).classified_process
    assert process is not None
    assert process["kind"] == "judicial_warrant"
    assert process["scope"]["fields"] == ["tanf/address"]
    assert (process["scope"]["period_from"], process["scope"]["period_until"]) == (
        "2025-01-01",
        "2026-06-30",
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--name", "Jane Doe"], '--name Jane Doe: give the full name and birth date as "NAME,'),
        (["--name", "Jane Doe, 1990-13-40"], "--name Jane Doe, 1990-13-40: give the full name"),
        (["--name", ", 1990-01-02"], "--name , 1990-01-02: give the full name"),
        (["--ssn", "12-345"], "--ssn (number 1): an SSN is nine digits"),
        (["--field", "address"], "--field address: expected program/field"),
        (["--from", "2026-01-01", "--until", "2025-01-01"], "--until: is before --from"),
        ([], "name at least one person, program, field or date"),
    ],
)
def test_malformed_input_exits_non_zero_and_changes_nothing(
    world: World, run: CliRunner, args: list[str], named: str
) -> None:
    rid = greene_county_order(world)
    before = _view(world, rid)
    refused = _scope_cmd(run, rid, "--as", "counsel", *args)
    assert refused.exit_code != 0
    assert isinstance(refused.exception, InvalidInputError)
    assert named in " ".join(refused.exception.diagnostics().split())
    assert "nothing was recorded" in str(refused.exception)
    after = _view(world, rid)
    assert after.classified_by is None
    assert after.decision_version == before.decision_version


def test_every_bad_option_is_named_at_once_and_the_ssn_is_not_echoed(
    world: World, run: CliRunner
) -> None:
    rid = greene_county_order(world)
    args = ["--ssn", "999-99-99999", "--field", "snap", "--name", "No Date", "--as", "counsel"]
    refused = _scope_cmd(run, rid, *args)
    assert isinstance(refused.exception, InvalidInputError)
    paths = [p.path for p in refused.exception.problems]
    assert paths == ["--field snap", "--name No Date", "--ssn (number 1)"]
    assert "999-99-99999" not in refused.exception.diagnostics()


def test_typer_refuses_an_unknown_program_or_date(world: World, run: CliRunner) -> None:
    rid = greene_county_order(world)
    for args in (["--program", "wic"], ["--from", "1 May 2025"]):
        refused = _scope_cmd(run, rid, "--as", "counsel", *args)
        assert refused.exit_code == 2
    assert _view(world, rid).classified_by is None


def test_only_a_legal_reviewer_records_a_scope(world: World, run: CliRunner) -> None:
    rid = greene_county_order(world)
    refused = _scope_cmd(run, rid, "--as", "intake", "--program", "tanf")
    assert isinstance(refused.exception, PermissionDeniedError)
    assert _view(world, rid).classified_by is None


def test_the_help_speaks_to_counsel() -> None:
    shown = CliRunner().invoke(cli, ["request", "scope", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    words = " ".join(shown.output.split())
    assert "outside the document's scope" in words
    assert "--case-number" in words
    assert '"NAME, YYYY-MM-DD"' in words
