"""The loopback provider emulator: one asyncio HTTP server that speaks every supported wire format.

It answers from a per-model script (queued replies, a responder callable, a default), paces the
stream by a latency profile, injects faults, and records every request with what happened to it
(tokens sent, when the client hung up). Run it in the test's own event loop (`async with
Emulator()`) or in a background thread (`with Emulator()`), or as a process (see emulator.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from types import TracebackType

from .analysis import analysis_reply
from .choices import choices_wanted, param_error
from .formats import (
    BASE_SUFFIX,
    DEFAULT_MODELS,
    HTTP_FAULTS,
    ROUTES,
    error_for,
    models_listing,
    nonstream,
    plan,
    wants_stream,
)
from .httpio import BadHttp, Connection, HttpRequest, Responder, read_request
from .pacing import Pace, play
from .render import RenderCtx, new_id
from .script import (
    PROFILES,
    Fault,
    FaultKind,
    LatencyProfile,
    ModelScript,
    RecordedRequest,
    Reply,
    fault_from_json,
    reply_from_json,
)
from .script import Responder as ResponderFn

DEFAULT_REPLY = Reply("Hello from the codeswitch emulator.")


class Emulator:
    """A fake model provider on 127.0.0.1 (see docs/providers.md for the scripting API)."""

    def __init__(
        self, port: int = 0, *, profile: str | LatencyProfile = "instant", time_scale: float = 1.0
    ) -> None:
        self.port = port
        self.time_scale = time_scale
        self.default_reply: Reply = DEFAULT_REPLY
        self.default_profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.requests: list[RecordedRequest] = []
        self._models: dict[str, ModelScript] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ids = 0
        self._conn_ids = 0

    # -- scripting ----------------------------------------------------------------------------

    def _model(self, model: str) -> ModelScript:
        if model not in self._models:
            self._models[model] = ModelScript(profile=self.default_profile)
        return self._models[model]

    def script(self, model: str, *replies: Reply | str) -> Emulator:
        """Queue replies for `model` ("*" = any model without its own script), used in order."""
        self._model(model).replies.extend(Reply(r) if isinstance(r, str) else r for r in replies)
        return self

    def respond(self, model: str, fn: ResponderFn | None) -> Emulator:
        """Answer `model` with fn(recorded_request) once its queued replies run out (multi-turn tests)."""
        self._model(model).responder = fn
        return self

    def fault(
        self,
        model: str,
        kind: FaultKind | Fault,
        *,
        times: int | None = 1,
        after_tokens: int = 2,
        retry_after_s: float = 1.0,
        stall_s: float = 3600.0,
    ) -> Emulator:
        """Queue a fault for `model` (see script.FaultKind); `times=None` makes it permanent."""
        f = kind if isinstance(kind, Fault) else Fault(kind, times, after_tokens, retry_after_s, stall_s)
        self._model(model).faults.append(f)
        return self

    def set_profile(self, model: str, profile: str | LatencyProfile) -> Emulator:
        self._model(model).profile = PROFILES[profile] if isinstance(profile, str) else profile
        return self

    def load_script(self, data: dict[str, object]) -> Emulator:
        """Apply a script document: {"default": reply, "profile": name, "models": {model: {...}}}."""
        if "profile" in data:
            self.default_profile = PROFILES[str(data["profile"])]
        if "default" in data:
            self.default_reply = reply_from_json(data["default"])
        models = data.get("models") or {}
        assert isinstance(models, dict)
        for model, spec in models.items():
            ms = self._model(model)
            if "profile" in spec:
                p = spec["profile"]
                ms.profile = PROFILES[p] if isinstance(p, str) else LatencyProfile(**p)
            ms.replies.extend(reply_from_json(r) for r in spec.get("replies", ()))
            ms.faults.extend(fault_from_json(f) for f in spec.get("faults", ()))
        return self

    def reset(self) -> None:
        """Forget scripts and recorded requests (keeps the server and its port)."""
        self._models.clear()
        self.requests.clear()
        self.default_reply = DEFAULT_REPLY

    # -- inspection ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, api: str) -> str:
        """The base_url to give `make_provider` for `api` (e.g. openai_chat -> http://127.0.0.1:N/v1)."""
        return self.url + BASE_SUFFIX[api]

    def requests_for(self, model: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.model == model]

    def find_secret(self, secret: str) -> list[tuple[RecordedRequest, list[str]]]:
        """Every recorded request that carried `secret`, and where (header names / body)."""
        return [(r, where) for r in self.requests if (where := r.contains(secret))]

    async def wait_closed(self, record: RecordedRequest, timeout: float = 10.0) -> RecordedRequest:
        """Wait until the exchange is over (finished or client gone); a guard against hangs."""
        deadline = time.monotonic() + timeout
        while not record.closed:
            if time.monotonic() > deadline:
                raise TimeoutError(f"request {record.id} to {record.path} still open after {timeout}s")
            await asyncio.sleep(0.001)
        return record

    async def wait_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.requests)} of {count} requests arrived")
            await asyncio.sleep(0.001)
        return list(self.requests)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Emulator:
        self._server = await asyncio.start_server(self._on_conn, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for w in list(self._writers):
            w.close()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_background(self) -> Emulator:
        """Run the server in its own thread and loop (for sync tests). Raises if it cannot bind."""
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as e:  # reported to the starting thread below
                failure.append(e)
                loop.close()
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        thread = threading.Thread(target=run, name="codeswitch-emulator", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._loop, self._thread = loop, thread
        return self

    def stop_background(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start_background()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_background()

    # -- serving ------------------------------------------------------------------------------

    async def _on_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self._conn_ids += 1
        conn_id = self._conn_ids
        conn = Connection(reader)
        try:
            while True:
                try:
                    req = await read_request(conn)
                except (BadHttp, ValueError, asyncio.IncompleteReadError, ConnectionError):
                    break
                if req is None:
                    break
                resp = Responder(conn, writer)
                try:
                    await self._serve(req, resp, conn_id)
                except Exception as e:  # a bug must not kill the server; tell the client
                    if resp.started:
                        break
                    msg = f"emulator failed: {type(e).__name__}: {e}"
                    await resp.send_json(500, {"error": {"message": msg, "type": "emulator_error"}})
                if resp.aborted or resp.gone or not req.keep_alive:
                    break
        except asyncio.CancelledError:
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, req: HttpRequest, resp: Responder, conn_id: int = 0) -> None:
        if req.path.startswith("/_emulator/"):
            await self._control(req, resp)
            return
        if req.method == "GET" and req.path == "/v1/models":
            await self._models_list(req, resp)
            return
        api = ROUTES.get(req.path)
        if api is None or req.method != "POST":
            await resp.send_json(
                404, {"error": {"message": f"no route {req.method} {req.path}", "type": "x"}}
            )
            return
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            body = None
        model = str(body.get("model") or "") if isinstance(body, dict) else None
        if api == "fim_llamacpp" and not model:
            model = "llamacpp"
        self._ids += 1
        record = RecordedRequest(
            self._ids,
            req.method,
            req.path,
            dict(req.headers),
            req.body,
            body,
            api,
            model,
            time.monotonic(),
            conn_id,
        )
        self.requests.append(record)
        if not isinstance(body, dict) or model is None:
            record.status = 400
            await resp.send_json(400, {"error": {"message": "body is not a JSON object", "type": "bad"}})
            record.finished_at = time.monotonic()
            return
        script = self._models.get(model) or self._models.get("*") or ModelScript(profile=self.default_profile)
        fault = script.next_fault()
        record.fault = fault.kind if fault else None
        if fault is not None and fault.kind in HTTP_FAULTS:
            status, headers, payload = error_for(api, fault, model)
            record.status = status
            await resp.send_json(status, payload, headers)
            record.finished_at = time.monotonic()
            return
        if fault is not None and fault.kind in ("html", "redirect"):
            await self._wrong_answer(resp, record, fault.kind)
            return
        refused = param_error(api, body)
        if refused is not None:
            record.status, record.finished_at = refused[0], time.monotonic()
            await resp.send_json(*refused)
            return
        try:
            replies = [self._next_reply(script, record) for _ in range(choices_wanted(api, body))]
        except Exception as e:  # a test's responder raised: answer 500 and say why
            record.status, record.finished_at = 500, time.monotonic()
            msg = f"emulator responder failed: {type(e).__name__}: {e}"
            await resp.send_json(500, {"error": {"message": msg, "type": "server_error", "code": None}})
            return
        ctx = RenderCtx.make(model, replies[0], req.body, tuple(replies[1:]))
        if not wants_stream(api, body) or (fault is not None and fault.kind == "plain_json"):
            record.status = 200
            await resp.send_json(200, nonstream(api, ctx, body))
            record.tokens_sent = ctx.output_tokens
            record.first_token_at = record.finished_at = time.monotonic()
            return
        await self._stream(resp, record, api, body, ctx, script.profile, fault)

    @staticmethod
    async def _wrong_answer(resp: Responder, record: RecordedRequest, kind: str) -> None:
        """What a proxy or a moved endpoint sends instead of a stream: an HTML page or a redirect."""
        if kind == "html":
            record.status = 200
            page = b"<!DOCTYPE html><html><head><title>Network login required</title></head>" \
                   b"<body><h1>Sign in to continue</h1></body></html>"
            await resp.send_body(200, "text/html; charset=utf-8", page)
        else:
            record.status = 302
            await resp.send_body(302, "text/html", b"<a href='https://login.example.com/'>moved</a>",
                                 {"location": "https://login.example.com/sso?next=/v1"})
        record.finished_at = time.monotonic()

    def _next_reply(self, script: ModelScript, record: RecordedRequest) -> Reply:
        if script.replies:
            return script.replies.popleft()
        if script.responder is not None:
            r = script.responder(record)
            return Reply(r) if isinstance(r, str) else r
        return analysis_reply(record) or self.default_reply

    async def _stream(
        self,
        resp: Responder,
        record: RecordedRequest,
        api: str,
        body: dict[str, object],
        ctx: RenderCtx,
        profile: LatencyProfile,
        fault: Fault | None,
    ) -> None:
        chunks, err_bytes, bad_bytes, ctype = plan(api, body, ctx)
        headers = {"request-id" if api == "anthropic" else "x-request-id": new_id("req")}
        await resp.start_stream(200, ctype, headers)
        record.status = 200
        pace = Pace.of(profile, self.time_scale)
        await play(resp, record, chunks, pace, fault, err_bytes=err_bytes, bad_bytes=bad_bytes)

    async def _models_list(self, req: HttpRequest, resp: Responder) -> None:
        names = [m for m in self._models if m != "*"] or list(DEFAULT_MODELS)
        await resp.send_json(200, models_listing(names, anthropic="anthropic-version" in req.headers))

    async def _control(self, req: HttpRequest, resp: Responder) -> None:
        """HTTP control for out-of-process use: requests, reset, script, health."""
        if req.path == "/_emulator/requests":
            await resp.send_json(200, [r.to_json() for r in self.requests])
        elif req.path == "/_emulator/reset" and req.method == "POST":
            self.reset()
            await resp.send_json(200, {"ok": True})
        elif req.path == "/_emulator/script" and req.method == "POST":
            try:
                self.load_script(json.loads(req.body))
            except (ValueError, TypeError, KeyError, AssertionError) as e:
                await resp.send_json(400, {"error": {"message": f"bad script: {e}"}})
                return
            await resp.send_json(200, {"ok": True})
        else:
            await resp.send_json(
                200 if req.path == "/_emulator/health" else 404, {"ok": True, "url": self.url}
            )
