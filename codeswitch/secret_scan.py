"""Text that looks like a credential never goes to a provider, whichever file it came from.

``is_secret`` keeps credential *files* out of prompts by name; this module looks at the *text*
that is about to be sent: a private-key block or a token of a well-known shape (AWS access keys,
GitHub, GitLab, Slack, Stripe, Google, OpenAI and Anthropic keys, ...). The dispatcher runs
:func:`check_request` on every request before any provider sees it; a hit refuses the whole
request with :class:`SecretInPrompt` (an ``AllModelsFailed`` whose ``kind`` is ``secret_content``),
naming what was found but never quoting it.

Cost: a line is first searched for the literals every pattern contains (``PRIVATE KEY``,
``AKIA``, ``ghp_``, ``sk-ant-``, ...), and only a line holding one is matched against the
patterns. Verdicts are cached per line and per block: between two keystrokes an inline prompt
differs in a line or two, and an agent's history resends the same blocks every turn, so only new
text is searched (about 80 microseconds for an 8 KB prompt with one changed line, against 3.5 ms
for the plain combined regular expression).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable

from codeswitch.catalog import Catalog, ModelInfo
from codeswitch.dispatch_call import AllModelsFailed
from codeswitch.providers import CompletionRequest, TextBlock, ToolResultBlock

#: (what it is, the pattern); each pattern starts with a literal so the scan stays fast
PATTERNS: tuple[tuple[str, str], ...] = (
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("an AWS access key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    ("a GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{40,}"),
    ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("a Slack webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    ("an Anthropic key", r"\bsk-ant-[a-z]+\d*-[A-Za-z0-9_-]{32,}"),
    ("an OpenAI key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
    ("an OpenAI key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"),
    ("a Stripe key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}"),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("a Hugging Face token", r"\bhf_[A-Za-z0-9]{34,}\b"),
)
_SCAN = re.compile("|".join(f"(?:{p})" for _, p in PATTERNS))
_KINDS = [(what, re.compile(p)) for what, p in PATTERNS]
#: a literal every match contains: text without any of them is clean (``in`` is a fast byte search)
_LITERALS: tuple[str, ...] = (
    "PRIVATE KEY", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "glpat-", "xox", "hooks.slack.com", "sk-ant-", "sk-proj-", "sk-svcacct-", "sk-admin-", "T3BlbkFJ",
    "_live_", "AIza", "npm_", "hf_",
)

#: blocks at least this long are judged line by line, with verdicts cached per line and per block
_CACHED_FROM = 512
_CACHE_SIZE = 1024
#: the characters of the texts a verdict cache holds, at most
_CACHE_CHARS = 1 << 20


class SecretInPrompt(AllModelsFailed):
    """A request was refused before any provider call: its text holds a credential."""

    kind = "secret_content"

    def __init__(self, what: str) -> None:
        super().__init__(f"not sent: the text holds what looks like {what}; "
                         "remove it or exclude the file (exclude / .codeswitchignore)", [])
        self.what = what


class UnsendableText(AllModelsFailed):
    """A request was refused before any provider call: its text is not valid Unicode (a lone
    UTF-16 surrogate from the editor), so it has no UTF-8 form to send."""

    kind = "bad_text"

    def __init__(self) -> None:
        super().__init__("not sent: the document holds a lone UTF-16 surrogate (not valid Unicode); "
                         "fix that character first", [])


class _Verdicts:
    """A bounded memory of text -> what was found in it ("" for nothing): at most ``size`` texts
    and ``chars`` characters of them (a whole inline prompt is kilobytes, one for every key)."""

    def __init__(self, size: int = _CACHE_SIZE, chars: int = _CACHE_CHARS) -> None:
        self.size = size
        self.chars = chars
        self.held = 0
        self.known: OrderedDict[str, str] = OrderedDict()

    def get(self, text: str) -> str | None:
        found = self.known.get(text)
        if found is not None:
            self.known.move_to_end(text)
        return found

    def put(self, text: str, found: str) -> None:
        if text not in self.known:
            self.held += len(text)
        self.known[text] = found
        while self.known and (len(self.known) > self.size or self.held > self.chars):
            gone, _ = self.known.popitem(last=False)
            self.held -= len(gone)


_BLOCKS = _Verdicts()
_LINES = _Verdicts(_CACHE_SIZE * 16)


def _what(text: str) -> str:
    """What the first credential-shaped string in ``text`` is ("" for none).

    Only the lines holding one of the literals are matched against the patterns, so ordinary code
    costs a handful of substring searches."""
    for literal in _LITERALS:
        at = text.find(literal)
        while at != -1:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            match = _SCAN.search(text, start, end)
            if match is not None:
                hit = match.group(0)
                return next((what for what, rx in _KINDS if rx.search(hit)), "a credential")
            at = text.find(literal, end)
    return ""


def find_secret(text: str) -> str | None:
    """What credential ``text`` holds ("a private key", ...), or None."""
    if len(text) < _CACHED_FROM:
        return _what(text) or None
    known = _BLOCKS.get(text)
    if known is None:
        known = _by_line(text)
        _BLOCKS.put(text, known)
    return known or None


def _by_line(text: str) -> str:
    """Line by line: between two keystrokes an inline prompt differs in a line or two, and only
    those are searched again."""
    for line in text.splitlines():
        found = _LINES.get(line)
        if found is None:
            found = _what(line)
            _LINES.put(line, found)
        if found:
            return found
    return ""


def _texts(req: CompletionRequest) -> Iterable[str]:
    for text in (req.system, req.prompt, req.suffix):
        if text:
            yield text
    for message in req.messages:
        if isinstance(message.content, str):
            yield message.content
            continue
        for block in message.content:
            if isinstance(block, TextBlock):
                yield block.text
            elif isinstance(block, ToolResultBlock):
                yield block.content


def check_request(req: CompletionRequest) -> None:
    """Raise SecretInPrompt when any text of ``req`` holds a credential, UnsendableText when a
    text cannot be encoded as UTF-8."""
    for text in _texts(req):
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise UnsendableText() from None
        found = find_secret(text)
        if found is not None:
            raise SecretInPrompt(found)


def guarded(build: Callable[[ModelInfo], CompletionRequest], chain: Iterable[str],
            catalog: Catalog) -> Callable[[ModelInfo], CompletionRequest]:
    """``build`` with every request checked; the first model's request is built and checked now,
    so a refusal is raised before any provider call (and that request is reused, not built twice)."""
    first: list[tuple[str, CompletionRequest]] = []
    model = next((catalog.get(key) for key in chain if key in catalog), None)
    if model is not None:
        req = build(model)
        check_request(req)
        first.append((model.key, req))

    def checked(m: ModelInfo) -> CompletionRequest:
        if first and first[0][0] == m.key:
            return first.pop()[1]
        req = build(m)
        check_request(req)
        return req

    return checked
