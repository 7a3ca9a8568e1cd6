"""Benefits records: synthetic demo data, file import, and exact subject matching.

The public surface is this module; everything under `_`-prefixed modules is internal.
"""

from custos.records._columns import RecordColumns, record_columns
from custos.records._demo import DEMO_PEOPLE, DemoPerson, demo_people, demo_records
from custos.records._frames import IMMIGRATION_STATUSES, RELATIONSHIPS, RecordSet
from custos.records._generate import AS_OF, MAX_PEOPLE, generate
from custos.records._geography import COUNTIES, COUNTY_NAMES, County, canonical_county
from custos.records._import import (
    ALL_COLUMNS,
    DEFAULT_MAX_BYTES,
    OPTIONAL_COLUMNS,
    PROGRAM_COLUMNS,
    REQUIRED_COLUMNS,
    ImportSummary,
    load_file,
    validate_file,
)
from custos.records._load import LoadCounts, load, store_is_empty
from custos.records._matching import (
    facts_for,
    match,
    resolve_counties,
    select_bulk,
    select_bulk_chunks,
    select_bulk_facts,
)

__all__ = [
    "ALL_COLUMNS",
    "AS_OF",
    "COUNTIES",
    "COUNTY_NAMES",
    "DEFAULT_MAX_BYTES",
    "DEMO_PEOPLE",
    "IMMIGRATION_STATUSES",
    "MAX_PEOPLE",
    "OPTIONAL_COLUMNS",
    "PROGRAM_COLUMNS",
    "RELATIONSHIPS",
    "REQUIRED_COLUMNS",
    "County",
    "DemoPerson",
    "ImportSummary",
    "LoadCounts",
    "RecordColumns",
    "RecordSet",
    "canonical_county",
    "demo_people",
    "demo_records",
    "facts_for",
    "generate",
    "load",
    "load_file",
    "match",
    "record_columns",
    "resolve_counties",
    "select_bulk",
    "select_bulk_chunks",
    "select_bulk_facts",
    "store_is_empty",
    "validate_file",
]
