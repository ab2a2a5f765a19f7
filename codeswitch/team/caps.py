"""Limits on one refactor: model turns per agent, tokens and dollars for the whole team.

The team checks :meth:`Caps.before_call` before every model call and books each call with
:meth:`Caps.book`; going over a limit raises :class:`TeamError` with kind ``turn_cap``,
``token_cap`` or ``cost_cap`` and a message naming the setting to raise. Spend is also kept per
agent (the refactor result and the ledger's ``role`` column show it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codeswitch.config import TeamConfig


class TeamError(Exception):
    """A refactor that stopped; ``kind`` is machine-readable, the message is for users."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(slots=True)
class AgentSpend:
    """What one agent (the lead, or one teammate) used."""

    role: str
    model: str | None = None
    turns: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0

    def to_json(self) -> dict[str, object]:
        return {"role": self.role, "model": self.model, "turns": self.turns,
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6)}


@dataclass(slots=True)
class Caps:
    """The running totals of one refactor against its limits (``team`` settings)."""

    limits: TeamConfig
    agents: dict[str, AgentSpend] = field(default_factory=dict)
    calls: int = 0
    #: (model key, error kind) for every model tried or skipped before the one that served a call
    fallbacks: list[tuple[str, str]] = field(default_factory=list)

    def agent(self, role: str) -> AgentSpend:
        if role not in self.agents:
            self.agents[role] = AgentSpend(role)
        return self.agents[role]

    @property
    def tokens(self) -> int:
        return sum(a.input_tokens + a.output_tokens for a in self.agents.values())

    @property
    def cost_usd(self) -> float:
        """Dollars at known prices (a model with an unpublished price adds nothing)."""
        return sum(a.cost_usd or 0.0 for a in self.agents.values())

    @property
    def cost_known(self) -> bool:
        return all(a.cost_usd is not None for a in self.agents.values())

    def before_call(self, role: str) -> None:
        """Raise TeamError when the next model call of `role` would go over a limit."""
        lim = self.limits
        spend = self.agent(role)
        if spend.turns >= lim.max_turns:
            raise TeamError("turn_cap", f"the refactor stopped: {role} used its {lim.max_turns} turns "
                            "without finishing (setting team.max_turns)")
        if self.tokens >= lim.max_tokens:
            raise TeamError("token_cap", f"the refactor stopped: the team used {self.tokens} tokens, "
                            f"over its cap of {lim.max_tokens} (setting team.max_tokens)")
        if self.cost_usd >= lim.max_usd:
            raise TeamError("cost_cap", f"the refactor stopped: the team spent ${self.cost_usd:.4f} in "
                            f"{self.calls} model calls, over its cap of ${lim.max_usd:.2f} "
                            "(setting team.max_usd); nothing was changed")

    def book(self, role: str, model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int,
             cost_usd: float | None) -> None:
        spend = self.agent(role)
        spend.model = model
        spend.turns += 1
        spend.input_tokens += input_tokens
        spend.cached_input_tokens += cached_input_tokens
        spend.output_tokens += output_tokens
        spend.cost_usd = None if cost_usd is None or spend.cost_usd is None else spend.cost_usd + cost_usd
        self.calls += 1
