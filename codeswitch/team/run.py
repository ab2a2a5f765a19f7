"""The workspace refactor as a team: the lead plans, teammates edit in parallel, the lead reviews.

1. **Planning**: the lead explores with read-only tools and calls ``assign_tasks``; each task owns
   its files in the overlay (one owner per file).
2. **Editing**: one teammate per task, at most ``team.max_teammates`` at once, each editing only
   its files through search/replace on the in-memory overlay (nothing touches disk).
3. **Review**: the lead sees the combined diff (plus syntax-check failures and refused edits) in a
   user turn and calls ``approve`` or ``request_fix``; a fix request reaches the owning teammate
   as a user turn, and the lead reviews again (at most ``MAX_REVIEW_ROUNDS`` rounds).

Every model call goes through the dispatcher (fallback, breakers, cancellation, the ledger with
``role`` = the agent and ``parent_id`` = the run) and through :class:`Caps`. Cancelling the task
running :meth:`Team.run` cancels every agent and closes their upstream streams; since edits live in
the overlay only, nothing partial is left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from codeswitch.edits import EditRejected, FileChange, workspace_diff
from codeswitch.providers import ToolUse
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.team import tools as T
from codeswitch.team.agent import Agent, TeamRuntime, converse
from codeswitch.team.caps import TeamError
from codeswitch.team.overlay import Overlay

log = logging.getLogger(__name__)

MAX_REVIEW_ROUNDS = 3
MAX_TASKS = 32
MAX_LISTED = 2000
REVIEW_STOPS = frozenset({"approve", "request_fix"})
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")

#: progress(message, percentage or None)
Progress = Callable[[str, "int | None"], None]


@dataclass(slots=True, eq=False)
class Task:
    n: int
    files: list[str]
    instruction: str
    agent: Agent
    summary: str = ""


@dataclass(slots=True)
class TeamResult:
    changes: list[FileChange]
    summary: str
    notes: list[str] = field(default_factory=list)
    review_rounds: int = 0


def _arg(call: ToolUse, key: str) -> str:
    value = call.input.get(key)
    if not isinstance(value, str):
        raise EditRejected("format", f"{call.name}: `{key}` must be a string")
    return value


class Team:
    """One refactor run. ``concurrency`` bounds the teammates running at once."""

    def __init__(self, rt: TeamRuntime, overlay: Overlay, index: WorkspaceIndex | None, instruction: str, *,
                 context: str = "", concurrency: int = 3, progress: Progress | None = None) -> None:
        self.rt = rt
        self.overlay = overlay
        self.index = index
        self.instruction = instruction
        self.concurrency = max(1, concurrency)
        self.progress = progress or (lambda _m, _p: None)
        self.lead = Agent("lead", T.lead_system(instruction, context, self.concurrency), T.LEAD_TOOLS)
        self.tasks: list[Task] = []
        self.fixes: list[tuple[Task, str]] = []
        self.approved: str | None = None

    # -- the run -------------------------------------------------------------------------------

    async def run(self) -> TeamResult:
        self.progress("planning", 0)
        self.lead.tell(f"Plan this change: {self.instruction}")
        turn = await converse(self.rt, self.lead, self._lead_tool, frozenset({"assign_tasks"}))
        if turn.stop_tool is None:
            raise TeamError("no_plan", "the lead ended without assigning any task: "
                            + (turn.text.strip()[:300] or "(no answer)"))
        total = sum(len(t.files) for t in self.tasks)
        self.progress(f"editing 0/{total} files", 10)
        await self._run_teammates(self.tasks, total)
        rounds = shown = 0
        while True:
            rounds += 1
            self.progress("reviewing" if rounds == 1 else f"reviewing (round {rounds})", 90)
            self.fixes.clear()
            refused = [f"{a}: {m}" for a, _k, m in self.overlay.refusals[shown:]]  # new since last round
            shown = len(self.overlay.refusals)
            # the review round only reads: these stay the result when the lead approves
            changes, problems = self.overlay.changes(), self.overlay.syntax_problems()
            diff = workspace_diff(changes)
            self.lead.tell(T.review_message(diff, problems, refused, self._notes()))
            turn = await converse(self.rt, self.lead, self._review_tool, REVIEW_STOPS)
            if not self.fixes:
                break
            if rounds >= MAX_REVIEW_ROUNDS:
                raise TeamError("review_unresolved", f"the lead still asked for fixes after {rounds} review "
                                "rounds; nothing was changed")
            for task, message in self.fixes:
                task.agent.tell(f"Message from the lead: {message}")
            fixing = list(dict.fromkeys(t for t, _m in self.fixes))
            await self._run_teammates(fixing, sum(len(t.files) for t in fixing))
        if problems:
            raise TeamError("syntax", "the refactor would introduce syntax errors: " + "; ".join(problems))
        summary = self.approved or turn.text.strip() or self.instruction
        return TeamResult(changes, summary, self._notes(), rounds)

    async def _run_teammates(self, tasks: list[Task], total: int) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        done = 0

        async def one(task: Task) -> None:
            nonlocal done
            async with gate:
                turn = await converse(self.rt, task.agent, lambda c: self._teammate_tool(task, c),
                                      frozenset({"done"}))
            if turn.stop_tool is not None:
                task.summary = str(turn.stop_tool.input.get("summary") or task.summary)
            elif turn.text.strip():
                task.summary = turn.text.strip().splitlines()[0][:200]
            done += len(task.files)
            self.progress(f"editing {done}/{total} files", 10 + 80 * done // max(total, 1))

        try:
            async with asyncio.TaskGroup() as group:
                for task in tasks:
                    group.create_task(one(task))
        except BaseExceptionGroup as group_error:
            # the first teammate to fail stopped the others: its own error is the run's error
            # (turn_cap, cost_cap, all_models_failed, ...), not the group that wraps it
            raise _first_error(group_error) from None

    def _notes(self) -> list[str]:
        return [f"teammate {t.n}: {t.summary}" for t in self.tasks if t.summary]

    # -- tools -------------------------------------------------------------------------------------

    async def _lead_tool(self, call: ToolUse) -> tuple[str, bool]:
        return self._safely(self._lead, call)

    async def _review_tool(self, call: ToolUse) -> tuple[str, bool]:
        return self._safely(self._review, call)

    async def _teammate_tool(self, task: Task, call: ToolUse) -> tuple[str, bool]:
        return self._safely(lambda c: self._teammate(task, c), call)

    @staticmethod
    def _safely(fn: Callable[[ToolUse], str], call: ToolUse) -> tuple[str, bool]:
        """Run one tool call; anything wrong with it is that call's error, never the end of the run."""
        try:
            return fn(call), False
        except EditRejected as err:
            return f"refused ({err.kind}): {err.message}", True
        except (OSError, ValueError, UnicodeError) as exc:  # a path the OS rejects, an unreadable file
            log.info("team tool %s failed: %s", call.name, exc)
            return f"error: {call.name} failed: {exc}", True

    def _read_only(self, call: ToolUse) -> str | None:
        if call.name == "list_files":
            under = call.input.get("under")
            files = self._files()
            if isinstance(under, str) and under.strip("/"):
                files = [f for f in files if f.startswith(under.strip("/") + "/")]
            return "\n".join(files[:MAX_LISTED]) or "(no files)"
        if call.name == "read_file":
            return T.numbered(self.overlay.read(_arg(call, "path")))
        if call.name in ("find_definitions", "find_references"):
            name = _arg(call, "name")
            if not _IDENT.match(name):
                raise EditRejected("format", f"{call.name}: {name!r} is not an identifier")
            return self._symbols(name, call.name == "find_definitions")
        return None

    def _lead(self, call: ToolUse) -> str:
        out = self._read_only(call)
        if out is not None:
            return out
        if call.name == "assign_tasks":
            return self._assign(call)
        if call.name in REVIEW_STOPS:
            raise EditRejected("format", f"{call.name} is for the review round; call assign_tasks first")
        raise EditRejected("format", f"unknown tool {call.name!r} while planning")

    def _review(self, call: ToolUse) -> str:
        out = self._read_only(call)
        if out is not None:
            return out
        if call.name == "approve":
            self.approved = str(call.input.get("summary") or "")
            return "approved"
        if call.name == "request_fix":
            _full, rel = self.overlay.target(_arg(call, "file"), "read")
            task = next((t for t in self.tasks if rel in t.files), None)
            if task is None:
                raise EditRejected("not_owned", f"no teammate owns {rel}")
            self.fixes.append((task, _arg(call, "message")))
            return f"sent to teammate {task.n}"
        if call.name == "assign_tasks":
            raise EditRejected("format", "the tasks were already assigned; use request_fix instead")
        raise EditRejected("format", f"unknown tool {call.name!r} while reviewing")

    def _teammate(self, task: Task, call: ToolUse) -> str:
        out = self._read_only(call)
        if out is not None:
            return out
        role = task.agent.role
        if call.name == "edit_file":
            rel = self.overlay.replace(role, _arg(call, "path"), _arg(call, "search"), _arg(call, "replace"))
            return f"edited {rel}"
        if call.name == "create_file":
            return f"created {self.overlay.create(role, _arg(call, 'path'), _arg(call, 'text'))}"
        if call.name == "rename_file":
            return f"renamed to {self.overlay.rename(role, _arg(call, 'path'), _arg(call, 'new_path'))}"
        if call.name == "done":
            return "ok"
        raise EditRejected("format", f"unknown tool {call.name!r}")

    def _assign(self, call: ToolUse) -> str:
        raw = call.input.get("tasks")
        if not isinstance(raw, list) or not raw:
            raise EditRejected("format", "assign_tasks: `tasks` must be a non-empty list")
        if self.tasks:
            raise EditRejected("format", "assign_tasks: the tasks were already assigned")
        if len(raw) > MAX_TASKS:
            raise EditRejected("format", f"assign_tasks: at most {MAX_TASKS} tasks")
        planned: list[tuple[list[str], str]] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw, 1):
            files = item.get("files") if isinstance(item, dict) else None
            instruction = item.get("instruction") if isinstance(item, dict) else None
            if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files) \
                    or not isinstance(instruction, str):
                raise EditRejected("format", f"assign_tasks: task {i} needs `files` and `instruction`")
            rels = []
            for f in files:
                _full, rel = self.overlay.target(f)
                if rel in seen:
                    raise EditRejected("format", f"assign_tasks: {rel} is in tasks {seen[rel]} and {i}; "
                                       "a file belongs to one task")
                if not self.overlay.exists(rel) and not (self.overlay.can_create or self.overlay.can_rename):
                    raise EditRejected("resource_op", f"assign_tasks: {rel} does not exist and the editor "
                                       "accepts neither file creation nor renames")
                seen[rel] = i
                rels.append(rel)
            planned.append((rels, instruction))
        can_create, can_rename = self.overlay.can_create, self.overlay.can_rename
        extra = ((T.CREATE_FILE,) if can_create else ()) + ((T.RENAME_FILE,) if can_rename else ())
        for n, (rels, instruction) in enumerate(planned, 1):
            role = f"teammate {n}"
            system = T.teammate_system(n, rels, instruction, self.instruction, can_create, can_rename)
            agent = Agent(role, system, T.TEAMMATE_TOOLS + extra)
            agent.tell(f"Your task: {instruction}\nYour files: {', '.join(rels)}")
            for rel in rels:
                self.overlay.own(rel, role)
            self.tasks.append(Task(n, rels, instruction, agent))
        return json.dumps({"assigned": [{"teammate": t.n, "files": t.files} for t in self.tasks]})

    # -- workspace queries -----------------------------------------------------------------------

    def _files(self) -> list[str]:
        if self.index is not None and self.index.ready:
            return self.index.files()
        return []

    def _symbols(self, name: str, definitions: bool) -> str:
        if self.index is None:
            return "(the workspace index is not available)"
        found = self.index.definitions(name) if definitions else self.index.references(name)
        lines = [f"{s.path}:{s.span.start.line + 1} {s.kind}" for s in found]
        return "\n".join(sorted(set(lines))) or f"no {'definition' if definitions else 'reference'} of {name}"



def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that stopped a task group: the first that is not a cancellation of a sibling."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    return next((exc for exc in leaves if isinstance(exc, Exception)), leaves[0] if leaves else group)
