"""Signed notes reproduce the Go reference (golang.org/x/mod/sumdb/note) byte for byte."""

from __future__ import annotations

import pytest

from custos.ledger import NoteError, add_signatures, generate_key, open_note, sign_note
from custos.ledger._note import SignerKey, open_note_full

# Test vectors from golang.org/x/mod/sumdb/note/note_test.go (TestSign, TestOpen).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovT"
    "G01oOTGwnWLox33WWd1RvMc+QQ=\n"
)


def test_sign_matches_the_go_reference_byte_for_byte() -> None:
    assert sign_note(text=TEXT, signer_key=PETER_SKEY) == TEXT + "\n" + PETER_SIG


def test_signer_key_derives_the_published_verifier_key() -> None:
    assert SignerKey.parse(PETER_SKEY).verifier().encode() == PETER_VKEY


def test_open_returns_the_text_and_ignores_unknown_signers() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note=note, verifier_keys=[PETER_VKEY]) == TEXT
    both = open_note_full(note=note, verifier_keys=[PETER_VKEY, ENOCH_VKEY])
    assert [s.name for s in both.verified] == ["PeterNeumann", "EnochRoot"]


def test_open_without_a_known_signer_fails() -> None:
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(note=TEXT + "\n" + PETER_SIG, verifier_keys=[ENOCH_VKEY])


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note=note, verifier_keys=[PETER_VKEY])


def test_a_bad_signature_by_a_known_key_is_an_error() -> None:
    bad = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann"):
        open_note(note=bad, verifier_keys=[PETER_VKEY])


def test_changed_text_is_refused() -> None:
    note = sign_note(text=TEXT, signer_key=PETER_SKEY).replace("answer", "question")
    with pytest.raises(NoteError):
        open_note(note=note, verifier_keys=[PETER_VKEY])


@pytest.mark.parametrize(
    "key",
    [
        PETER_VKEY[:-1],
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(NoteError):
        open_note(note=TEXT + "\n" + PETER_SIG, verifier_keys=[key])


def test_cosignature_v1_signs_time_and_text_and_verifies() -> None:
    witness_skey, witness_vkey = generate_key("witness.example/w1", cosigner=True)
    note = sign_note(text=TEXT, signer_key=PETER_SKEY)
    cosigned = add_signatures(note=note, signer_keys=[witness_skey], timestamp=1_700_000_000)
    opened = open_note_full(note=cosigned, verifier_keys=[PETER_VKEY, witness_vkey])
    assert len(opened.verified) == 2
    assert opened.cosigned_at[0][2] == 1_700_000_000
    # The time is signed: changing it breaks the cosignature.
    witness_line = cosigned.splitlines()[-1]
    _, b64 = witness_line[2:].split(" ")
    import base64

    raw = bytearray(base64.b64decode(b64))
    raw[11] ^= 1
    forged = cosigned.replace(b64, base64.b64encode(bytes(raw)).decode())
    with pytest.raises(NoteError):
        open_note(note=forged, verifier_keys=[witness_vkey])
