"""Zero-latency loopback backends for bench_peers.py, run as their own process.

    .venv/bin/python bench/peer_backends.py      # prints {"port": PORT}, serves until stdin closes

One small HTTP/1.1 server on 127.0.0.1 in its own process (so the benchmark's client never shares
a CPU slice with it), the same code answering every client: OpenAI's Responses API for codeswitch
(``POST /v1/responses``, a streamed answer: created, one text delta, completed with usage),
tabby-agent's endpoints (health, server setting, completions, events) and the Copilot language
server's (token, user, experiments, SSE completions, telemetry), also acting as their HTTP proxy
(absolute-form requests are served, CONNECT is refused unless it targets this server). Every
completion answers with a text that starts with a character the benchmark never types, so no
client can answer the next keystroke from its cache.
``GET /bench/counts`` returns completions served per client; ``POST /bench/delay`` with
``{"copilot_delay_ms": N | null}`` sets the experiment value Copilot reads (null: its stock delay).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter

#: completions start with "Q": the benchmark types lowercase text only
COMPLETION = "Qz + 1"
counts: Counter[str] = Counter()
settings: dict[str, object] = {"copilot_delay_ms": 0}
LOG = bool(os.environ.get("BENCH_BACKEND_LOG"))


def _json(status: int, obj: object) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(obj).encode()


def _token(base: str) -> dict[str, object]:
    now = int(time.time())
    return {"token": f"tid=bench;exp={now + 86400};sku=free_limited_copilot;proxy-ep=127.0.0.1",
            "expires_at": now + 86400, "refresh_in": 43200, "chat_enabled": False,
            "endpoints": {"api": base, "proxy": base, "origin-tracker": base, "telemetry": base},
            "sku": "free_limited_copilot", "tracking_id": "bench", "individual": True}


def _sse_completion() -> bytes:
    choice = {"index": 0, "text": COMPLETION, "finish_reason": "stop", "logprobs": None}
    chunk = {"id": "cmpl-1", "created": int(time.time()), "model": "bench", "choices": [choice]}
    return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()


def _responses_stream() -> bytes:
    resp = {"id": "resp_1", "object": "response", "status": "in_progress", "model": "bench", "output": []}
    done = {**resp, "status": "completed", "usage": {"input_tokens": 200, "output_tokens": 4,
                                                     "input_tokens_details": {"cached_tokens": 0}}}
    events: list[tuple[str, dict[str, object]]] = [
              ("response.created", {"response": resp}),
              ("response.output_text.delta", {"delta": f"<FILL>{COMPLETION}</FILL>", "output_index": 0}),
              ("response.completed", {"response": done})]
    return "".join(f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"
                   for kind, data in events).encode()


def route(method: str, path: str, base: str) -> tuple[int, str, bytes]:
    path = path.split("?", 1)[0]
    if path == "/bench/counts":
        return _json(200, dict(counts))
    if path == "/v1/responses" and method == "POST":
        counts["codeswitch"] += 1
        return 200, "text/event-stream", _responses_stream()
    if path == "/v1/health":
        return _json(200, {"model": "bench", "chat_model": None, "device": "cpu", "arch": "x86_64",
                           "cpu_info": "bench", "cpu_count": 2, "cuda_devices": [],
                           "version": {"build_date": "2025-01-01", "build_timestamp": "2025-01-01",
                                       "git_sha": "0", "git_describe": "v0.30.0"}})
    if path == "/v1beta/server_setting":
        return _json(200, {"disable_client_side_telemetry": True})
    if path == "/v1/completions" and method == "POST":
        counts["tabby"] += 1
        return _json(200, {"id": "cmpl-1", "choices": [{"index": 0, "text": COMPLETION}]})
    if path == "/v1/events":
        return _json(200, {})
    if path.endswith("/copilot_internal/v2/token"):
        return _json(200, _token(base))
    if path.endswith("/copilot_internal/user"):
        return _json(200, {"login": "bench", "copilot_plan": "individual", "chat_enabled": False,
                           "access_type_sku": "free_limited_copilot", "analytics_tracking_id": "bench"})
    if path.rstrip("/").endswith("/telemetry") and method in ("GET", "POST"):
        delay = settings["copilot_delay_ms"]
        params = {} if delay is None else {"copilotcompletionsdelay": delay}
        return _json(200, {"Features": [], "Flights": {}, "AssignmentContext": "",
                           "Configs": [{"Id": "vscode", "Parameters": params}]})
    if path.endswith("/completions") and method == "POST":
        counts["copilot"] += 1
        return 200, "text/event-stream", _sse_completion()
    return _json(200, {})


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return out
            out += await reader.readexactly(size)
            await reader.readline()
    return b""


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, base: str) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            if method == "CONNECT":
                if target == base.removeprefix("http://"):
                    writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    await writer.drain()
                    continue
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            body = await _body(reader, headers)
            if "://" in target:  # absolute form: we are the proxy
                target = "/" + target.split("://", 1)[1].partition("/")[2]
            if target == "/bench/delay" and method == "POST":
                settings["copilot_delay_ms"] = json.loads(body or b"{}").get("copilot_delay_ms")
                status, ctype, data = _json(200, settings)
            else:
                status, ctype, data = route(method, target, base)
            if LOG:
                print(method, target, status, file=sys.stderr, flush=True)
            writer.write(f"HTTP/1.1 {status} OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(data)}\r\n"
                         "x-github-request-id: bench\r\nConnection: keep-alive\r\n\r\n".encode() + data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        writer.close()


async def main() -> None:
    holder: dict[str, str] = {}
    server = await asyncio.start_server(lambda r, w: handle(r, w, holder["base"]), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    holder["base"] = f"http://127.0.0.1:{port}"
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
