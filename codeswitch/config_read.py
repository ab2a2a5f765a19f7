"""Reading one config layer: a TOML file, or the client's settings object.

Neither ever raises: a file that is missing gives None; one that cannot be used (not a regular
file, too large, not UTF-8, a TOML syntax error, nested too deeply) gives None and a
:class:`ConfigProblem` naming it, so the other layers still apply.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CLIENT_SOURCE = "initializationOptions"
#: the user's own config file, below ``$XDG_CONFIG_HOME`` (config.user_config_path)
USER_FILE = Path("codeswitch") / "config.toml"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One bad setting: where it came from, which key, and what was wrong with it."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.message}"


#: a config file larger than this is not read (a config is a few hundred bytes)
MAX_FILE_BYTES = 1 << 20


def read_toml(path: Path, problems: list[ConfigProblem]) -> dict[str, object] | None:
    """The file's table, or None (missing, or unusable: then a problem says why)."""
    def skip(why: str) -> None:
        problems.append(ConfigProblem(str(path), "", f"{why}; file ignored"))

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            skip("not a regular file")
            return None
        if info.st_size > MAX_FILE_BYTES:
            skip(f"larger than {MAX_FILE_BYTES} bytes")
            return None
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        skip(f"cannot read: {exc.strerror or exc}")
        return None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        skip(f"not UTF-8 text (byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        skip(f"TOML syntax error: {exc}")
    except RecursionError:
        skip("nested too deeply")
    return None


def client_layer(options: object, problems: list[ConfigProblem]) -> dict[str, object] | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        problems.append(ConfigProblem(CLIENT_SOURCE, "", "expected an object; ignored"))
        return None
    for wrapper in ("settings", "codeswitch"):  # didChangeConfiguration {"settings": {"codeswitch": {}}}
        inner = options.get(wrapper)
        if len(options) == 1 and isinstance(inner, Mapping):
            options = inner
    return {str(k): v for k, v in options.items()}
