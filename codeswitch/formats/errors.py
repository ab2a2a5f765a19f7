"""The one error the format parsers raise."""

from __future__ import annotations


class FormatError(ValueError):
    """The model's answer holds no edit in the expected format (the message says what was wrong)."""
