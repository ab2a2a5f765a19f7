"""Size limits shared by every part that reads source files, in one place.

``MAX_FILE_BYTES`` is the one cap on a source file: larger files are not indexed, not parsed into a
syntax tree, not read from disk for a request, not read by the agent team and refused by the
headless pipeline (generated code, bundles and data files, never what a person edits by hand).
``CHARS_PER_TOKEN`` is the rough size of a token used wherever text is measured before it is sent
(prompt windows, context estimates); code averages 3.5-4.5 characters a token.
"""

from __future__ import annotations

#: the largest source file codeswitch reads, parses, indexes or sends (bytes)
MAX_FILE_BYTES = 2 * 1024 * 1024
#: rough characters per token, for sizing windows and estimating context
CHARS_PER_TOKEN = 4
