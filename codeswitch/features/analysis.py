"""Explain and review: the prompt, the routed model call and the Markdown document the user reads.

The context (``analysis_context``, ``analysis_review``) is counted in tokens and routed through
``routing.route`` as an ``analysis`` request: the analysis tier's chain starts with cheap fast
models, and a model is skipped when its context window cannot hold the request comfortably
(``max_context_fill``), so a short question goes to a small model and a long analysis to a
1M-context one; the route's cause names the size. How much is gathered at most follows the same
rule: what the largest callable model of the tier holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from codeswitch.catalog import Catalog, ModelInfo
from codeswitch.config import Config, TierConfig
from codeswitch.providers import CompletionRequest, Message
from codeswitch.routing import RouteDecision
from codeswitch.scope import language_for
from codeswitch.wording import plural

from .analysis_context import Context, Piece, Task

TIER = "analysis"
#: the marker in each system prompt (the provider emulator answers analysis requests by it)
MARKER = "[codeswitch-analysis:{task}]"
SYSTEM = {
    "explain": (
        "You explain code to a programmer reading it in their editor. Answer in Markdown: a short "
        "summary first, then how it works, what it relies on and who uses it, citing `path:line`. "
        "Be precise and brief, do not restate the code, and use only the context given."),
    "review": (
        "You review a change before it is committed. Answer in Markdown: a one-line verdict, then "
        "findings ordered by severity (bugs, callers the change breaks, missing tests, clarity), "
        "each citing `path:line` and saying what to do. Say so when the change looks right. Use "
        "only the context given."),
}
_HEADINGS = {"target": "What to explain", "diff": "The diff against HEAD",
             "changed": "Definitions it changes", "definition": "Definitions it uses",
             "reference": "Where it is used"}
_ORDER = ("target", "diff", "changed", "definition", "reference")


@dataclass(frozen=True, slots=True)
class AnalysisScope:
    """What routing reads: an analysis request of ``context_tokens`` tokens."""

    context_tokens: int
    scope: str = TIER
    confidence: float = 1.0


def context_limit(config: Config, catalog: Catalog, callable_models: Collection[str]) -> int:
    """Tokens of context to gather at most: what the largest callable model of the tier holds at
    the tier's fill, less the output; all the tier's models count when none can be called."""
    tier = config.tiers.get(TIER) or TierConfig()
    models = [catalog.models[k] for k in tier.chain if k in catalog.models]
    usable = [m for m in models if m.key in callable_models] or models
    if not usable:
        return 0
    biggest = max(int(m.context_window * tier.max_context_fill) for m in usable)
    return max(biggest - tier.max_output_tokens - 2000, 0)  # 2000: the instructions and headings


def _fence(piece: Piece) -> str:
    lang = "diff" if piece.kind == "diff" else (language_for(None, piece.path) or "")
    body = piece.text if piece.text.endswith("\n") else piece.text + "\n"
    ticks = "````" if "```" in body else "```"
    label = f" (`{piece.name}`)" if piece.name and piece.kind != "target" else ""
    return f"### {piece.where}{label}\n{ticks}{lang}\n{body}{ticks}\n"


def prompt(ctx: Context, question: str | None = None) -> str:
    """The user message: the task, then the pieces grouped by why they are there."""
    first = (f"Explain {ctx.subject}." if ctx.task == "explain"
             else f"Review the working-tree changes against HEAD ({ctx.subject}).")
    parts = [first + (f" The user asks: {question}" if question else "")]
    for kind in _ORDER:
        pieces = [p for p in ctx.pieces if p.kind == kind]
        if pieces:
            parts.append(f"## {_HEADINGS[kind]}\n" + "\n".join(_fence(p) for p in pieces))
    if ctx.left_out:
        parts.append("## Not included\n" + "\n".join(f"- {why}" for why in ctx.left_out))
    return "\n\n".join(parts) + "\n"


def build_request(task: Task, text: str, model: ModelInfo, max_tokens: int) -> CompletionRequest:
    system = f"{MARKER.format(task=task)} {SYSTEM[task]}"
    return CompletionRequest(model.model_id, system=system, messages=[Message("user", text)],
                             max_tokens=min(max_tokens, model.max_output), cache_system=True)


def title(ctx: Context) -> str:
    return f"Explanation: {ctx.subject}" if ctx.task == "explain" else f"Review: {ctx.subject}"


def _k(tokens: int) -> str:
    return f"{tokens / 1000:.1f}K" if tokens >= 1000 else str(tokens)


def document(ctx: Context, answer: str, model: str, decision: RouteDecision) -> str:
    """The Markdown the editor shows: a title, the answer, then what was sent and why that model."""
    lines = [f"# {title(ctx)}", "", answer.strip(), "", "---", "",
             f"*{model} · {_k(ctx.tokens)} tokens of context from {plural(len(ctx.files), 'file')} · "
             f"{decision.cause}*"]
    if ctx.left_out:
        lines += ["", "Not sent: " + "; ".join(ctx.left_out)]
    return "\n".join(lines) + "\n"


Complete = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Served:
    """The model's answer and what it cost."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    fallbacks: tuple[tuple[str, str], ...]


async def run(ctx: Context, decision: RouteDecision, complete: Complete, *, question: str | None = None,
              on_attempt: Callable[[str], None] | None = None) -> Served:
    """One routed call (cancellation closes the stream); raises what ``complete`` raises."""
    text = prompt(ctx, question)

    def build(model: ModelInfo) -> CompletionRequest:
        return build_request(ctx.task, text, model, decision.max_output_tokens)

    done = await complete(decision, build, request_kind=ctx.task, scope=TIER, on_attempt=on_attempt)
    usage = done.usage
    return Served(done.text, done.model_key, int(usage.input_tokens), int(usage.output_tokens), done.cost_usd,
                  tuple((str(k), str(e)) for k, e in done.fallbacks))
