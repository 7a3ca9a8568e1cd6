"""Pure domain types and invariants. No I/O lives here."""
