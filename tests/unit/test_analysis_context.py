"""Gathering explain and review context: priority order, the token limit, what is never sent."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from codeswitch.documents import Pos, Span
from codeswitch.features.analysis import MARKER, document, prompt
from codeswitch.features.analysis_context import Context, Piece, count_tokens, explain_context
from codeswitch.features.analysis_review import review_context
from codeswitch.features.git_changes import GitError, parse_diff, working_tree_changes
from codeswitch.routing import RouteDecision
from codeswitch.scope import Symbol
from codeswitch.testing.analysis import analysis_reply
from codeswitch.testing.script import RecordedRequest

FILES = {
    "geo.py": "from units import scale\n\n\ndef area(w, h):\n    return scale(w * h)\n",
    "units.py": "def scale(x):\n    return x * 2\n",
    "app.py": ("from geo import area\n\n\ndef report(rows):\n    total = 0\n"
               "    return [area(w, h) for w, h in rows]\n"),
}


def sym(name: str, path: str, line: int) -> Symbol:
    return Symbol(name, "function", path, Span(Pos(line, 4), Pos(line, 4 + len(name))))


class FakeIndex:
    defs = {"area": [sym("area", "geo.py", 3)], "scale": [sym("scale", "units.py", 0)],
            "report": [sym("report", "app.py", 3)]}
    refs = {"area": [sym("area", "app.py", 5)], "scale": [sym("scale", "geo.py", 4)]}

    def definitions(self, name: str) -> list[Symbol]:
        return self.defs.get(name, [])

    def references(self, name: str) -> list[Symbol]:
        return self.refs.get(name, [])

    def symbols_in(self, path: str) -> list[Symbol]:
        return [s for syms in self.defs.values() for s in syms if s.path == path]

    def references_in(self, path: str) -> list[Symbol]:
        return [s for syms in self.refs.values() for s in syms if s.path == path]


class FakeReader:
    extents = {("geo.py", 3): (3, 4), ("units.py", 0): (0, 1), ("app.py", 3): (3, 5)}

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def __call__(self, path: str) -> str | None:
        return self.files.get(path)

    def extent(self, s: Symbol) -> tuple[int, int]:
        return self.extents.get((s.path, s.span.start.line), (s.span.start.line, s.span.start.line))


def explain(limit: int = 100_000, files: dict[str, str] = FILES) -> Context:
    return explain_context(FakeReader(files), FakeIndex(), path="geo.py", text=files["geo.py"], start_line=3,
                           end_line=4, subject="function `area` (geo.py:4)", name="area", limit=limit)


def test_explain_takes_the_target_then_what_it_uses_then_who_uses_it() -> None:
    ctx = explain()
    assert [(p.kind, p.where) for p in ctx.pieces] == [
        ("target", "geo.py:4-5"), ("definition", "units.py:1-2"), ("reference", "app.py:4-6")]
    assert ctx.files == ("geo.py", "units.py", "app.py") and ctx.left_out == ()
    assert ctx.tokens == sum(count_tokens(p.text) + 12 for p in ctx.pieces)


def test_the_limit_drops_the_least_important_pieces_and_says_so() -> None:
    target_and_def = sum(p.tokens for p in explain().pieces[:2])
    ctx = explain(limit=target_and_def)
    assert [p.kind for p in ctx.pieces] == ["target", "definition"]
    assert ctx.left_out == (f"1 places that use it (over the {target_and_def:,}-token limit)",)
    alone = explain(limit=5)
    assert alone.pieces == () and "alone is over the 5-token limit" in alone.left_out[0]


def test_a_piece_holding_a_credential_is_never_taken() -> None:
    leaky = dict(FILES, **{"units.py": "def scale(x):\n    key = 'sk-ant-api03-" + "a" * 80 + "'\n"})
    ctx = explain(files=leaky)
    assert [p.kind for p in ctx.pieces] == ["target", "reference"]
    assert any(why.startswith("units.py:1-2: holds") and why.endswith("never sent") for why in ctx.left_out)


def test_review_leaves_out_files_that_may_not_be_sent_and_takes_touched_definitions() -> None:
    diff = parse_diff("diff --git a/geo.py b/geo.py\n--- a/geo.py\n+++ b/geo.py\n@@ -5 +5 @@\n"
                      "-    return w * h\n+    return scale(w * h)\n"
                      "diff --git a/.env b/.env\n--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-A=1\n+A=2\n")
    ctx = review_context(diff, FakeReader(FILES), lambda p: p != ".env", FakeIndex(), limit=100_000)
    assert [(p.kind, p.where) for p in ctx.pieces] == [
        ("diff", "geo.py"), ("changed", "geo.py:4-5"), ("definition", "units.py:1-2"),
        ("reference", "app.py:4-6")]
    assert ctx.subject == "changes in 1 file"
    assert ctx.left_out == (".env: a secret, ignored or excluded file; never sent",)


def test_parse_diff_reads_paths_and_the_changed_new_side_lines_not_context() -> None:
    (changed, gone, new) = parse_diff(
        "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n x\n+y\n z\n"
        "@@ -10 +11,0 @@\n-w\n"
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-q\n"
        "diff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n"
        "@@ -0,0 +1,2 @@\n+a\n+b\n")
    assert (changed.path, changed.changed, changed.deleted) == ("a.py", [(1, 1), (11, 11)], False)
    assert (gone.path, gone.deleted) == ("old.py", True)
    assert (new.path, new.changed) == ("n.py", [(0, 1)])
    assert changed.text.startswith("diff --git a/a.py b/a.py\n") and changed.text.endswith("-w\n")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=root, check=True,
                   capture_output=True)


def test_working_tree_changes_with_untracked_files(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    with pytest.raises(GitError) as err:
        asyncio.run(working_tree_changes(tmp_path, trusted=False))
    assert err.value.kind == "no_commits"
    _git(tmp_path, "add", "a.py")
    _git(tmp_path, "commit", "-qm", "one")
    (tmp_path / "a.py").write_text("x = 2\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    files = asyncio.run(working_tree_changes(tmp_path, trusted=False))
    assert [(f.path, f.untracked) for f in files] == [("a.py", False), ("b.py", True)]
    assert "+x = 2" in files[0].text


def test_prompt_and_document() -> None:
    ctx = explain()
    text = prompt(ctx, "why?")
    assert text.startswith("Explain function `area` (geo.py:4). The user asks: why?\n\n## What to explain\n")
    assert "### units.py:1-2 (`scale`)\n```python\ndef scale(x):" in text
    decision = RouteDecision("analysis", "analysis", ("m",), 10, 10, None, "the cause")
    doc = document(ctx, "  The answer.\n", "m", decision)
    assert doc.startswith("# Explanation: function `area` (geo.py:4)\n\nThe answer.\n\n---\n")
    assert "*m · " in doc and "tokens of context from 3 files · the cause*" in doc


def _recorded(system: str, user: str) -> RecordedRequest:
    body = {"system": system, "messages": [{"role": "user", "content": [{"type": "text", "text": user}]}]}
    return RecordedRequest(1, "POST", "/v1/messages", {}, b"", body, "anthropic", "m", 0.0)


def test_the_emulator_answers_from_what_the_request_carried() -> None:
    ctx = explain()
    reply = analysis_reply(_recorded(MARKER.format(task="explain") + " ...", prompt(ctx)))
    assert reply is not None
    assert reply.text.startswith("**function `area` (geo.py:4)**")
    assert "- `scale` (units.py:1-2)" in reply.text and "`app.py:4-6`" in reply.text
    review = Context("review", "changes in 1 file", (Piece("diff", "a.py", 0, 0, "+print(x)\n"),))
    reply = analysis_reply(_recorded(MARKER.format(task="review"), prompt(review)))
    assert reply is not None and "**Debug output:** `print(x)`" in reply.text
    assert analysis_reply(_recorded("You complete code.", "x")) is None



def test_an_untrusted_repository_with_an_included_filter_command_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-qm", "one")
    ran = tmp_path / "filter-ran"
    (tmp_path / "evil.config").write_text(f'[filter "evil"]\n\tclean = touch {ran}; cat\n')
    _git(repo, "config", "include.path", "../../evil.config")  # relative to .git/config
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    (repo / "a.py").write_text("x = 2\n")
    with pytest.raises(GitError) as err:
        asyncio.run(working_tree_changes(repo, trusted=False))
    assert err.value.kind == "untrusted" and "filter.evil.clean" in err.value.message
    assert not ran.exists()
    files = asyncio.run(working_tree_changes(repo, trusted=True))  # the user trusted it: git runs it
    assert [f.path for f in files][:1] == ["a.py"] and ran.exists()
