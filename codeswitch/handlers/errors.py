"""The one place app errors become protocol errors.

A request that ran but changed nothing answers a result whose ``error`` is an
:class:`~.protocol.ErrorInfo` (:func:`failure`): every model failed or the deadline passed
(:class:`ProviderError`, with the models tried), the team stopped (:class:`TeamError`), an edit was
refused (:class:`EditRejected`). A request that cannot run at all is a JSON-RPC error: bad params
are InvalidParams (:func:`invalid_params`), a quick edit with nothing to apply is RequestFailed
-32803 (:class:`RequestFailed`), a server that is not ready is InternalError.
"""

from __future__ import annotations

from dataclasses import dataclass

from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams

from codeswitch.dispatch import AllModelsFailed
from codeswitch.edits import EditRejected
from codeswitch.providers import ProviderError
from codeswitch.team import TeamError

from .protocol import ErrorInfo, Fallback

#: what a request's result reports as its ``error`` instead of failing the request
APP_ERRORS: tuple[type[Exception], ...] = (ProviderError, TeamError, EditRejected)


@dataclass(frozen=True, slots=True)
class Failure:
    """An app error as a result reports it: the error and the models tried before it."""

    error: ErrorInfo
    tried: tuple[Fallback, ...] = ()


def failure(exc: Exception) -> Failure:
    """``kind`` and message of an app error (a provider error's message names the attempts)."""
    if isinstance(exc, ProviderError):
        tried = tuple(Fallback(a.model_key, a.kind) for a in exc.attempts) \
            if isinstance(exc, AllModelsFailed) else ()
        return Failure(ErrorInfo(exc.kind, str(exc)), tried)
    if isinstance(exc, TeamError | EditRejected):
        return Failure(ErrorInfo(exc.kind, exc.message))
    return Failure(ErrorInfo("internal", f"{type(exc).__name__}: {exc}"))


class RequestFailed(JsonRpcException):
    """LSP RequestFailed: the request was valid but produced nothing (the message says why)."""

    CODE = -32803


def request_failed(error: ErrorInfo) -> RequestFailed:
    return RequestFailed(f"codeswitch: {error.message}", data={"kind": error.kind})


def invalid_params(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message)


def not_ready() -> JsonRpcInternalError:
    return JsonRpcInternalError("the server is not initialized")
