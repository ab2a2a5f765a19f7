"""LSP WorkspaceEdits from planned file changes, in the shape the client accepts.

:class:`EditCaps` reads what the client's ``workspace.workspaceEdit`` capabilities allow;
:func:`document_edit` is one document's edits (``codeswitch/edit``, quick edits);
:func:`workspace_edit` is a refactor's many files, with created and renamed files and one change
annotation asking the user to confirm when the client supports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

from codeswitch.documents import Snapshot
from codeswitch.edits import EditRejected, FileChange, TextEdit

from .params import lsp_range

ANNOTATION_ID = "codeswitchRefactor"


@dataclass(frozen=True, slots=True)
class EditCaps:
    """What the client accepts in a WorkspaceEdit."""

    document_changes: bool = False
    create: bool = False
    annotations: bool = False
    rename: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities) -> EditCaps:
        ws = caps.workspace.workspace_edit if caps.workspace is not None else None
        if ws is None:
            return cls()
        ops = [str(getattr(o, "value", o)) for o in ws.resource_operations or ()]
        doc = bool(ws.document_changes)
        return cls(doc, doc and "create" in ops, doc and ws.change_annotation_support is not None,
                   doc and "rename" in ops)


def document_edit(snap: Snapshot, edits: Sequence[TextEdit], caps: EditCaps,
                  open_version: int | None) -> types.WorkspaceEdit:
    """One document's edits (positions in ``snap``'s encoding), versioned when the client takes
    ``documentChanges``."""
    lsp_edits: list[types.TextEdit] = [types.TextEdit(range=lsp_range(snap, e.span), new_text=e.new_text)
                                       for e in edits]
    if caps.document_changes:
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=snap.uri, version=open_version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=ident,
                                                                            edits=list(lsp_edits))])
    return types.WorkspaceEdit(changes={snap.uri: lsp_edits})


TextEdits = list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit]


def _text_edits(change: FileChange, encoding: str) -> list[types.TextEdit]:
    snap = Snapshot.from_text(change.old_text or "", encoding=encoding)
    return [types.TextEdit(range=lsp_range(snap, e.span), new_text=e.new_text) for e in change.edits]


def _annotated(edits: list[types.TextEdit]) -> TextEdits:
    return [types.AnnotatedTextEdit(range=e.range, new_text=e.new_text, annotation_id=ANNOTATION_ID)
            for e in edits]


def workspace_edit(changes: list[FileChange], caps: EditCaps, encoding: str, label: str,
                   refused: Sequence[tuple[str, str, str]] = ()) -> types.WorkspaceEdit:
    """One WorkspaceEdit for the whole refactor (plain ``changes`` for clients without
    ``documentChanges``; created files need resource operations). ``refused`` (agent, kind, why)
    are named in the change annotation's description, which the editor's preview shows."""
    if not caps.document_changes:
        if any(c.old_text is None or c.rename_from is not None for c in changes):
            raise EditRejected("resource_op", "the editor cannot create or rename files through a "
                               "workspace edit")
        return types.WorkspaceEdit(changes={c.path.as_uri(): _text_edits(c, encoding) for c in changes})
    ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    annotation = ANNOTATION_ID if caps.annotations else None
    for c in changes:
        uri = c.path.as_uri()
        if c.old_text is None:
            options = types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
            ops.append(types.CreateFile(uri=uri, annotation_id=annotation, options=options))
        if c.rename_from is not None:
            moved = types.RenameFileOptions(overwrite=False, ignore_if_exists=False)
            ops.append(types.RenameFile(old_uri=c.rename_from.as_uri(), new_uri=uri, annotation_id=annotation,
                                        options=moved))
            if not c.edits:
                continue
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=c.version)
        edits = _text_edits(c, encoding)
        ops.append(types.TextDocumentEdit(doc, _annotated(edits) if caps.annotations else list(edits)))
    description = "changes made by the agent team"
    if refused:
        description += "; refused: " + "; ".join(f"{a}: {m}" for a, _k, m in refused)
    annotations = {ANNOTATION_ID: types.ChangeAnnotation(label=f"codeswitch refactor: {label[:80]}",
                                                         needs_confirmation=True,
                                                         description=description)} \
        if caps.annotations else None
    return types.WorkspaceEdit(document_changes=ops, change_annotations=annotations)
