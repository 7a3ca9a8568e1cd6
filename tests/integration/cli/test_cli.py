"""The operator's CLI, run as a real process: the demo set-up and a request's review."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]


def _custos(tmp: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CUSTOS_DEMO": "true",
        "CUSTOS_DATABASE_URL": f"sqlite:///{tmp / 'custos.db'}",
        "CUSTOS_DATA_DIR": str(tmp / "var"),
        "CUSTOS_POLICIES_DIR": str(REPO / "policies"),
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "custos.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"custos {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("cli")
    _custos(tmp, "demo", "--people", "300", "--no-serve")
    creds = json.loads((tmp / "var" / "demo-credentials.json").read_text(encoding="utf-8"))
    return tmp, creds


def test_demo_sets_up_accounts_and_people_with_private_credentials(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    tmp, creds = demo
    assert set(creds["staff"]) == {
        "admin",
        "intake",
        "counsel",
        "approver1",
        "approver2",
        "auditor",
    }
    assert len(creds["requesters"]) == 8
    assert creds["people"] == 300
    kinds = {info["kind"] for info in creds["requesters"].values()}
    assert kinds >= {"federal_immigration_enforcement", "local_law_enforcement", "state", "court"}
    assert (tmp / "var" / "demo-credentials.json").stat().st_mode & 0o077 == 0
    # Running it again reuses the installation rather than creating a second one.
    again = _custos(tmp, "demo", "--people", "300", "--no-serve")
    assert "300" in again.stdout
    listed = _custos(tmp, "requester", "list", "--as", "admin").stdout
    assert listed.count("(demo)") == 8
    # Every token is printed whole, and the file that holds them is named.
    for info in creds["requesters"].values():
        assert info["token"] in again.stdout
    assert "demo-credentials.json" in again.stdout
    # Administrators must have a second factor: the demo's secret and how to get a code.
    assert set(creds["totp"]) == {"admin"}
    assert f"TOTP secret {creds['totp']['admin']}" in again.stdout
    assert f'pyotp.TOTP("{creds["totp"]["admin"]}").now()' in again.stdout
    # The demo people's photos exist where their records point.
    assert (tmp / "var" / "demo-photos" / "per_demo_02.svg").read_text().startswith("<svg")


def test_a_request_through_the_cli(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    tmp, creds = demo
    police = next(rid for rid, info in creds["requesters"].items() if "Police" in info["name"])
    document = tmp_path / "warrant.pdf"
    document.write_bytes(b"%PDF-1.4 written request\n")
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "subjects": [{"case_number": "9000000002"}],
                "fields": ["snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"],
                "purpose": "fleeing_felon",
                "purpose_text": "Felony warrant",
                "legal_process": {"kind": "written_request"},
                "statements": {
                    "fleeing_or_violating": True,
                    "locating_is_official_duty": True,
                    "proper_exercise_of_duty": True,
                },
            }
        ),
        encoding="utf-8",
    )
    out = _custos(
        tmp,
        "request",
        "submit",
        str(request),
        "--requester-id",
        police,
        "--document",
        str(document),
        "--as",
        "intake",
    ).stdout
    rid = out.split()[1].rstrip(":")
    assert "partly_approved" in out
    shown = _custos(tmp, "request", "show", rid, "--as", "counsel").stdout
    assert "2020(e)(8)(E)" in shown
    # The intake clerk may not approve: a clear error and a non-zero exit.
    refused = _custos(tmp, "request", "approve", rid, "--as", "intake", check=False)
    assert refused.returncode == 4
    assert "approver" in refused.stderr
    _custos(tmp, "request", "classify", rid, "--as", "counsel")
    assert "in_review" in _custos(tmp, "request", "approve", rid, "--as", "approver1").stdout
    assert "approved" in _custos(tmp, "request", "approve", rid, "--as", "approver2").stdout
    detail = json.loads(_custos(tmp, "request", "show", rid, "--as", "auditor", "--json").stdout)
    assert detail["status"] == "approved"


def test_bad_request_file_exits_with_the_problems(
    demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    tmp, creds = demo
    rid = next(iter(creds["requesters"]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"purpose": "nonsense"}', encoding="utf-8")
    result = _custos(
        tmp, "request", "submit", str(bad), "--requester-id", rid, "--as", "intake", check=False
    )
    assert result.returncode == 2
    assert "purpose" in result.stderr
    assert "legal_process" in result.stderr


def test_the_demo_serves_the_api(demo: tuple[Path, dict[str, Any]]) -> None:
    """README command one: the demo's server answers on localhost with its data."""
    tmp, creds = demo
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "CUSTOS_DEMO": "true",
        "CUSTOS_DATABASE_URL": f"sqlite:///{tmp / 'custos.db'}",
        "CUSTOS_DATA_DIR": str(tmp / "var"),
        "CUSTOS_POLICIES_DIR": str(REPO / "policies"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "custos.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        token = next(iter(creds["requesters"].values()))["token"]
        req = urllib.request.Request(
            f"{base}/v1/requests", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.load(r) == []
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_exported_ledger_verifies_offline_and_a_forged_entry_is_named(
    demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    tmp, _ = demo
    _custos(tmp, "ledger", "checkpoint")
    out = tmp_path / "export"
    _custos(tmp, "ledger", "export", str(out))
    keys = _custos(tmp, "ledger", "verifier-keys").stdout.split()
    trust = [arg for key in keys for arg in ("--key", key)]
    ok = _custos(tmp, "ledger", "verify", str(out), *trust, "--workers", "2")
    assert ok.stdout.startswith("OK: ")
    assert "accounting map and release map roots" in " ".join(ok.stdout.split())
    lines = (out / "entries.jsonl").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"at":"', b'"at":"1', 1)
    (out / "entries.jsonl").write_bytes(b"\n".join(lines))
    forged = _custos(tmp, "ledger", "verify", str(out), *trust, check=False)
    assert forged.returncode != 0
    assert "entry 3 " in forged.stderr


def test_demo_officers_sign_in_and_staff_manage_them(demo: tuple[Path, dict[str, Any]]) -> None:
    """Each demo agency has an officer whose printed secrets sign in; staff list, add and
    suspend officers from the CLI."""
    import pyotp

    from custos.config import Settings
    from custos.domain.errors import AuthenticationError
    from custos.workflow import portal_sessions
    from custos.workflow.context import Context

    tmp, creds = demo
    police_id, police = next(
        (k, v) for k, v in creds["requesters"].items() if "Police" in v["name"]
    )
    listed = json.loads(
        _custos(tmp, "requester", "officer", "list", "--as", "admin", "--json").stdout
    )
    assert len(listed) == 8
    assert {o["username"] for o in listed} >= {police["officer_username"]}
    added = json.loads(
        _custos(
            tmp,
            "requester",
            "officer",
            "add",
            police_id,
            "j.doe",
            "--name",
            "Jo Doe",
            "--as",
            "intake",
            "--json",
        ).stdout
    )
    assert added["officer"]["status"] == "active"
    ctx = Context.from_settings(
        Settings(database_url=f"sqlite:///{tmp / 'custos.db'}", data_dir=tmp / "var", demo=True)
    )
    signed = portal_sessions.sign_in(
        ctx,
        username="j.doe",
        password=added["password"],
        code=pyotp.TOTP(added["totp_secret"]).now(),
    )
    assert signed.principal.id == police_id
    _custos(tmp, "requester", "officer", "suspend", added["officer"]["id"], "--as", "admin")
    with pytest.raises(AuthenticationError):
        portal_sessions.requester_from_session(ctx, signed.token)
    # The demo's own officer signs in with what the demo printed.
    portal_sessions.sign_in(
        ctx,
        username=police["officer_username"],
        password=police["officer_password"],
        code=pyotp.TOTP(police["officer_totp_secret"]).now(),
    )
