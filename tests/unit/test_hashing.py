"""Stored secrets are hashed with Argon2id at RFC 9106's low-memory profile, unless the test
suite's insecure switch is on (it is, for the suite itself)."""

from __future__ import annotations

import os
import subprocess
import sys

from custos.workflow.hashing import FAST_FOR_TESTS, hash_secret, verify_secret

_SHOW = "from custos.workflow.hashing import hash_secret; print(hash_secret('s3cret'))"


def _hash_in_a_fresh_process(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != FAST_FOR_TESTS}
    done = subprocess.run(
        [sys.executable, "-c", _SHOW], env={**clean, **env}, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def test_production_hashes_use_the_rfc_9106_low_memory_profile() -> None:
    stored = _hash_in_a_fresh_process()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # A hash made under the other profile still verifies: parameters travel with the hash.
    assert verify_secret(stored, "s3cret")
    assert not verify_secret(stored, "s3cret ")


def test_the_insecure_switch_only_takes_the_exact_value_one() -> None:
    assert _hash_in_a_fresh_process(**{FAST_FOR_TESTS: "yes"}).startswith("$argon2id$v=19$m=65536")
    assert _hash_in_a_fresh_process(**{FAST_FOR_TESTS: "1"}).startswith("$argon2id$v=19$m=8,t=1")


def test_a_broken_hash_never_matches() -> None:
    assert not verify_secret("not-a-hash", "anything")
    assert verify_secret(hash_secret("x"), "x")
