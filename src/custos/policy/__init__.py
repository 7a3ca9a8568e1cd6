"""The policy engine: policy packs evaluated with Cedar, per person × field, failing closed.

A pack (see `policies/`) is a folder of Cedar policies, a schema, a field catalogue and test
cases, reviewed by counsel. `load_pack` validates it; `decide` answers, for each person and each
requested field, disclose / generalize / withhold with the rules, citations and obligations that
decided it. No permitting rule, a Cedar `NoDecision`, any evaluation error or an unknown field
all mean withhold. `check`, `run_tests`, `explain`, `diff`, `replay` and `public_page` serve the
`custos policy` commands and the API.
"""

from custos.policy._authorities import Authority, authorities
from custos.policy._cases import CaseResult, Mismatch, TestReport, run_tests
from custos.policy._check import CheckReport, Finding, Severity, check
from custos.policy._diff import DiffReport, DiffRow, diff
from custos.policy._engine import (
    OUTSIDE_SCOPE,
    AgreementFacts,
    DecisionContext,
    OutsideScope,
    Subject,
    class_key,
    decide,
    decide_classes,
    within_scope,
)
from custos.policy._explain import Explanation, FieldExplanation, PersonExplanation, explain
from custos.policy._hints import PurposeHints, permitted_fields
from custos.policy._pack import Pack, PackInvalidError, Rule, load_pack
from custos.policy._public import LANGS, duration_words, public_model, public_page
from custos.policy._replay import ReplayClass, ReplayItem, ReplayReport, RequestReplay, replay

__all__ = [
    "LANGS",
    "OUTSIDE_SCOPE",
    "AgreementFacts",
    "Authority",
    "CaseResult",
    "CheckReport",
    "DecisionContext",
    "DiffReport",
    "DiffRow",
    "Explanation",
    "FieldExplanation",
    "Finding",
    "Mismatch",
    "OutsideScope",
    "Pack",
    "PackInvalidError",
    "PersonExplanation",
    "PurposeHints",
    "ReplayClass",
    "ReplayItem",
    "ReplayReport",
    "RequestReplay",
    "Rule",
    "Severity",
    "Subject",
    "TestReport",
    "authorities",
    "check",
    "class_key",
    "decide",
    "decide_classes",
    "diff",
    "duration_words",
    "explain",
    "load_pack",
    "permitted_fields",
    "public_model",
    "public_page",
    "replay",
    "run_tests",
    "within_scope",
]
