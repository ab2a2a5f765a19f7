"""Inline completions end to end: a real `codeswitch serve` over stdio (pytest-lsp) against the
loopback emulator over real HTTP. Only an OpenAI key (fake) is configured, so the inline chain is
gpt-5.3-codex-spark, then gpt-5.1-codex-mini."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_start import initialized, server_env, start_client, write_files
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from codeswitch import trust
from codeswitch.catalog import load_catalog
from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Emulator, Fault, LatencyProfile

SPARK = "gpt-5.3-codex-spark"
MINI = "gpt-5.1-codex-mini"
FAKE_KEY = "sk-test-inline-0000"
INLINE_CAPS = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities(dynamic_registration=False),
        completion=types.CompletionClientCapabilities(),
        synchronization=types.TextDocumentSyncClientCapabilities(),
    ),
    workspace=types.WorkspaceClientCapabilities(execute_command=types.ExecuteCommandClientCapabilities()),
    general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
)
PLAIN_CAPS = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(snippet_support=False)),
    ),
)


class Session:
    """A started client plus what the server sent it and where its files live."""

    def __init__(self, client: LanguageClient, root: Path, data: Path) -> None:
        self.client = client
        self.root = root
        self.data = data
        self.status: list[Any] = []
        self.versions: dict[str, int] = {}

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, language: str, text: str) -> str:
        (self.root / name).write_text(text, encoding="utf-8")
        uri = self.uri(name)
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
        return uri

    def type_at(self, uri: str, line: int, character: int, text: str) -> None:
        self.versions[uri] += 1
        at = types.Position(line, character)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)]))

    async def inline(self, uri: str, line: int, character: int) -> list[types.InlineCompletionItem]:
        result = await self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
        if result is None:
            return []
        return list(result.items if isinstance(result, types.InlineCompletionList) else result)


async def _start(emulator: Emulator, tmp_path: Path, caps: types.ClientCapabilities,
                 settings: dict[str, object] | None = None,
                 files: dict[str, str] | None = None,
                 keys: dict[str, str] | None = None) -> AsyncIterator[Session]:
    root, data = tmp_path / "ws", tmp_path / "data"
    root.mkdir()
    write_files(root, files or {})
    env = server_env(tmp_path, {"OPENAI_API_KEY": FAKE_KEY, **(keys or {})})
    trust.add(root, env)  # the user trusted the workspace: its settings may pick the endpoint
    client = await start_client(env)
    session = Session(client, root, data)
    client.feature("codeswitch/status")(lambda params: session.status.append(params))
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}}}
    options.update(settings or {})
    async with initialized(client, root, caps, options):
        yield session


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    async for s in _start(emulator, tmp_path, INLINE_CAPS):
        yield s


@pytest_asyncio.fixture
async def plain_lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    async for s in _start(emulator, tmp_path, PLAIN_CAPS):
        yield s


def _fill(text: str) -> str:
    return f"<FILL>{text}</FILL>"


CASES = [
    # (file, language id, text, line, character, reply, expected)
    ("calc.py", "python", "def area(w, h):\n    return w\n", 1, 12, " * h", " * h"),
    ("calc.py", "python", "def area(w, h):\n    \n", 1, 4, "result = w * h\n    return result",
     "result = w * h\n    return result"),
    ("calc.ts", "typescript", "export function area(w: number, h: number): number {\n  return w\n}\n", 1, 10,
     " * h;", " * h;"),
    ("calc.ts", "typescript", "export function area(w: number, h: number): number {\n  \n}\n", 1, 2,
     "const a = w * h;\n  return a;", "const a = w * h;\n  return a;"),
    ("calc.go", "go", "package calc\n\nfunc Area(w, h int) int {\n\treturn w\n}\n", 3, 9, " * h", " * h"),
    ("calc.go", "go", "package calc\n\nfunc Area(w, h int) int {\n\t\n}\n", 3, 1, "a := w * h\n\treturn a",
     "a := w * h\n\treturn a"),
    ("calc.rs", "rust", "pub fn area(w: u32, h: u32) -> u32 {\n    w\n}\n", 1, 5, " * h", " * h"),
    ("calc.rs", "rust", "pub fn area(w: u32, h: u32) -> u32 {\n    \n}\n", 1, 4, "let a = w * h;\n    a",
     "let a = w * h;\n    a"),
]


@pytest.mark.parametrize(("name", "lang", "text", "line", "char", "reply", "expected"), CASES,
                         ids=[f"{c[1]}-{'block' if chr(10) in c[6] else 'line'}" for c in CASES])
async def test_ghost_text_per_language_and_shape(lsp: Session, emulator: Emulator, name: str, lang: str,
                                                 text: str, line: int, char: int, reply: str,
                                                 expected: str) -> None:
    emulator.script(SPARK, _fill(reply))
    uri = lsp.open(name, lang, text)
    items = await lsp.inline(uri, line, char)
    assert len(items) == 1
    item = items[0]
    assert item.insert_text == expected
    assert item.range == types.Range(types.Position(line, char), types.Position(line, char))
    assert item.command is not None and item.command.command == "codeswitch.acceptInline"
    assert emulator.requests[0].model == SPARK
    prompt = str(emulator.requests[0].body)
    assert "<FILL>" in prompt and FAKE_KEY not in prompt
    # the tree-sitter shape reached the prompt: a block after an opener, else the rest of the line
    hint = "Write the body of the block" if "\n" in expected else "Complete the current line only"
    assert hint in prompt


async def test_block_is_truncated_where_the_function_ends(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill("total = a + b\n    return total\n\n\ndef unrelated():\n    pass"))
    uri = lsp.open("m.py", "python", "def add(a, b):\n    \n\n\ndef other():\n    return 1\n")
    items = await lsp.inline(uri, 1, 4)
    assert [i.insert_text for i in items] == ["total = a + b\n    return total"]


async def test_suffix_is_not_repeated(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill('"width", "height"])'))
    uri = lsp.open("s.py", "python", "fields = sorted([])\nnames = dict(\n")
    # cursor inside `sorted([|])`: the reply repeats the `])` that follows
    items = await lsp.inline(uri, 0, 17)
    assert [i.insert_text for i in items] == ['"width", "height"']


async def test_markdown_fences_are_stripped(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, "Here is the code:\n```python\nreturn a * b\n```\nIt multiplies.")
    uri = lsp.open("f.py", "python", "def mul(a, b):\n    \n")
    items = await lsp.inline(uri, 1, 4)
    assert [i.insert_text for i in items] == ["return a * b"]


async def test_empty_answer_gives_no_item(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill("   "))
    uri = lsp.open("e.py", "python", "x = 1\n")
    assert await lsp.inline(uri, 1, 0) == []


async def test_superseded_request_is_cancelled_and_stream_closed(lsp: Session, emulator: Emulator) -> None:
    emulator.set_profile(SPARK, LatencyProfile(ttft_s=0.0, tokens_per_second=20.0))
    emulator.script(SPARK, _fill(" ".join(f"w{i}" for i in range(400))), _fill(" + 1"))
    uri = lsp.open("r.py", "python", "def f(x):\n    return x\n")
    first = asyncio.ensure_future(lsp.inline(uri, 1, 12))
    await emulator.wait_requests(1)
    while emulator.requests[0].tokens_sent == 0:
        await asyncio.sleep(0.005)
    second = await lsp.inline(uri, 1, 12)
    with pytest.raises(JsonRpcException) as err:
        await first
    assert err.value.code == -32800
    assert [i.insert_text for i in second] == [" + 1"]
    old = await emulator.wait_closed(emulator.requests[0])
    assert old.disconnected_at is not None and old.tokens_sent < 400


async def test_did_change_cancels_the_request_in_flight(lsp: Session, emulator: Emulator) -> None:
    emulator.fault(SPARK, Fault("stall_first", stall_s=30.0))
    uri = lsp.open("c.py", "python", "value = \n")
    pending = asyncio.ensure_future(lsp.inline(uri, 0, 8))
    await emulator.wait_requests(1)
    lsp.type_at(uri, 0, 8, "4")
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None


async def test_typing_through_a_suggestion_needs_no_new_model_call(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill("return sum(values) / len(values)"))
    uri = lsp.open("t.py", "python", "def mean(values):\n    \n")
    first = await lsp.inline(uri, 1, 4)
    assert first[0].insert_text == "return sum(values) / len(values)"
    for i, ch in enumerate("return s"):
        lsp.type_at(uri, 1, 4 + i, ch)
    again = await lsp.inline(uri, 1, 12)
    assert [i.insert_text for i in again] == ["um(values) / len(values)"]
    assert again[0].range is not None and again[0].range.start == types.Position(1, 12)
    assert len(emulator.requests) == 1


async def test_spark_unavailable_falls_back_and_tells_the_user_once(lsp: Session, emulator: Emulator) -> None:
    emulator.fault(SPARK, "model_not_found", times=None)
    emulator.script(MINI, _fill(" * 2"), _fill(" * 3"))
    uri = lsp.open("g.py", "python", "def double(x):\n    return x\n")
    items = await lsp.inline(uri, 1, 12)
    assert [i.insert_text for i in items] == [" * 2"]
    lsp.type_at(uri, 1, 12, " ")
    await lsp.inline(uri, 1, 13)
    spark_msgs = [m for m in lsp.client.messages if SPARK in m.message]
    assert len(spark_msgs) == 1
    assert lsp.status and lsp.status[0].model == MINI and lsp.status[0].tier == "inline"
    assert lsp.status[0].spentTodayUsd is not None


async def test_acceptance_is_recorded_in_the_ledger(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    uri = lsp.open("a.py", "python", "y = x\n")
    (item,) = await lsp.inline(uri, 0, 5)
    assert item.command is not None
    await lsp.client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=item.command.command, arguments=item.command.arguments))
    args = item.command.arguments[0]  # type: ignore[index]
    assert args["model"] == SPARK and args["accepted_chars"] == 4 and args["full"] is True
    with Ledger(lsp.data / "codeswitch" / LEDGER_FILE) as ledger:
        stats = {m.name: m for m in ledger.stats(load_catalog(), None).by_model}
    assert stats[SPARK].accepted == 1 and stats[SPARK].accepted_chars == 4
    assert stats[SPARK].acceptance_rate == 1.0


async def test_client_without_inline_completion_gets_a_completion_item(plain_lsp: Session,
                                                                       emulator: Emulator) -> None:
    emulator.script(SPARK, _fill("turn a + b"))
    uri = plain_lsp.open("p.py", "python", "def add(a, b):\n    re\n")
    result = await plain_lsp.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(1, 6)))
    assert isinstance(result, types.CompletionList)
    (item,) = result.items
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "return a + b"
    assert item.text_edit.range == types.Range(types.Position(1, 4), types.Position(1, 6))
    assert item.insert_text_format in (None, types.InsertTextFormat.PlainText)


async def test_cancel_request_answers_request_cancelled_and_closes_upstream(lsp: Session,
                                                                            emulator: Emulator) -> None:
    emulator.fault(SPARK, Fault("stall_first", stall_s=30.0))
    uri = lsp.open("v.py", "python", "total = \n")
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(0, 8),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="inline-to-cancel"))
    await emulator.wait_requests(1)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="inline-to-cancel"))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None


@pytest_asyncio.fixture
async def utf8_lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    caps = types.ClientCapabilities(
        text_document=INLINE_CAPS.text_document,
        general=types.GeneralClientCapabilities(position_encodings=["utf-8", "utf-16", "utf-32"]))
    async for s in _start(emulator, tmp_path, caps):
        yield s


async def test_ranges_follow_the_negotiated_utf8_encoding(utf8_lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(' + "!"'))
    line = 'greeting = "héllo → wörld"'
    uri = utf8_lsp.open("u.py", "python", line + "\n")
    end = len(line.encode("utf-8"))  # Neovim's client negotiates utf-8: characters count bytes
    items = await utf8_lsp.inline(uri, 0, end)
    assert [i.insert_text for i in items] == [' + "!"']
    assert items[0].range == types.Range(types.Position(0, end), types.Position(0, end))
    assert 'wörld"<FILL>' in str(emulator.requests[0].body)  # the prefix ends exactly at the cursor


async def test_bad_positions_and_unknown_documents(lsp: Session, emulator: Emulator) -> None:
    uri = lsp.open("b.py", "python", "x = 1\n")
    with pytest.raises(JsonRpcException) as err:
        await lsp.inline(uri, 99, 0)
    assert err.value.code == -32602  # InvalidParams: the position is outside the document
    assert await lsp.inline(lsp.uri("never-opened.py"), 0, 0) == []
    assert emulator.requests == []


@pytest.mark.parametrize("name", [".env", "deploy/server.pem", "private/notes.txt"])
async def test_secret_files_never_reach_a_provider(lsp: Session, emulator: Emulator, name: str) -> None:
    (lsp.root / ".codeswitchignore").write_text("private/\n")
    (lsp.root / name).parent.mkdir(parents=True, exist_ok=True)
    uri = lsp.open(name, "plaintext", "API_TOKEN=abc123-secret\nOTHER=")
    assert await lsp.inline(uri, 1, 6) == []
    assert emulator.requests == []


async def test_plain_text_outside_the_secret_rules_is_completed(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill("42"))
    (lsp.root / ".codeswitchignore").write_text("private/\n")
    (lsp.root / "public").mkdir()
    uri = lsp.open("public/notes.txt", "plaintext", "API_TOKEN=abc123\nOTHER=")
    assert [i.insert_text for i in await lsp.inline(uri, 1, 6)] == ["42"]
    assert len(emulator.requests) == 1


async def test_server_debounce_spares_the_model_call_of_a_superseded_request(emulator: Emulator,
                                                                             tmp_path: Path) -> None:
    async for lsp in _start(emulator, tmp_path, INLINE_CAPS, {"inline": {"debounce_ms": 1000}}):
        emulator.script(SPARK, _fill(" + 1"))
        uri = lsp.open("d.py", "python", "total = a\n")
        first = asyncio.ensure_future(lsp.inline(uri, 0, 9))
        await asyncio.sleep(0.05)
        lsp.type_at(uri, 0, 9, "b")
        second = await lsp.inline(uri, 0, 10)
        with pytest.raises(JsonRpcException) as err:
            await first
        assert err.value.code == -32800
        assert [i.insert_text for i in second] == [" + 1"]
        assert len(emulator.requests) == 1  # the first request never reached the provider


async def test_settings_change_resizes_the_prompt_window(lsp: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"), _fill(" + 2"))
    text = "".join(f"first_{i} = {i}\n" for i in range(40)) + "total = first_0\n"
    uri = lsp.open("w.py", "python", text)
    await lsp.inline(uri, 40, 15)
    assert "first_1 = 1" in str(emulator.requests[0].body)
    settings = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}},
                "inline": {"max_prefix_tokens": 8}}
    lsp.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
    lsp.type_at(uri, 40, 15, "0")  # not the start of " + 1": no type-through
    items = await lsp.inline(uri, 40, 16)
    assert [i.insert_text for i in items] == [" + 2"]
    assert "first_1 = 1" not in str(emulator.requests[1].body)  # 8 tokens: the current line only


async def test_definitions_from_other_workspace_files_reach_the_prompt(emulator: Emulator,
                                                                       tmp_path: Path) -> None:
    caps = types.ClientCapabilities(text_document=INLINE_CAPS.text_document,
                                    window=types.WindowClientCapabilities(work_done_progress=True))
    pricing = ("def price_with_tax(amount, rate=0.2):\n    return round(amount * (1 + rate), 2)\n"
               "\nTAX_TABLE = {}\n")
    files = {"pricing.py": pricing,
             ".env": "def price_with_tax():\n    SECRET_TOKEN = 1\n"}
    # a generous time for reading other files: a loaded test machine must not drop the context
    async for lsp in _start(emulator, tmp_path, caps, settings={"inline": {"context_ms": 5000}}, files=files):
        for _ in range(500):  # the index is built in the background and reports $/progress
            reports = [r for rs in lsp.client.progress_reports.values() for r in rs]
            if any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
                break
            await asyncio.sleep(0.01)
        emulator.script(SPARK, _fill("100)"))
        text = "from pricing import price_with_tax\n\ntotal = price_with_tax(\n"
        uri = lsp.open("checkout.py", "python", text)
        assert [i.insert_text for i in await lsp.inline(uri, 2, 23)] == ["100)"]
        prompt = str(emulator.requests[0].body)
        assert "pricing.py" in prompt and "return round(amount * (1 + rate), 2)" in prompt
        assert "SECRET_TOKEN" not in prompt and "TAX_TABLE" not in prompt


async def test_fim_model_gets_prefix_and_suffix_and_raw_code_back(emulator: Emulator, tmp_path: Path) -> None:
    settings = {"tiers": {"inline": {"chain": ["codestral"]}},
                "providers": {"mistral": {"base_url": emulator.base_url("fim_mistral")}}}
    keys = {"MISTRAL_API_KEY": "fake-mistral"}
    async for lsp in _start(emulator, tmp_path, INLINE_CAPS, settings, keys=keys):
        emulator.script("codestral-latest", "a * b\n\ndef other():\n    pass")
        uri = lsp.open("fim.py", "python", "def mul(a, b):\n    return \n\nprint(mul(2, 3))\n")
        items = await lsp.inline(uri, 1, 11)
        assert [i.insert_text for i in items] == ["a * b"]  # one line: rest_of_line shape
        (rec,) = emulator.requests
        assert rec.path == "/v1/fim/completions"
        body = rec.body
        assert isinstance(body, dict)
        assert body["prompt"].endswith("def mul(a, b):\n    return ")
        assert body["suffix"].startswith("\n\nprint(mul(2, 3))")
        assert "<FILL>" not in str(body)
