"""Commands that switch inline suggestions off and on: toggle, snooze and status.

``workspace/executeCommand``:

- ``codeswitch.inline.toggle`` ``[]`` flips the switch; ``[{"enabled": true|false}]`` sets it;
- ``codeswitch.inline.snooze`` ``[{"minutes": 30}]`` turns suggestions off for that long (``0`` ends
  the snooze; no argument means 30 minutes);
- ``codeswitch.inline.status`` ``[{"uri": ...}]`` changes nothing.

Each answers the state ``{enabled, snoozedUntil, allowed, reason, enable}`` (``allowed`` and
``reason`` for the document given by ``uri``, else for any document), and the two that change it
also send it as the ``codeswitch/inlineSwitch`` notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from codeswitch.documents import UnknownDocument
from codeswitch.features.inline_switch import DEFAULT_SNOOZE_MINUTES

from .inline import InlineService, host_of, service

TOGGLE_COMMAND = "codeswitch.inline.toggle"
SNOOZE_COMMAND = "codeswitch.inline.snooze"
STATUS_COMMAND = "codeswitch.inline.status"
SWITCH_NOTIFICATION = "codeswitch/inlineSwitch"


def _options(command: str, arguments: tuple[object, ...]) -> Mapping[str, object]:
    args: object = arguments[0] if len(arguments) == 1 and isinstance(arguments[0], list) else list(arguments)
    assert isinstance(args, list)
    if not args or args[0] is None:
        return {}
    if not isinstance(args[0], Mapping):
        raise JsonRpcInvalidParams(f"{command} expects [] or [{{...}}], not {args[0]!r}")
    return args[0]


def _status(svc: InlineService, options: Mapping[str, object]) -> dict[str, object]:
    host = svc.host
    rules = host.config.inline.enable
    uri = options.get("uri")
    if isinstance(uri, str):
        try:
            snap = host.documents.snapshot(uri)
        except UnknownDocument:
            pass
        else:
            rel = host.files.facts(snap, host.root).rel_path
            paths = tuple(p for p in (rel, snap.path.as_posix() if snap.path is not None else None) if p)
            language = host.documents.language_id(uri) or snap.language
            return svc.switch.status(rules, language, paths)
    return svc.switch.status(rules)


def _changed(ls: Any, svc: InlineService, options: Mapping[str, object]) -> dict[str, object]:
    state = _status(svc, options)
    ls.protocol.notify(SWITCH_NOTIFICATION, state)
    return state


def toggle(ls: Any, *arguments: object) -> dict[str, object]:
    svc = service(host_of(ls))
    options = _options(TOGGLE_COMMAND, arguments)
    enabled = options.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise JsonRpcInvalidParams(f"{TOGGLE_COMMAND}: enabled must be true or false")
    svc.switch.set_enabled(enabled)
    return _changed(ls, svc, options)


def snooze(ls: Any, *arguments: object) -> dict[str, object]:
    svc = service(host_of(ls))
    options = _options(SNOOZE_COMMAND, arguments)
    minutes = options.get("minutes", DEFAULT_SNOOZE_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise JsonRpcInvalidParams(f"{SNOOZE_COMMAND}: minutes must be a number")
    try:
        svc.switch.snooze(float(minutes))
    except ValueError as exc:
        raise JsonRpcInvalidParams(f"{SNOOZE_COMMAND}: {exc}") from None
    return _changed(ls, svc, options)


def status(ls: Any, *arguments: object) -> dict[str, object]:
    svc = service(host_of(ls))
    return _status(svc, _options(STATUS_COMMAND, arguments))
