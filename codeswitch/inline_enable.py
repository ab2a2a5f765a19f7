"""``inline.enable``: where inline suggestions are on, by language id and by path glob.

The setting is ``true``/``false`` or a table::

    [inline.enable]
    "*" = true                  # everything else
    markdown = false            # a language id (the editor's: VS Code language ids, Neovim filetypes)
    "**/migrations/**" = false  # a path glob (gitignore syntax, relative to the workspace root)

A key with ``/``, ``*``, ``?``, ``[`` or ``.`` in it is a glob; ``"*"`` alone is the default; any
other key is a language id. A matching glob decides over a language, a language over the default;
when several globs match, the last one listed wins. Each config layer's table is merged over the
lower layers' (a workspace adds its own globs to the user's languages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from codeswitch.scope.ignore import IgnoreRules

_GLOB_CHARS = frozenset("/*?[.")


def is_glob(key: str) -> bool:
    return key != "*" and any(ch in _GLOB_CHARS for ch in key)


@lru_cache(maxsize=256)
def _rules(glob: str) -> IgnoreRules:
    rules = IgnoreRules()
    rules.add_lines([glob])
    return rules


def _glob_matches(glob: str, rel: str) -> bool:
    rules = _rules(glob)
    parts = rel.split("/")
    in_dir = any(rules.matches("/".join(parts[:i]), True) for i in range(1, len(parts)))
    return in_dir or rules.matches(rel, False)


@dataclass(frozen=True, slots=True)
class EnableRules:
    """The parsed setting: a default, per-language switches and per-glob switches (in order)."""

    default: bool | None = None  # None: not said in this layer (on)
    languages: tuple[tuple[str, bool], ...] = ()
    globs: tuple[tuple[str, bool], ...] = ()
    whole: bool = False  # a plain true/false: replaces whatever the lower layers said

    @classmethod
    def parse(cls, value: object) -> EnableRules:
        """From ``true``/``false`` or a table of booleans; ValueError says what is wrong."""
        if isinstance(value, bool):
            return cls(default=value, whole=True)
        if not isinstance(value, Mapping):
            raise ValueError("expected true, false or a table of language ids / path globs to true or false")
        default: bool | None = None
        languages: list[tuple[str, bool]] = []
        globs: list[tuple[str, bool]] = []
        for key, on in value.items():
            if not isinstance(key, str) or not key.strip():
                raise ValueError("keys must be language ids or path globs")
            if not isinstance(on, bool):
                raise ValueError(f"{key!r} must be true or false")
            if key == "*":
                default = on
            elif is_glob(key):
                globs.append((key, on))
            else:
                languages.append((key.lower(), on))
        return cls(default, tuple(languages), tuple(globs))

    def merged(self, upper: EnableRules) -> EnableRules:
        """These rules with a higher layer's on top (its keys replace the same keys here; a plain
        true/false replaces everything)."""
        if upper.whole:
            return upper
        langs = dict(self.languages)
        langs.update(upper.languages)
        globs = [(g, on) for g, on in self.globs if g not in dict(upper.globs)]
        globs.extend(upper.globs)
        default = upper.default if upper.default is not None else self.default
        return EnableRules(default, tuple(langs.items()), tuple(globs))

    def to_json(self) -> object:
        """The setting as it would be written (what ``codeswitch doctor`` and the status show)."""
        if not self.languages and not self.globs:
            return self.default is not False
        table: dict[str, bool] = {"*": self.default is not False}
        table.update(self.languages)
        table.update(self.globs)
        return table

    def decide(self, language: str | None, paths: tuple[str, ...] = ()) -> tuple[bool, str]:
        """(on?, why) for a document of ``language`` at ``paths`` (workspace-relative, posix).

        Remembered per (rules, language, paths): a document asks again on every keystroke."""
        return _decide(self, language, paths)

    def _decide(self, language: str | None, paths: tuple[str, ...]) -> tuple[bool, str]:
        verdict: tuple[bool, str] | None = None
        for glob, on in self.globs:
            if any(_glob_matches(glob, p) for p in paths if p):
                verdict = (on, f"inline.enable: {glob!r} = {str(on).lower()}")
        if verdict is not None:
            return verdict
        lang = (language or "").lower()
        for name, on in self.languages:
            if name == lang:
                return on, f"inline.enable: {name} = {str(on).lower()}"
        on = self.default is not False
        return on, f"inline.enable: \"*\" = {str(on).lower()}"


@lru_cache(maxsize=1024)
def _decide(rules: EnableRules, language: str | None, paths: tuple[str, ...]) -> tuple[bool, str]:
    return rules._decide(language, paths)
