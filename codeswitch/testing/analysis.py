"""What the emulator answers to an explain or review request when nothing else is scripted.

codeswitch's analysis prompts carry a marker in the system prompt (``[codeswitch-analysis:explain]``
or ``:review``) and list the context under Markdown headings (``### path:lines (`name`)``). The
answer is Markdown built from what the request really carried: the subject, the definitions and
places of use it was given, the files of the diff and what their added lines contain. So a test
(or a demo) sees an answer that depends on the request, over the real wire formats.
"""

from __future__ import annotations

import re

from .conversation import messages, system_text
from .script import RecordedRequest, Reply

_MARKER = re.compile(r"\[codeswitch-analysis:(explain|review)\]")
_HEADING = re.compile(r"^### (\S+?)(?::(\d+)(?:-(\d+))?)?(?: \(`([^`]+)`\))?$", re.M)
_SECTION = re.compile(r"^## (.+)$", re.M)


def _user_text(body: object) -> str:
    out: list[str] = []
    for m in messages(body):
        if m.get("role") != "user":
            continue
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return "\n".join(out)


def _sections(text: str) -> dict[str, str]:
    found = list(_SECTION.finditer(text))
    return {m.group(1).strip(): text[m.end():found[i + 1].start() if i + 1 < len(found) else len(text)]
            for i, m in enumerate(found)}


def _entries(section: str) -> list[tuple[str, str | None]]:
    """(where, name) of each piece under a section."""
    out = []
    for m in _HEADING.finditer(section):
        where = m.group(1) + (f":{m.group(2)}" if m.group(2) else "")
        where += f"-{m.group(3)}" if m.group(3) else ""
        out.append((where, m.group(4)))
    return out


def _explain(text: str) -> str:
    first = text.split("\n", 1)[0]
    subject = first.removeprefix("Explain ").split(". The user asks:")[0].rstrip(".")
    parts = _sections(text)
    uses = _entries(parts.get("Definitions it uses", ""))
    callers = _entries(parts.get("Where it is used", ""))
    lines = [f"**{subject}** — here is what it does, from the {1 + len(uses) + len(callers)} pieces of "
             "code I was given.", "", "## How it works", "",
             "It reads its inputs, computes its result and returns it; see the code above."]
    if uses:
        lines += ["", "## What it relies on", ""]
        lines += [f"- `{name or where}` ({where})" for where, name in uses]
    if callers:
        files = sorted({where.split(":")[0] for where, _ in callers})
        lines += ["", "## Who uses it", "",
                  f"It is used in {len(callers)} place(s) across {len(files)} file(s), e.g. "
                  + ", ".join(f"`{where}`" for where, _ in callers[:3]) + "."]
    return "\n".join(lines) + "\n"


def _review(text: str) -> str:
    parts = _sections(text)
    diff = parts.get("The diff against HEAD", "")
    files = [where for where, _ in _entries(diff)]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    findings = []
    for line in added:
        if "TODO" in line or "FIXME" in line:
            findings.append(f"- **Unfinished:** `{line.strip()}` is left in the change.")
        elif line.strip().startswith("print("):
            findings.append(f"- **Debug output:** `{line.strip()}` should not be committed.")
    changed = _entries(parts.get("Definitions it changes", ""))
    verdict = "Needs changes." if findings else "Looks right."
    lines = [f"**Verdict:** {verdict} {len(files)} file(s) changed, {len(added)} line(s) added.", ""]
    if changed:
        lines += ["## Changed definitions", ""] + [f"- `{n or w}` ({w})" for w, n in changed] + [""]
    lines += ["## Findings", ""] + (findings or ["- Nothing to fix."])
    return "\n".join(lines) + "\n"


def analysis_reply(record: RecordedRequest) -> Reply | None:
    """The answer to a codeswitch explain or review request; None for any other request."""
    found = _MARKER.search(system_text(record.body))
    if found is None:
        return None
    text = _user_text(record.body)
    return Reply(_explain(text) if found.group(1) == "explain" else _review(text))
