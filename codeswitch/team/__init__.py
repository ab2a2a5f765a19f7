"""The workspace agent team (lead, teammates, review) on the Messages API with tool use.

See docs/team.md. :class:`Team` runs one refactor over an :class:`Overlay` (in-memory edits, never
the disk) within :class:`Caps`; the handler (``handlers/refactor.py``) turns the result into one
WorkspaceEdit.
"""

from codeswitch.team.agent import Agent, TeamRuntime, converse
from codeswitch.team.caps import AgentSpend, Caps, TeamError
from codeswitch.team.overlay import Overlay
from codeswitch.team.run import MAX_REVIEW_ROUNDS, Team, TeamResult

__all__ = ["MAX_REVIEW_ROUNDS", "Agent", "AgentSpend", "Caps", "Overlay", "Team", "TeamError", "TeamResult",
           "TeamRuntime", "converse"]
