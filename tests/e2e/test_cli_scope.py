"""`codeswitch scope / route / doctor / demo` run as real subprocesses on a copy of examples/shop."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A hermetic environment: temp XDG dirs and home, no provider keys or base URLs."""
    home = tmp_path / "home"
    home.mkdir()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    return keep | {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                   "XDG_DATA_HOME": str(home / ".local" / "share"), "PYTHONIOENCODING": "utf-8"}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codeswitch", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300, check=False)


def position(path: Path, marker: str) -> tuple[int, int]:
    """LSP (0-based line, UTF-16 character) at the end of the first occurrence of marker."""
    text = path.read_text(encoding="utf-8")
    end = text.index(marker) + len(marker)
    line = text.count("\n", 0, end)
    col = text[text.rfind("\n", 0, end) + 1 : end]
    return line, len(col.encode("utf-16-le")) // 2


def scope_args(root: Path, file: str, marker: str, *extra: str) -> list[str]:
    line, char = position(root / file, marker)
    return ["scope", "--root", str(root), "--file", file, "--line", str(line), "--character", str(char),
            "--json", *extra]


CONTRACT_KEYS = {"id", "scope", "tier", "model", "anchor", "files", "reasons", "confidence"}


def test_single_inline_case(env: dict[str, str], shop: Path) -> None:
    done = cli(env, *scope_args(shop, "billing.py", "    net = order.total", "--kind", "inline"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out.keys() >= CONTRACT_KEYS
    assert out["scope"] == "inline" and out["tier"] == "inline"
    assert out["model"] == "gpt-5.3-codex-spark"
    assert 0.0 <= out["confidence"] <= 1.0
    assert any("routed as if every provider had one" in r for r in out["reasons"])
    assert out["files"] == ["billing.py"]  # root-relative, as for the other scopes


def test_files_are_root_relative_for_every_kind(env: dict[str, str], shop: Path) -> None:
    for extra in (["--kind", "inline"], ["--kind", "edit", "--instruction", "add retries to this function"]):
        done = cli(env, *scope_args(shop, "billing.py", "    charge(order.customer", *extra))
        out = json.loads(done.stdout)
        assert out["files"] and all(not f.startswith("/") and (shop / f).is_file() for f in out["files"]), out


def test_single_edit_routes_by_available_keys(env: dict[str, str], shop: Path) -> None:
    args = scope_args(shop, "billing.py", "    charge(order.customer", "--kind", "edit",
                      "--instruction", "add retries with backoff to this function")
    only_anthropic = cli(env | {"ANTHROPIC_API_KEY": "test-anthropic"}, *args)
    out = json.loads(only_anthropic.stdout)
    assert out["scope"] == "function"
    assert out["model"] == "claude-sonnet-4-5"
    assert all(m.startswith("claude") for m in out["chain"])
    anchor = out["anchor"]
    text = (shop / "billing.py").read_text().splitlines()
    assert text[anchor["start"]["line"]].startswith("def capture_payment")
    only_openai = json.loads(cli(env | {"OPENAI_API_KEY": "test-openai"}, *args).stdout)
    assert only_openai["model"] == "gpt-5.3-codex"
    assert "test-openai" not in json.dumps(only_openai)


def test_rename_everywhere_is_workspace(env: dict[str, str], shop: Path) -> None:
    done = cli(env, *scope_args(shop, "inventory.py", "def reserve_stock", "--kind", "edit",
                                "--instruction", "rename reserve_stock to hold_stock everywhere"))
    out = json.loads(done.stdout)
    assert out["scope"] == "workspace" and out["tier"] == "workspace"
    assert out["model"] == "claude-opus-4-6"
    assert {"orders.py", "billing.py", "api.py"} <= set(out["files"])


def test_utf16_positions_with_astral_characters(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "emoji.py").write_text('def greet(name):\n    msg = "😀😀 hi " + name\n    return msg\n',
                                   encoding="utf-8")
    line, char = position(root / "emoji.py", '"😀😀 hi "')  # 2 astral chars = 4 UTF-16 units
    assert char == len('    msg = "😀😀 hi "') + 2
    done = cli(env, "scope", "--root", str(root), "--file", "emoji.py", "--line", str(line),
               "--character", str(char), "--kind", "edit", "--instruction", "fix this", "--json")
    out = json.loads(done.stdout)
    assert "error" not in out, out
    assert out["anchor"]["start"] == {"line": 0, "character": 0}
    assert out["anchor"]["end"]["line"] == 2


def write_batch(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def sel(line: int, char: int) -> dict[str, object]:
    return {"start": {"line": line, "character": char}, "end": {"line": line, "character": char}}


def test_batch_keeps_order_and_reports_bad_cases(env: dict[str, str], shop: Path, tmp_path: Path) -> None:
    (shop / "notes.xyz").write_text("plain text\n")
    (shop / "blob.py").write_bytes(b"\x00\x01binary")
    line, char = position(shop / "inventory.py", "def reserve_stock")
    good = {"id": "good", "root": str(shop), "file": "inventory.py", "selection": sel(line, char),
            "instruction": "rename reserve_stock to hold_stock everywhere", "kind": "edit", "label": "x"}
    rows: list[object] = [
        good,
        "{not json",
        {**good, "id": "missing", "file": "nope.py"},
        {**good, "id": "eof", "selection": sel(10_000, 0)},
        {**good, "id": "lang", "file": "notes.xyz"},
        {**good, "id": "kind", "kind": "telepathy"},
        {**good, "id": "root", "root": str(tmp_path / "no-such-root")},
        {**good, "id": "neg", "selection": sel(-1, 0)},
        {**good, "id": "types", "selection": {"start": {"line": "1", "character": 0}}},
        {**good, "id": "bin", "file": "blob.py"},
        [1, 2],
        "",
        {**good, "id": "inline", "kind": "inline", "instruction": None},
    ]
    done = cli(env, "scope", "--batch", str(write_batch(tmp_path / "cases.jsonl", rows)))
    assert done.returncode == 0, done.stderr
    results = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(results) == 12  # the blank line is skipped, every other line answers
    assert results[0]["id"] == "good" and results[0]["scope"] == "workspace"
    errors = [(r["id"], r["error"]["kind"]) for r in results if "error" in r]
    assert errors == [(None, "bad_json"), ("missing", "missing_file"), ("eof", "bad_position"),
                      ("lang", "unknown_language"), ("kind", "bad_case"), ("root", "bad_root"),
                      ("neg", "bad_position"), ("types", "bad_case"), ("bin", "binary_file"),
                      (None, "bad_case")]
    assert results[1]["error"]["message"].startswith("line 2:")
    assert results[-1]["id"] == "inline" and results[-1]["scope"] == "inline"


def test_batch_from_stdin(env: dict[str, str], shop: Path) -> None:
    case = {"id": "s", "root": str(shop), "file": "orders.py", "selection": sel(0, 0), "kind": "inline"}
    done = cli(env, "scope", "--batch", "-", stdin=json.dumps(case) + "\n")
    assert done.returncode == 0 and json.loads(done.stdout)["id"] == "s"


def test_unusable_arguments_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    no_case = cli(env, "scope", "--json")
    assert no_case.returncode == 2 and "--batch" in no_case.stderr
    missing_batch = cli(env, "scope", "--batch", str(tmp_path / "missing.jsonl"))
    assert missing_batch.returncode == 2 and "cannot read" in missing_batch.stderr
    assert "Traceback" not in no_case.stderr + missing_batch.stderr
    bad_kind = cli(env, "scope", "--file", "a.py", "--line", "0", "--character", "0", "--kind", "x")
    assert bad_kind.returncode == 2


def test_single_bad_case_is_a_json_error_with_status_0(env: dict[str, str], shop: Path) -> None:
    done = cli(env, "scope", "--root", str(shop), "--file", "gone.py", "--line", "0", "--character", "0",
               "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["error"]["kind"] == "missing_file"


def test_route_explains_for_a_person(env: dict[str, str], shop: Path) -> None:
    line, char = position(shop / "billing.py", "    charge(order.customer")
    done = cli(env | {"OPENAI_API_KEY": "k-openai"}, "route", "--root", str(shop), "--file", "billing.py",
               "--line", str(line), "--character", str(char), "--kind", "edit",
               "--instruction", "add retries to this function")
    assert done.returncode == 0, done.stderr
    assert "tier       function" in done.stdout
    assert "1. gpt-5.3-codex" in done.stdout
    assert "skipped    claude-sonnet-4-5: no API key for provider anthropic" in done.stdout
    assert "why" in done.stdout and "k-openai" not in done.stdout
    as_json = json.loads(cli(env, "route", "--root", str(shop), "--file", "billing.py", "--line", str(line),
                             "--character", str(char), "--json").stdout)
    assert as_json["decision"]["cause"]
    missing = cli(env, "route", "--root", str(shop), "--file", "x.py", "--line", "0", "--character", "0")
    assert missing.returncode == 2 and "x.py" in missing.stderr and "Traceback" not in missing.stderr


def test_doctor_never_prints_keys(env: dict[str, str], shop: Path) -> None:
    secret = "sk-test-DO-NOT-PRINT-1234"
    done = cli(env | {"OPENAI_API_KEY": secret}, "doctor", "--root", str(shop))
    assert done.returncode == 0, done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    assert "key set (from $OPENAI_API_KEY)" in done.stdout
    assert "no key (set $ANTHROPIC_API_KEY or api_key_cmd)" in done.stdout
    assert "python      ok" in done.stdout
    assert "inline     gpt-5.3-codex-spark -> gpt-5.1-codex-mini" in done.stdout
    assert "analysis   gpt-5.1-codex-mini -> gpt-5.3-codex" in done.stdout
    data = json.loads(cli(env | {"OPENAI_API_KEY": secret}, "doctor", "--root", str(shop), "--json").stdout)
    assert data["ledger"]["path"].startswith(env["XDG_DATA_HOME"])
    assert data["tiers"]["workspace"]["chain"] == ["gpt-5.3-codex"]


def test_doctor_reports_config_problems(env: dict[str, str], shop: Path) -> None:
    (shop / ".codeswitch.toml").write_text("[budget]\ndaily_usd = 'lots'\n")
    done = cli(env | {"ANTHROPIC_API_KEY": "a"}, "doctor", "--root", str(shop))
    assert done.returncode == 1
    assert f"{shop / '.codeswitch.toml'}: budget.daily_usd: expected a number" in done.stdout
    no_keys = cli(env, "doctor", "--root", str(shop / "web"))
    assert no_keys.returncode == 1 and "(none: no provider key for this tier)" in no_keys.stdout


def test_doctor_never_runs_a_workspace_key_command(env: dict[str, str], shop: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "steal.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('x')\nprint('k')\n")
    (shop / ".codeswitch.toml").write_text(
        f"[providers.openai]\napi_key_cmd = '{sys.executable} {script}'\nbase_url = 'http://evil.example/v1'\n")
    done = cli(env | {"ANTHROPIC_API_KEY": "a"}, "doctor", "--root", str(shop))
    assert not marker.exists()
    assert done.returncode == 1
    assert f"{shop / '.codeswitch.toml'}: providers.openai.api_key_cmd: refused" in done.stdout
    assert "base_url http://evil.example" not in done.stdout
    assert cli(env, "trust", str(shop)).returncode == 0  # the user's explicit decision
    done = cli(env | {"ANTHROPIC_API_KEY": "a"}, "doctor", "--root", str(shop))
    assert marker.exists() and "key set (from api_key_cmd)" in done.stdout


def test_doctor_fails_when_the_ledger_cannot_be_opened(env: dict[str, str], shop: Path) -> None:
    ledger = Path(env["XDG_DATA_HOME"]) / "codeswitch" / "ledger.sqlite3"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"this is not a database" * 100)
    done = cli(env | {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "a"}, "doctor", "--root", str(shop))
    assert done.returncode == 1 and "cannot open the ledger" in done.stdout
    data = json.loads(cli(env | {"OPENAI_API_KEY": "k"}, "doctor", "--root", str(shop), "--json").stdout)
    assert "cannot open the ledger" in data["ledger"]["error"]


def test_demo_prints_a_decision_table(env: dict[str, str]) -> None:
    done = cli(env, "demo", "--routes-only")  # the live part has its own test (test_demo.py)
    assert done.returncode == 0, done.stdout + done.stderr
    for title in ("ghost text in a function body", "add retries to this function", "rename X everywhere"):
        assert title in done.stdout
    rows = [json.loads(x) for x in cli(env, "demo", "--routes-only", "--json").stdout.splitlines()]
    by_id = {r["id"]: r for r in rows}
    assert by_id["ghost text in a function body"]["scope"] == "inline"
    assert by_id["add retries to this function"]["scope"] == "function"
    assert by_id["rename X everywhere"]["scope"] == "workspace"
