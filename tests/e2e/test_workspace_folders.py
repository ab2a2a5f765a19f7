"""Several workspace folders: each is indexed, and a document is served with its own folder's index,
paths and ignore rules (a real ``codeswitch serve`` over stdio, the emulator over loopback HTTP)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsp_raw import plain
from lsprotocol import types

from codeswitch.testing import Emulator

SPARK = "gpt-5.3-codex-spark"
FOLDER_A = {"a.py": "def helper_a(x):\n    return x\n", "use_a.py": "from a import helper_a\n\nhelper_a(1)\n"}
FOLDER_B = {"lib.py": "def scale_price(price, factor):\n    return price * factor\n",
            "main.py": "from lib import scale_price\n\nprint(scale_price(2, 3))\n"}


def write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


async def indexed(client: Any, builds: int) -> list[str]:
    """The end messages of the index builds, once ``builds`` of them have ended."""
    while True:
        ends = [r.message for rs in client.progress_reports.values() for r in rs
                if isinstance(r, types.WorkDoneProgressEnd)]
        if len(ends) >= builds:
            return ends
        await asyncio.sleep(0.01)


async def two_folders(start_server: Any, lsp_caps: Callable[..., types.ClientCapabilities],
                      emulator: Emulator, a: Path, b: Path) -> Any:
    """A served session with folders ``a`` and ``b``, OpenAI pointed at the emulator."""
    s = await start_server(root=a, initialize=False, env={"OPENAI_API_KEY": "sk-test-folders-0000"})
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}}}
    s.result = await s.client.initialize_session(types.InitializeParams(
        capabilities=lsp_caps(["utf-16"], progress=True), root_uri=a.as_uri(),
        initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=a.as_uri(), name="a"),
                           types.WorkspaceFolder(uri=b.as_uri(), name="b")]))
    return s


async def test_every_folder_is_indexed_and_serves_its_documents(
        start_server: Any, lsp_caps: Callable[..., types.ClientCapabilities], tmp_path: Path,
        emulator: Emulator) -> None:
    a, b = tmp_path / "proj-a", tmp_path / "proj-b"
    write(a, FOLDER_A)
    write(b, FOLDER_B)
    emulator.script(SPARK, "<FILL>price * factor</FILL>")
    s = await two_folders(start_server, lsp_caps, emulator, a, b)
    assert sorted(await indexed(s.client, 2)) == ["2 files indexed", "2 files indexed"]
    # the second folder's index knows who uses its function
    lib = b / "lib.py"
    uri = lib.as_uri()
    s.client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=FOLDER_B["lib.py"])))
    result = await s.scope(uri, 0, 0, kind="edit", end=(1, 25),
                           instruction="add a required parameter currency to scale_price")
    assert result["files"] == ["lib.py", "main.py"]
    # a document of the second folder gets ghost text, with definitions read from its own folder
    text = "from lib import scale_price\n\ndef total(price):\n    return scale_price(\n"
    main = (b / "main.py").as_uri()
    s.client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=main, language_id="python", version=1, text=text)))
    items = await s.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(main), position=types.Position(3, 23),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
    listed = items.items if isinstance(items, types.InlineCompletionList) else items
    assert [i.insert_text for i in listed or []] == ["price * factor"]
    body = json.dumps(emulator.requests[-1].body)
    assert "lib.py" in body and "return price * factor" in body


async def test_explain_and_review_read_the_folder_of_their_document(
        start_server: Any, lsp_caps: Callable[..., types.ClientCapabilities], tmp_path: Path,
        emulator: Emulator) -> None:
    """Explain finds definitions with its document's folder index; review diffs that folder's
    repository, not the first folder's."""
    a, b = tmp_path / "proj-a", tmp_path / "proj-b"
    write(a, FOLDER_A)
    write(b, FOLDER_B)
    for repo in (a, b):
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "start")
    (b / "lib.py").write_text(FOLDER_B["lib.py"].replace("price * factor", "round(price * factor, 2)"))
    s = await two_folders(start_server, lsp_caps, emulator, a, b)
    await indexed(s.client, 2)
    main = (b / "main.py").as_uri()
    s.client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=main, language_id="python", version=1, text=FOLDER_B["main.py"])))
    here = {"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 8}}
    explained = plain(await s.client.protocol.send_request_async(
        "codeswitch/explain", {"textDocument": {"uri": main}, "range": here}))
    assert explained["error"] is None, explained["error"]
    assert "lib.py" in explained["files"]  # scale_price, found by folder b's index
    assert "return round(price * factor, 2)" in json.dumps(emulator.requests[-1].body)
    reviewed = plain(await s.client.protocol.send_request_async(
        "codeswitch/review", {"textDocument": {"uri": main}}))
    assert reviewed["error"] is None, reviewed["error"]
    assert "+    return round(price * factor, 2)" in json.dumps(emulator.requests[-1].body)
    first = plain(await s.client.protocol.send_request_async("codeswitch/review", {}))
    assert first["error"]["kind"] == "no_changes"  # folder a (the first): nothing to review
