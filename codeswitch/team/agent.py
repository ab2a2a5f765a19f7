"""One agent's conversation on the Messages API: call the model, run its tool calls, repeat.

The history alternates strictly: an assistant turn (text and tool_use blocks) is always followed
by a user turn holding every tool_result, and anything another agent says is added to a user turn
too (never a trailing assistant message, which the Messages API rejects). The loop ends when the
model answers without a tool call, or when it calls one of the agent's ``stop_tools``; the results
of that last turn's calls are already in the history, so the conversation can go on later (the
lead's review round, a teammate's fix).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from codeswitch.catalog import ModelInfo
from codeswitch.dispatch import Dispatcher
from codeswitch.providers import (
    CompletionRequest,
    ContentBlock,
    Message,
    TextBlock,
    ToolResultBlock,
    ToolSpec,
    ToolUse,
    ToolUseBlock,
)
from codeswitch.routing import RouteDecision
from codeswitch.team.caps import Caps

#: a tool run: (result text, is_error)
ToolRunner = Callable[[ToolUse], Awaitable[tuple[str, bool]]]


@dataclass(slots=True)
class Turn:
    """How a conversation step ended: the model's text and the stop tool it called, if any."""

    text: str
    stop_tool: ToolUse | None


@dataclass(slots=True)
class Agent:
    role: str
    system: str
    tools: Sequence[ToolSpec]
    history: list[tuple[str, list[ContentBlock]]] = field(default_factory=list)

    def tell(self, text: str) -> None:
        """Add `text` to the next user turn (merged with pending tool results)."""
        if self.history and self.history[-1][0] == "user":
            self.history[-1][1].append(TextBlock(text))
        else:
            self.history.append(("user", [TextBlock(text)]))

    def messages(self) -> tuple[Message, ...]:
        return tuple(Message("user" if role == "user" else "assistant", tuple(blocks))
                     for role, blocks in self.history)


@dataclass(slots=True)
class TeamRuntime:
    """What every agent's calls share: the dispatcher, the route, the caps and the run id."""

    dispatcher: Dispatcher
    decision: RouteDecision
    caps: Caps
    run_id: str
    max_tokens: int


async def converse(rt: TeamRuntime, agent: Agent, run_tool: ToolRunner,
                   stop_tools: frozenset[str] = frozenset()) -> Turn:
    """Run `agent` until it answers without tools or calls a stop tool."""
    while True:
        rt.caps.before_call(agent.role)
        messages = agent.messages()

        def build(model: ModelInfo, messages: tuple[Message, ...] = messages) -> CompletionRequest:
            return CompletionRequest(model.model_id, system=agent.system, messages=messages,
                                     max_tokens=min(rt.max_tokens, model.max_output or rt.max_tokens),
                                     tools=tuple(agent.tools), cache_system=True)

        done = await rt.dispatcher.complete(rt.decision, build, request_kind="refactor", scope="workspace",
                                            parent_id=rt.run_id, role=agent.role)
        u = done.usage
        rt.caps.book(agent.role, done.model_key, u.input_tokens, u.cached_input_tokens, u.output_tokens,
                     done.cost_usd)
        rt.caps.fallbacks.extend(done.fallbacks)
        blocks: list[ContentBlock] = [TextBlock(done.text)] if done.text else []
        blocks += [ToolUseBlock(t.id, t.name, dict(t.input)) for t in done.tool_uses]
        agent.history.append(("assistant", blocks or [TextBlock("(no answer)")]))
        if not done.tool_uses:
            return Turn(done.text, None)
        results: list[ContentBlock] = []
        stop: ToolUse | None = None
        for call in done.tool_uses:
            text, is_error = await run_tool(call)
            results.append(ToolResultBlock(call.id, text, is_error))
            if call.name in stop_tools and not is_error and stop is None:
                stop = call
        agent.history.append(("user", results))
        if stop is not None:
            return Turn(done.text, stop)
