"""Edit formats a model answers in, parsed to plain data (one module per format).

- :mod:`.search_replace`: ``<<<<<<< SEARCH`` / ``=======`` / ``>>>>>>> REPLACE`` blocks, optionally
  preceded by a file path line; each block replaces one unique occurrence of its search text.
- :mod:`.anchored`: one replacement for the whole anchor (the enclosing definition), fenced.

Neither format can express a whole-file rewrite: search/replace touches only what it quotes, and an
anchored replacement only the anchor. Parsing never raises on model prose around the edit; it
raises :class:`FormatError` only when the answer holds no usable edit.
"""

from __future__ import annotations

from .anchored import AnchoredReplacement, parse_anchored
from .errors import FormatError
from .search_replace import SearchReplace, parse_search_replace, trailing_note

__all__ = ["AnchoredReplacement", "FormatError", "SearchReplace", "parse_anchored", "parse_search_replace",
           "trailing_note"]
