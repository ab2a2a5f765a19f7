"""Which host names are this machine: the TCP server binds only those, and model servers there
get the lean HTTP transport (:mod:`codeswitch.providers.loopback`)."""

from __future__ import annotations

import ipaddress


def loopback_host(host: str) -> str | None:
    """The loopback address ``host`` names (``localhost`` is 127.0.0.1, ``[::1]`` is ::1), else None."""
    if host.lower() == "localhost":
        return "127.0.0.1"
    bare = host.strip("[]")  # [::1]
    try:
        return bare if ipaddress.ip_address(bare).is_loopback else None
    except ValueError:
        return None
