"""The custom protocol as types: params and results of the ``codeswitch/*`` methods (docs/protocol.md).

Params are structured at the edge, before a handler runs, by the server's one converter
(:func:`make_converter`: pygls's converter plus the hooks for these classes): a request whose
params do not fit its class is answered with InvalidParams naming the field. Results and the
status notification are unstructured by the same converter. Keys are as the clients read them:
params and the status notification in camelCase (``textDocument``, ``workDoneToken``,
``spentTodayUsd``), results in snake_case (``cost_usd``, ``served_by``) with every field present
(``null`` rather than missing). Primitive fields are strict: ``"yes"`` is not a boolean and ``5``
not a string.
"""

from __future__ import annotations

import types as pytypes
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from lsprotocol import types
from pygls.protocol import default_converter

EDIT_METHOD = "codeswitch/edit"
REFACTOR_METHOD = "codeswitch/refactor"
SCOPE_METHOD = "codeswitch/scope"
STATS_METHOD = "codeswitch/stats"
LAST_ROUTE_METHOD = "codeswitch/lastRoute"
#: server -> client after each served request: the model and today's spend (status bars)
STATUS_NOTIFICATION = "codeswitch/status"

T = TypeVar("T")
#: wire classes -> whether their keys are camelCase
_WIRE: dict[type, bool] = {}


def wire(*, camel: bool) -> Callable[[type[T]], type[T]]:
    """Register an attrs class with the converter (camelCase keys or its own field names)."""
    def register(cls: type[T]) -> type[T]:
        _WIRE[cls] = camel
        return cls

    return register


# --- params (client -> server) --------------------------------------------------------------------

def _strip(value: str) -> str:
    return value.strip()


def _not_blank(_instance: object, _attribute: object, value: str) -> None:
    if not value.strip():
        raise ValueError("instruction must be a non-empty string")


@wire(camel=True)
@attrs.frozen
class DocumentRef:
    uri: str


@wire(camel=True)
@attrs.frozen
class PositionParam:
    """An LSP position in the negotiated encoding (checked against the document by the handler)."""

    line: int
    character: int


@wire(camel=True)
@attrs.frozen
class RangeParam:
    start: PositionParam
    end: PositionParam


@wire(camel=True)
@attrs.frozen
class ScopeParams:
    """``codeswitch/scope``: a range, or a position (an empty range there)."""

    text_document: DocumentRef
    range: RangeParam | None = None
    position: PositionParam | None = None
    instruction: str | None = None
    kind: str | None = None


@wire(camel=True)
@attrs.frozen
class EditParams:
    """``codeswitch/edit``: change the code at ``range`` as ``instruction`` says."""

    text_document: DocumentRef
    range: RangeParam
    instruction: str = attrs.field(validator=_not_blank, converter=_strip)
    apply: bool = False
    work_done_token: int | str | None = None


@wire(camel=True)
@attrs.frozen
class RefactorParams:
    """``codeswitch/refactor``: a workspace change by the agent team (the document says where from)."""

    instruction: str = attrs.field(validator=_not_blank, converter=_strip)
    text_document: DocumentRef | None = None
    range: RangeParam | None = None
    apply: bool = False
    work_done_token: int | str | None = None


# --- results (server -> client) -------------------------------------------------------------------

@wire(camel=False)
@attrs.frozen
class ErrorInfo:
    """Why a request produced no change: ``kind`` for scripts (docs/edits.md), ``message`` for people."""

    kind: str
    message: str


@wire(camel=False)
@attrs.frozen
class Usage:
    """What a request spent; ``cost_usd`` is null when a model's price is unknown, 0 when nothing ran."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0


@wire(camel=False)
@attrs.frozen
class Fallback:
    """A model that was tried and failed before the one that served (or before giving up)."""

    model: str
    error: str


def _kind_of(result: _ChangeResult) -> str:
    return result.KIND


@attrs.frozen
class _ChangeResult:
    """The fields an edit and a refactor result share (docs/protocol.md: the refactor result is the
    edit result plus the team's own). ``scope`` and ``tier`` default to the request's own ``KIND``."""

    KIND: ClassVar[str]

    edit: types.WorkspaceEdit | None = None
    diff: str = ""
    applied: bool = False
    model: str | None = None
    scope: str = attrs.Factory(_kind_of, takes_self=True)
    tier: str = attrs.Factory(_kind_of, takes_self=True)
    reasons: list[str] = attrs.Factory(list)
    usage: Usage = Usage()
    fallbacks: list[Fallback] = attrs.Factory(list)
    error: ErrorInfo | None = None


@wire(camel=False)
@attrs.frozen
class EditResult(_ChangeResult):
    """``codeswitch/edit``. ``edit`` is null when ``error`` says why nothing is to be applied."""

    KIND: ClassVar[str] = "function"


@wire(camel=False)
@attrs.frozen
class AgentUsage:
    """One agent of a refactor's team and what it spent."""

    role: str
    model: str | None
    turns: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


@wire(camel=False)
@attrs.frozen
class Refusal:
    """An edit a team member tried and the tools refused."""

    agent: str
    kind: str
    message: str


@wire(camel=False)
@attrs.frozen
class Base:
    """The SHA-256 of the text a file's edits were computed against (null: a new file)."""

    uri: str
    sha256: str | None


@wire(camel=False)
@attrs.frozen
class RefactorResult(_ChangeResult):
    """``codeswitch/refactor``: :class:`EditResult`'s fields plus the team's files, agents, refusals
    and the bases the edits were computed against."""

    KIND: ClassVar[str] = "workspace"

    files: list[str] = attrs.Factory(list)
    agents: list[AgentUsage] = attrs.Factory(list)
    refused: list[Refusal] = attrs.Factory(list)
    bases: list[Base] = attrs.Factory(list)


@wire(camel=False)
@attrs.frozen
class ScopeResult:
    """``codeswitch/scope``: the ``codeswitch scope --json`` object for an open document."""

    scope: str
    tier: str
    model: str | None
    anchor: RangeParam | None
    files: list[str]
    reasons: list[str]
    confidence: float
    chain: list[str]
    context_tokens: int
    uri: str
    version: int


@wire(camel=False)
@attrs.frozen
class RouteRecord:
    """One routing decision, explained: the ``codeswitch/lastRoute`` result (null before the first)."""

    method: str
    uri: str | None
    scope: str
    tier: str
    model_chain: tuple[str, ...]
    cause: str
    signals: Mapping[str, object]  # plain JSON data
    reasons: tuple[str, ...]
    served_by: str | None
    at: float  # unix time of the decision


@wire(camel=True)
@attrs.frozen
class StatusParams:
    """``codeswitch/status`` (a notification): who served the last request and today's spend."""

    model: str
    tier: str
    spent_today_usd: float | None


# --- the converter --------------------------------------------------------------------------------

def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


_PRIMITIVES = (bool, int, float, str)


def _strict(tp: Any) -> Callable[[Any, Any], Any] | None:
    """A structure hook refusing values of the wrong JSON type (cattrs would call ``str(5)``)."""
    options = get_args(tp) if get_origin(tp) in (Union, pytypes.UnionType) else (tp,)
    if not options or not all(o in _PRIMITIVES or o is type(None) for o in options):
        return None

    def fits(value: object, kind: object) -> bool:
        if kind is type(None):
            return value is None
        if isinstance(value, bool):
            return kind is bool
        return isinstance(value, int | float) if kind is float else isinstance(value, kind)  # type: ignore[arg-type]

    def hook(value: Any, _type: Any) -> Any:
        if not any(fits(value, o) for o in options):
            names = " or ".join("null" if o is type(None) else o.__name__ for o in options)
            raise TypeError(f"expected {names}, got {type(value).__name__}")
        return float(value) if float in options and isinstance(value, int) else value

    return hook


def _structure_fn(cls: type, converter: cattrs.Converter) -> Any:
    attrs.resolve_types(cls)
    camel = _WIRE[cls]
    fields = {a.name: override(rename=_camel(a.name) if camel else a.name, struct_hook=_strict(a.type))
              for a in attrs.fields(cls)}
    return make_dict_structure_fn(cls, converter, **fields)  # type: ignore[arg-type]


def _unstructure_fn(cls: type, converter: cattrs.Converter) -> Any:
    attrs.resolve_types(cls)
    camel = _WIRE[cls]
    fields = {a.name: override(rename=_camel(a.name)) for a in attrs.fields(cls)} if camel else {}
    return make_dict_unstructure_fn(cls, converter, **fields)  # type: ignore[arg-type]


def make_converter() -> cattrs.Converter:
    """The server's converter: pygls's (lsprotocol types) plus the custom protocol's classes."""
    converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook_factory(lambda cls: cls in _WIRE,
                                              lambda cls: _structure_fn(cls, converter))
    converter.register_unstructure_hook_factory(lambda cls: cls in _WIRE,
                                                lambda cls: _unstructure_fn(cls, converter))
    return converter


#: for code outside a request (tests, the harness): the same hooks as the server's converter
CONVERTER = make_converter()


def to_json(value: object) -> Any:
    """A protocol value as the JSON a client receives."""
    return CONVERTER.unstructure(value)


# --- requests as pygls structures them ------------------------------------------------------------

def _request(method: str, params_type: type) -> type:
    """A JSON-RPC request class whose params pygls structures into ``params_type``."""
    cls = attrs.make_class(f"{params_type.__name__}Request", {
        "id": attrs.field(type=cast(type, int | str)),
        "params": attrs.field(type=params_type),
        "method": attrs.field(type=str, default=method),
        "jsonrpc": attrs.field(type=str, default="2.0"),
    }, frozen=True)
    _WIRE[cls] = True
    return cls


#: method -> the request class its messages are structured into (CodeswitchProtocol.structure_message)
REQUEST_TYPES: dict[str, type] = {
    SCOPE_METHOD: _request(SCOPE_METHOD, ScopeParams),
    EDIT_METHOD: _request(EDIT_METHOD, EditParams),
    REFACTOR_METHOD: _request(REFACTOR_METHOD, RefactorParams),
}


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]


def describe_error(exc: BaseException) -> str:
    """What was wrong with a request's params, in one line (cattrs names the field; a validator
    says what it wanted)."""
    told = [str(e) for e in _leaves(exc) if type(e) is ValueError and str(e)]
    if told:
        return told[0]
    if isinstance(exc, cattrs.ClassValidationError):
        problems = cattrs.transform_error(exc, path="params")
        if problems:
            return "; ".join(p.replace("$.params.", "").replace("params.", "") for p in problems[:3])
    return str(exc)
