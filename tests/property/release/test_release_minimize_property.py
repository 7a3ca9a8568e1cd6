"""The minimized payload never carries a field or a person the decision withheld."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.domain.decisions import Effect
from custos.release import StoredDecision, bind_fields, minimize, needed_columns, plan_release

FIELDS = {
    "snap/full_name": "full_name",
    "snap/ssn": "ssn",
    "snap/address": "address",
    "snap/immigration_status": "immigration_status",
    "snap/benefit_amount": "benefit_amount",
}
CLASSES = ["c0", "c1", "c2", "c3"]

effects = st.sampled_from([Effect.DISCLOSE, Effect.GENERALIZE, Effect.WITHHOLD])


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[StoredDecision], list[str], pl.DataFrame]:
    asked = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, unique=True))
    decisions = []
    for key in CLASSES:
        for f in asked:
            effect = draw(effects)
            if effect is Effect.GENERALIZE and f != "snap/address":
                effect = Effect.WITHHOLD
            decisions.append(
                StoredDecision(
                    class_key=key,
                    field=f,
                    effect=effect,
                    obligations={"generalize_to": "county"} if effect is Effect.GENERALIZE else {},
                )
            )
    n = draw(st.integers(min_value=0, max_value=30))
    token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=6)
    people = [
        {
            "subject_ref": f"p_{i:032x}",
            "class_key": draw(st.sampled_from(CLASSES)),
            "first_name": "F" + draw(token),
            "last_name": "L" + draw(token),
            "ssn": f"9{i:08d}",
            "street": "S" + draw(token),
            "city": "C" + draw(token),
            "zip": f"6{i:04d}",
            "county": "K" + draw(token),
            "immigration_status": "I" + draw(token),
            "benefit_snap": draw(st.integers(min_value=0, max_value=10**6)),
        }
        for i in range(n)
    ]
    frame = pl.DataFrame(
        people,
        schema={
            "subject_ref": pl.String,
            "class_key": pl.String,
            "first_name": pl.String,
            "last_name": pl.String,
            "ssn": pl.String,
            "street": pl.String,
            "city": pl.String,
            "zip": pl.String,
            "county": pl.String,
            "immigration_status": pl.String,
            "benefit_snap": pl.Int64,
        },
    )
    return decisions, asked, frame


@settings(max_examples=150, deadline=None)
@given(cases())
def test_payload_holds_only_what_each_persons_class_discloses(
    case: tuple[list[StoredDecision], list[str], pl.DataFrame],
) -> None:
    decisions, asked, frame = case
    plan = plan_release(decisions, requested_fields=asked, default_retention_days=1825)
    fields = bind_fields(plan, FIELDS)
    assert needed_columns(fields, plan) <= set(frame.columns)
    out = minimize(frame, plan, fields, first_row=1)
    allowed = {
        (d.class_key, d.field): d.effect for d in decisions if d.effect is not Effect.WITHHOLD
    }
    disclosing = {k for k, _ in allowed}

    # Only people of a class that discloses something; rows dense from 1.
    assert out.class_keys == [k for k in frame["class_key"].to_list() if k in disclosing]
    assert out.payload["row"].to_list() == list(range(1, len(out.class_keys) + 1))
    # Only asked fields that some class discloses; nothing else.
    assert set(out.payload.columns) - {"row"} <= set(asked)
    # Every cell: null unless the person's class discloses that field, and then only the
    # generalized value where it is generalized.
    source = frame.filter(pl.col("class_key").is_in(list(disclosing))).to_dicts()
    for cells, person in zip(out.payload.to_dicts(), source, strict=True):
        for f in asked:
            value = cells.get(f)
            effect = allowed.get((person["class_key"], f))
            if effect is None:
                assert value is None
            elif effect is Effect.GENERALIZE:
                assert value == person["county"]
        text = " ".join(str(v) for v in cells.values() if v is not None)
        withheld_values = {
            "snap/ssn": [person["ssn"]],
            "snap/full_name": [person["first_name"], person["last_name"]],
            "snap/address": [person["street"], person["city"]],
            "snap/immigration_status": [person["immigration_status"]],
        }
        for f, values in withheld_values.items():
            if allowed.get((person["class_key"], f)) is not Effect.DISCLOSE:
                for v in values:
                    assert v not in text


def test_retention_is_the_shortest_any_disclosed_rule_sets() -> None:
    plan = plan_release(
        [
            StoredDecision(
                class_key="a",
                field="snap/ssn",
                effect=Effect.DISCLOSE,
                obligations={"retention_days": 365},
            ),
            StoredDecision(
                class_key="b",
                field="snap/ssn",
                effect=Effect.DISCLOSE,
                obligations={"retention_days": 90},
            ),
            StoredDecision(
                class_key="c",
                field="snap/ssn",
                effect=Effect.WITHHOLD,
                obligations={"retention_days": 1},
            ),
        ],
        requested_fields=["snap/ssn"],
        default_retention_days=1825,
    )
    assert plan.retention_until(dt.date(2026, 1, 1)) == dt.date(2026, 4, 1)
