"""The emulator as a separate process: script file, control endpoints, clean shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from codeswitch.providers import CompletionRequest, Message, RateLimited, collect, make_provider

SCRIPT = {
    "default": "default text",
    "models": {
        "gpt-5.3-codex": {
            "replies": ["scripted one", {"text": "", "tool_calls": [{"name": "grep", "input": {"q": "x"}}]}],
            "faults": [{"kind": "rate_limit", "retry_after_s": 0.5}],
        }
    },
}


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def _get(url: str) -> object:
    with _OPENER.open(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url: str, body: object) -> object:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    with _OPENER.open(req, timeout=10) as r:
        return json.loads(r.read())


async def _ask(base: str, model: str) -> tuple[str, int]:
    p = make_provider("cli", "openai_responses", base + "/v1", "k")
    try:
        got = await collect(p.stream(CompletionRequest(model, messages=[Message("user", "q")])))
        return got.text, len(got.tool_uses)
    finally:
        await p.aclose()


def test_cli_serves_a_script_and_stops_on_sigterm(tmp_path: Path, hermetic_env: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "codeswitch.testing.emulator", "--port", "0", "--script", str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("codeswitch-emulator listening on http://127.0.0.1:")
        base = line.rsplit(" ", 1)[1].strip()
        assert _get(base + "/_emulator/health") == {"ok": True, "url": base}

        async def scenario() -> None:
            try:
                await _ask(base, "gpt-5.3-codex")
                raise AssertionError("the scripted 429 did not arrive")
            except RateLimited as e:
                assert e.retry_after_s == 0.5
            assert await _ask(base, "gpt-5.3-codex") == ("scripted one", 0)
            assert await _ask(base, "gpt-5.3-codex") == ("", 1)
            assert await _ask(base, "other") == ("default text", 0)

        asyncio.run(scenario())
        recorded = _get(base + "/_emulator/requests")
        assert isinstance(recorded, list)
        assert [r["status"] for r in recorded] == [429, 200, 200, 200]
        assert recorded[0]["fault"] == "rate_limit"

        assert _post(base + "/_emulator/reset", {}) == {"ok": True}
        assert _post(base + "/_emulator/script", {"models": {"m": {"replies": ["after reset"]}}}) == {
            "ok": True
        }
        assert asyncio.run(_ask(base, "m")) == ("after reset", 0)
        assert len(_get(base + "/_emulator/requests")) == 1  # type: ignore[arg-type]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert code == 0


def test_cli_rejects_a_bad_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"models": {"m": {"faults": ["meteor"]}}}', encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "codeswitch.testing.emulator", "--script", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "unknown fault 'meteor'" in out.stderr


def test_background_start_reports_a_busy_port() -> None:
    from codeswitch.testing import Emulator

    with Emulator() as first:
        busy = Emulator(first.port)
        try:
            busy.start_background()
        except OSError:
            pass
        else:
            busy.stop_background()
            raise AssertionError("binding a busy port must fail")
        assert first.requests == []
