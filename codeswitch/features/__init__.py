"""Feature logic behind the LSP handlers: prompting, model calls and post-processing.

Features take document snapshots and return plain data; handlers translate to LSP.
"""
