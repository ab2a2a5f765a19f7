"""The tools each agent gets, and the system prompts that describe the roles.

The lead plans with read-only tools over the workspace (list files, read a file, definitions and
references from the workspace index) and hands out work with ``assign_tasks``; in the review round
it sees the combined diff and calls ``approve`` or ``request_fix``. Teammates read any file but
edit only the files they own, through ``edit_file`` (search/replace on the in-memory overlay) and
``create_file``; they end with ``done``. Each system prompt starts with a role marker
(``[codeswitch-team:lead]``, ``[codeswitch-team:teammate N]``) so logs and test scripts can tell
the conversations apart.
"""

from __future__ import annotations

from codeswitch.providers import ToolSpec
from codeswitch.text import split_lines

_PATH = {"type": "string", "description": "path relative to the workspace root, '/' separated"}
_NAME = {"type": "string", "description": "an identifier (function, class, method or type name)"}


def _schema(props: dict[str, object], required: list[str]) -> dict[str, object]:
    return {"type": "object", "properties": props, "required": required}


LIST_FILES = ToolSpec("list_files", "List the workspace's source files (paths relative to the root). "
                      "`under` limits the listing to one folder.",
                      _schema({"under": {"type": "string"}}, []))
READ_FILE = ToolSpec("read_file", "Read one file as the team sees it now (edits so far included), with "
                     "1-based line numbers.", _schema({"path": _PATH}, ["path"]))
FIND_DEFINITIONS = ToolSpec("find_definitions", "Where `name` is defined in the workspace "
                            "(file:line and kind).", _schema({"name": _NAME}, ["name"]))
FIND_REFERENCES = ToolSpec("find_references", "Where `name` is used in the workspace (file:line).",
                           _schema({"name": _NAME}, ["name"]))
ASSIGN_TASKS = ToolSpec(
    "assign_tasks",
    "Hand the work to teammates and end planning. Each task names the files its teammate owns (a "
    "file belongs to one task only; only owned files can be edited) and what to do in them.",
    _schema({"tasks": {"type": "array", "items": _schema(
        {"files": {"type": "array", "items": {"type": "string"}}, "instruction": {"type": "string"}},
        ["files", "instruction"])}, "summary": {"type": "string"}}, ["tasks"]))
APPROVE = ToolSpec("approve", "Accept the combined diff as the result of the refactor.",
                   _schema({"summary": {"type": "string"}}, []))
REQUEST_FIX = ToolSpec("request_fix", "Send a message to the teammate that owns `file` asking for a "
                       "change; its answer is shown in the next review round.",
                       _schema({"file": _PATH, "message": {"type": "string"}}, ["file", "message"]))
EDIT_FILE = ToolSpec(
    "edit_file",
    "Replace exactly one occurrence of `search` in a file you own with `replace`. `search` must "
    "match the file's text exactly (copy whole lines, with enough context to be unique).",
    _schema({"path": _PATH, "search": {"type": "string"}, "replace": {"type": "string"}},
            ["path", "search", "replace"]))
CREATE_FILE = ToolSpec("create_file", "Create a new file (it must be one of the files you own).",
                       _schema({"path": _PATH, "text": {"type": "string"}}, ["path", "text"]))
RENAME_FILE = ToolSpec("rename_file", "Rename (move) a file you own to `new_path`; later edits use the new "
                       "path, which must be one of your files or not owned by anyone.",
                       _schema({"path": _PATH, "new_path": _PATH}, ["path", "new_path"]))
DONE = ToolSpec("done", "Say that your task is finished, with a one-line summary.",
                _schema({"summary": {"type": "string"}}, []))

#: the lead keeps one tool list for planning and review: the tools and system prompt are the cached
#: prefix of every call, and a history's tool_use blocks always name a tool that is offered
LEAD_TOOLS = (LIST_FILES, READ_FILE, FIND_DEFINITIONS, FIND_REFERENCES, ASSIGN_TASKS, APPROVE, REQUEST_FIX)
TEAMMATE_TOOLS = (READ_FILE, FIND_DEFINITIONS, FIND_REFERENCES, EDIT_FILE, DONE)


def lead_system(instruction: str, context: str, max_teammates: int) -> str:
    return (
        "[codeswitch-team:lead]\n"
        "You lead a small team that changes code across a workspace. Explore the workspace with the "
        "read-only tools, then call assign_tasks once: split the work into at most "
        f"{max_teammates} tasks, each owning the files it edits (a file belongs to one task). "
        "Teammates run in parallel and see only their task, so each instruction must be complete "
        "(names, signatures, what to change). Later you review the combined diff: call approve "
        "when it is right, or request_fix naming a file and what is wrong.\n\n"
        f"The request: {instruction}\n" + (f"\n{context}\n" if context else "")
    )


def teammate_system(n: int, files: list[str], instruction: str, request: str, can_create: bool,
                    can_rename: bool = False) -> str:
    owned = "\n".join(f"- {f}" for f in files)
    create = " Use create_file for the new files among them." if can_create else ""
    if can_rename:
        create += " Use rename_file to move a file you own."
    return (
        f"[codeswitch-team:teammate {n}]\n"
        "You are one member of a team changing a workspace. You own these files and may edit only "
        f"them:\n{owned}\n"
        "Read them first, then change them with edit_file (one unique search text per call)." + create +
        " Call done when your task is finished. Messages from the lead arrive as user turns.\n\n"
        f"The team's request: {request}\nYour task: {instruction}\n"
    )


def review_message(diff: str, problems: list[str], refusals: list[str], notes: list[str]) -> str:
    parts = ["Review round. The teammates are finished; this is the combined diff:", "```diff",
             diff.rstrip("\n") or "(no changes)", "```"]
    if notes:
        parts += ["Teammates said:", *(f"- {n}" for n in notes)]
    if problems:
        parts += ["Syntax check failed (the refactor cannot be applied like this):"]
        parts += [f"- {p}" for p in problems]
    if refusals:
        parts += ["Edits that were refused:", *(f"- {r}" for r in refusals)]
    parts.append("Call approve if the diff is right, or request_fix for a file that needs more work.")
    return "\n".join(parts)


def numbered(text: str) -> str:
    """`text` with 1-based line numbers, lines split as LSP and the index count them."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    if lines[-1] == "":
        lines.pop()
    return "\n".join(f"{i:>5}  {line}" for i, line in enumerate(lines, 1))
