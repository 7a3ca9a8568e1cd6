"""The policy engine: policy packs evaluated with Cedar, per person × field, failing closed.

A pack (see `policies/`) is a folder of Cedar policies, a schema, a field catalogue and test
cases, reviewed by counsel. `load_pack` validates it; `decide` answers, for each person and each
requested field, disclose / generalize / withhold with the rules, citations and obligations that
decided it. No permitting rule, a Cedar `NoDecision`, any evaluation error or an unknown field
all mean withhold.
"""

from custos.policy._engine import (
    AgreementFacts,
    DecisionContext,
    class_key,
    decide,
    decide_classes,
)
from custos.policy._pack import Pack, PackInvalidError, Rule, load_pack

__all__ = [
    "AgreementFacts",
    "DecisionContext",
    "Pack",
    "PackInvalidError",
    "Rule",
    "class_key",
    "decide",
    "decide_classes",
    "load_pack",
]
