"""Scripted multi-agent conversations: one responder, many conversations told apart by a marker.

Several agents (a team's lead and teammates) call the same model at once; each conversation
carries a marker in its system prompt (e.g. ``[codeswitch-team:lead]``). :class:`Conversations`
is a responder (``Emulator.respond(model, conversations)``) that finds the conversation whose
marker the request's system prompt contains (first added wins) and answers with that
conversation's turn number *n* = the number of assistant messages already in the request. Turns
are Replies, or callables given the recorded request (to answer from the tool results it carries).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .script import RecordedRequest, Reply, ToolCall

Turn = Reply | Callable[[RecordedRequest], Reply]


def system_text(body: object) -> str:
    """The system prompt (Messages ``system`` string or blocks; Responses ``instructions``)."""
    if not isinstance(body, dict):
        return ""
    system = body.get("system", body.get("instructions"))
    if isinstance(system, list):
        return "".join(str(b.get("text", "")) for b in system if isinstance(b, dict))
    return system if isinstance(system, str) else ""


def messages(body: object) -> list[dict[str, object]]:
    """The conversation's messages (Messages ``messages``, Responses ``input`` items)."""
    if not isinstance(body, dict):
        return []
    msgs = body.get("messages", body.get("input"))
    return [m for m in msgs if isinstance(m, dict)] if isinstance(msgs, list) else []


def assistant_turns(body: object) -> int:
    return sum(1 for m in messages(body) if m.get("role") == "assistant")


def tool_results(body: object) -> list[str]:
    """The text of every tool result in the request, oldest first."""
    out = []
    for m in messages(body):
        content = m.get("content")
        for b in content if isinstance(content, list) else ():
            if isinstance(b, dict) and b.get("type") == "tool_result":
                c = b.get("content")
                out.append(c if isinstance(c, str) else str(c))
        if m.get("type") == "function_call_output":
            out.append(str(m.get("output", "")))
    return out


@dataclass(slots=True)
class Conversations:
    """A responder playing scripted conversations."""

    scripts: list[tuple[str, Sequence[Turn]]] = field(default_factory=list)

    def add(self, marker: str, *turns: Turn) -> Conversations:
        """Turn i answers the request that already holds i assistant messages; the last turn repeats."""
        self.scripts.append((marker, turns))
        return self

    def __call__(self, record: RecordedRequest) -> Reply:
        system = system_text(record.body)
        n = assistant_turns(record.body)
        for marker, turns in self.scripts:
            if marker in system and turns:
                turn = turns[min(n, len(turns) - 1)]
                return turn(record) if callable(turn) else turn
        raise LookupError(f"no scripted conversation matches the system prompt {system[:80]!r}")


def rename_edits(path: str, text: str, old: str, new: str) -> list[ToolCall]:
    """``edit_file`` calls renaming `old` to `new` line by line in one file (each line quoted whole)."""
    calls = []
    for line in dict.fromkeys(x for x in text.splitlines() if old in x):
        calls.append(ToolCall("edit_file", {"path": path, "search": line, "replace": line.replace(old, new)}))
    return calls


def rename_team(root: Path, groups: list[list[str]], old: str, new: str) -> Conversations:
    """A team renaming `old` to `new`: the lead looks up references, gives each group of files (read
    from `root`) to one teammate, then approves; each teammate edits its files and says done."""
    conv = Conversations()
    tasks = [{"files": g, "instruction": f"rename {old} to {new} in these files"} for g in groups]
    conv.add("[codeswitch-team:lead]", Reply(tool_calls=[ToolCall("find_references", {"name": old})]),
             Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": tasks})]),
             Reply(tool_calls=[ToolCall("approve", {"summary": f"renamed {old} to {new}"})]))
    for n, group in enumerate(groups, 1):
        calls = [c for f in group for c in rename_edits(f, (root / f).read_text(), old, new)]
        conv.add(f"[codeswitch-team:teammate {n}]", Reply(tool_calls=calls),
                 Reply(tool_calls=[ToolCall("done", {"summary": f"renamed in {', '.join(group)}"})]))
    return conv
